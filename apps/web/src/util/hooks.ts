/** @module hooks — small React hooks shared by the pages: a ticking clock and stored preferences. */
import { useEffect, useState } from 'react';

/** The current time, refreshed every `intervalMs` (for "x ago" labels). */
export function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Reads a value from localStorage (null when absent or storage is unavailable). */
export function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes a value to localStorage, ignoring unavailable storage (private mode). */
export function writeStored(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage can be disabled; the choice then lasts for this page only.
  }
}

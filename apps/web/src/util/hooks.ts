/**
 * @module hooks — small React hooks shared by the pages: a ticking clock, async tasks, form drafts, stored
 * preferences.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { errorMessage } from '../api/http.js';

/** The current time, refreshed every `intervalMs` (for "x ago" labels). */
export function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Busy and error state around one async task (a form submit): the error is the failure's message. */
export function useTask(): {
  busy: boolean;
  error: string | null;
  setError: (message: string | null) => void;
  run: (work: () => Promise<unknown>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/**
 * A form's draft and its per-field complaints (from the last check): `set` changes one field and clears
 * that field's complaint until the next check.
 */
export function useDraft<D extends object>(
  initial: () => D,
): {
  draft: D;
  setDraft: (update: (draft: D) => D) => void;
  errors: Record<string, string>;
  setErrors: (errors: Record<string, string>) => void;
  set: <K extends keyof D & string>(key: K, value: D[K]) => void;
} {
  const [draft, setDraft] = useState<D>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof D & string>(key: K, value: D[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    // An edited field's complaint goes away until the next save checks again.
    setErrors((e) =>
      e[key] === undefined ? e : Object.fromEntries(Object.entries(e).filter(([k]) => k !== key)),
    );
  };
  return { draft, setDraft, errors, setErrors, set };
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

/** Whether the media query matches, re-rendering when that changes. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
  );
}

/** Phone-sized screens (the layout's single breakpoint). */
export const PHONE_QUERY = '(max-width: 720px)';

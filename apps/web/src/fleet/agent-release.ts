/** @module agent-release — the agent version this server hands out, to mark outdated agents in the fleet. */
import { useEffect, useState } from 'react';
import { api } from '../api/endpoints.js';

let cached: Promise<string | null> | undefined;

/** The server's agent version (null while loading, when not built, or on error); fetched once per page load. */
export function useAgentRelease(): string | null {
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    cached ??= api.agentRelease().then(
      (release) => release.version,
      () => null,
    );
    void cached.then((v) => {
      if (live) setVersion(v);
    });
    return () => {
      live = false;
    };
  }, []);
  return version;
}

/** True when `version` is older than `latest` (dotted numbers; anything unparsable is not outdated). */
export function isOutdated(version: string, latest: string | null): boolean {
  if (!latest) return false;
  const parse = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
  const a = parse(version);
  const b = parse(latest);
  if ([...a, ...b].some((n) => Number.isNaN(n))) return false;
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * @module agent-release — what this server hands out to agents: the agent version (to mark outdated agents
 * in the fleet) and the URL agents use (PUBLIC_URL, for the install and enroll lines).
 */
import type { AgentRelease } from '@hostwire/protocol';
import { useEffect, useState } from 'react';
import { api } from '../api/endpoints.js';

let cached: Promise<AgentRelease | null> | undefined;

/** GET /api/agent/release once per page load: undefined while loading, null on error. */
function useRelease(): AgentRelease | null | undefined {
  const [release, setRelease] = useState<AgentRelease | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    cached ??= api.agentRelease().catch(() => null);
    void cached.then((r) => {
      if (live) setRelease(r);
    });
    return () => {
      live = false;
    };
  }, []);
  return release;
}

/** The server's agent version (null while loading, when not built, or on error). */
export function useAgentRelease(): string | null {
  return useRelease()?.version ?? null;
}

/**
 * The URL agents reach this server at (PUBLIC_URL as the server says, not this page's origin, which a
 * proxy or a typed address may differ from; the origin only when the server cannot be asked) and the
 * release key. Null while loading.
 */
export function useServerIdentity(): { serverUrl: string; releaseKey: string | null } | null {
  const release = useRelease();
  if (release === undefined) return null;
  return release ?? { serverUrl: window.location.origin, releaseKey: null };
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

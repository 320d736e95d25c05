/** @module session — who is signed in, which organization is selected, and the transitions between them. */
import type { Me, Organization } from '@hostwire/protocol';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from '../api/endpoints.js';
import { ApiError, errorMessage } from '../api/http.js';
import { readStored, writeStored } from '../util/hooks.js';

const ORG_KEY = 'hostwire.organizationId';

/** Where the app stands before any page is shown. */
export type SessionStatus =
  | { kind: 'loading' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'setup' }
  | { kind: 'anonymous'; expired: boolean }
  | { kind: 'signed-in'; me: Me };

/** What pages read and change about the session. */
export interface SessionValue {
  status: SessionStatus;
  /** The selected organization (signed in with at least one organization), else null. */
  organization: Organization | null;
  selectOrganization: (organizationId: string) => void;
  /** Stores the `Me` returned by setup or login. */
  signedIn: (me: Me) => void;
  /** Re-reads `GET /api/auth/me` (after joining or creating an organization). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
  /** The server said the session is gone (HTTP 401 or socket close 4001). */
  expired: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

async function loadStatus(): Promise<SessionStatus> {
  try {
    const { setupRequired } = await api.setupState();
    if (setupRequired) return { kind: 'setup' };
    return { kind: 'signed-in', me: await api.me() };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      return { kind: 'anonymous', expired: false };
    }
    return { kind: 'unreachable', message: errorMessage(error) };
  }
}

/** Loads the session once and provides it to the app. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionStatus>({ kind: 'loading' });
  const [organizationId, setOrganizationId] = useState<string | null>(() => readStored(ORG_KEY));

  useEffect(() => {
    let live = true;
    void loadStatus().then((next) => {
      if (live) setStatus(next);
    });
    return () => {
      live = false;
    };
  }, []);

  const selectOrganization = useCallback((id: string) => {
    writeStored(ORG_KEY, id);
    setOrganizationId(id);
  }, []);

  const refresh = useCallback(async () => setStatus(await loadStatus()), []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setStatus({ kind: 'anonymous', expired: false });
    }
  }, []);

  const value = useMemo<SessionValue>(() => {
    const organizations = status.kind === 'signed-in' ? status.me.organizations : [];
    const organization = organizations.find((o) => o.id === organizationId) ?? organizations[0] ?? null;
    return {
      status,
      organization,
      selectOrganization,
      signedIn: (me) => setStatus({ kind: 'signed-in', me }),
      refresh,
      signOut,
      expired: () => setStatus({ kind: 'anonymous', expired: true }),
    };
  }, [status, organizationId, selectOrganization, refresh, signOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session; only usable under <SessionProvider>. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession needs a <SessionProvider>');
  return value;
}

/** The signed-in user's `Me`; only usable on signed-in pages. */
export function useMe(): Me {
  const { status } = useSession();
  if (status.kind !== 'signed-in') throw new Error('useMe needs a signed-in session');
  return status.me;
}

/** The caller's role in an organization, or null when not a member. */
export function useRoleIn(organizationId: string | null | undefined): Organization['role'] | null {
  const me = useMe();
  return me.organizations.find((o) => o.id === organizationId)?.role ?? null;
}

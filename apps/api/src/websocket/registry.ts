/** @module websocket/registry — the live connections of this instance: agents by host, clients by user/session/org. */
import type { AgentSession, ClientSession } from '../realtime/types.js';
import type { Connection } from './connection.js';

/** A live agent socket. `epoch` grows with every connection, so a stale socket's cleanup can tell it lost. */
export interface AgentEntry {
  readonly connection: Connection;
  readonly session: AgentSession;
  readonly hostId: string;
  readonly organizationId: string;
  readonly epoch: number;
  /** The token version the agent authenticated with (a rotation bumps the host's). */
  readonly tokenVersion: number;
}

/** A live browser socket with its topic subscriptions. */
export interface ClientEntry {
  readonly connection: Connection;
  readonly session: ClientSession;
  readonly userId: string;
  readonly sessionId: string;
  organizationIds: Set<string>;
  readonly subscriptions: Set<string>;
  /** Subscription changes and re-authorizations of this socket run one after the other on this chain. */
  chain: Promise<void>;
}

function addTo<V>(map: Map<string, Set<V>>, key: string, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<V>(map: Map<string, Set<V>>, key: string, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class ConnectionRegistry {
  private epochCounter = 0;
  private readonly agents = new Map<string, AgentEntry>();
  private readonly clients = new Set<ClientEntry>();
  private readonly clientsByUser = new Map<string, Set<ClientEntry>>();
  private readonly clientsBySession = new Map<string, Set<ClientEntry>>();
  private readonly clientsByOrganization = new Map<string, Set<ClientEntry>>();

  /** A new epoch, greater than every one handed out before by this registry. */
  nextEpoch(): number {
    this.epochCounter += 1;
    return this.epochCounter;
  }

  /** Makes `entry` the live agent of its host; returns the one it replaces. */
  setAgent(entry: AgentEntry): AgentEntry | undefined {
    const previous = this.agents.get(entry.hostId);
    this.agents.set(entry.hostId, entry);
    return previous;
  }

  /** Removes `entry` if it is still the live agent of its host; false when a newer one took its place. */
  removeAgent(entry: AgentEntry): boolean {
    if (this.agents.get(entry.hostId) !== entry) return false;
    this.agents.delete(entry.hostId);
    return true;
  }

  agent(hostId: string): AgentEntry | undefined {
    return this.agents.get(hostId);
  }

  agentHostIds(): string[] {
    return [...this.agents.keys()];
  }

  addClient(entry: ClientEntry): void {
    this.clients.add(entry);
    addTo(this.clientsByUser, entry.userId, entry);
    addTo(this.clientsBySession, entry.sessionId, entry);
    for (const organizationId of entry.organizationIds)
      addTo(this.clientsByOrganization, organizationId, entry);
  }

  removeClient(entry: ClientEntry): void {
    if (!this.clients.delete(entry)) return;
    removeFrom(this.clientsByUser, entry.userId, entry);
    removeFrom(this.clientsBySession, entry.sessionId, entry);
    for (const organizationId of entry.organizationIds)
      removeFrom(this.clientsByOrganization, organizationId, entry);
  }

  /** Re-indexes a client after its memberships changed. */
  setClientOrganizations(entry: ClientEntry, organizationIds: Set<string>): void {
    const registered = this.clients.has(entry);
    if (registered) for (const id of entry.organizationIds) removeFrom(this.clientsByOrganization, id, entry);
    entry.organizationIds = organizationIds;
    if (registered) for (const id of organizationIds) addTo(this.clientsByOrganization, id, entry);
  }

  clientsOfUser(userId: string): ClientEntry[] {
    return [...(this.clientsByUser.get(userId) ?? [])];
  }

  clientsOfSession(sessionId: string): ClientEntry[] {
    return [...(this.clientsBySession.get(sessionId) ?? [])];
  }

  /** Every live browser connection. */
  clientEntries(): ClientEntry[] {
    return [...this.clients];
  }

  /** Every live agent connection. */
  agentEntries(): AgentEntry[] {
    return [...this.agents.values()];
  }

  /** Every live connection (agents and clients). */
  connections(): Connection[] {
    return [
      ...[...this.agents.values()].map((a) => a.connection),
      ...[...this.clients].map((c) => c.connection),
    ];
  }

  /**
   * Open sockets: agents, clients, and per organization its agents plus its members' browser sockets
   * (a browser socket counts once in each organization of its user).
   */
  counts(): { agents: number; clients: number; byOrganization: Record<string, number> } {
    const byOrganization = Object.create(null) as Record<string, number>;
    for (const agent of this.agents.values())
      byOrganization[agent.organizationId] = (byOrganization[agent.organizationId] ?? 0) + 1;
    for (const [organizationId, set] of this.clientsByOrganization)
      byOrganization[organizationId] = (byOrganization[organizationId] ?? 0) + set.size;
    return { agents: this.agents.size, clients: this.clients.size, byOrganization };
  }
}

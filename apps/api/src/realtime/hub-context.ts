/** @module realtime/hub-context — what the hub's parts receive: the application context without the hub. */
import type { AgentHello } from '@hostwire/protocol';
import type { AppContext } from '../context.js';

export type HubContext = Omit<AppContext, 'hub'>;

/** What each connected agent announced in `hello`, kept while it is connected. */
export class AgentDirectory {
  private readonly agents = new Map<string, { epoch: number; hello: AgentHello | undefined }>();

  connected(hostId: string, epoch: number): void {
    this.agents.set(hostId, { epoch, hello: undefined });
  }

  announced(hostId: string, epoch: number, hello: AgentHello): void {
    const entry = this.agents.get(hostId);
    if (entry && entry.epoch === epoch) entry.hello = hello;
  }

  /** Forgets the agent unless a newer connection already replaced this one. */
  disconnected(hostId: string, epoch: number): boolean {
    const entry = this.agents.get(hostId);
    if (!entry || entry.epoch !== epoch) return false;
    this.agents.delete(hostId);
    return true;
  }

  hello(hostId: string): AgentHello | undefined {
    return this.agents.get(hostId)?.hello;
  }

  isConnected(hostId: string): boolean {
    return this.agents.has(hostId);
  }
}

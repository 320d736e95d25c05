/** @module websocket/topic-fanout — one bus subscription per topic per instance, fanned out to local sockets. */
import { parseTopic } from '@hostwire/protocol';
import type { Bus, Unsubscribe } from '../realtime/bus/types.js';
import type { ClientEntry } from './registry.js';

interface TopicState {
  readonly members: Set<ClientEntry>;
  readonly unsubscribe: Unsubscribe;
}

/**
 * Tracks which local sockets follow which topic. The first local follower of a topic subscribes on the
 * bus, the last one to leave unsubscribes; a frame from the bus goes, already serialized, to each
 * follower's send path. The first/last follower of `host:<id>` is reported to `onHostWatch`.
 */
export class TopicFanout {
  private readonly topics = new Map<string, TopicState>();

  constructor(
    private readonly bus: Bus,
    private readonly onHostWatch: (hostId: string, watched: boolean) => void,
  ) {}

  /** Adds `entry` as a follower of `topic` (no-op when it already follows it). */
  add(topic: string, entry: ClientEntry): void {
    if (entry.subscriptions.has(topic)) return;
    entry.subscriptions.add(topic);
    let state = this.topics.get(topic);
    if (!state) {
      const members = new Set<ClientEntry>();
      const unsubscribe = this.bus.subscribe(topic, (frame) => {
        for (const member of members) member.connection.sendFrame(frame);
      });
      state = { members, unsubscribe };
      this.topics.set(topic, state);
      this.reportWatch(topic, true);
    }
    state.members.add(entry);
  }

  /** Removes `entry` from `topic`'s followers (no-op when it did not follow it). */
  remove(topic: string, entry: ClientEntry): void {
    if (!entry.subscriptions.delete(topic)) return;
    const state = this.topics.get(topic);
    if (!state) return;
    state.members.delete(entry);
    if (state.members.size > 0) return;
    this.topics.delete(topic);
    state.unsubscribe();
    this.reportWatch(topic, false);
  }

  /** Removes `entry` from every topic it follows. */
  removeAll(entry: ClientEntry): void {
    for (const topic of [...entry.subscriptions]) this.remove(topic, entry);
  }

  /**
   * Tells each local follower of `topics` that frames may have been lost there: one `gap` frame per
   * socket, naming the topics it follows among them.
   */
  notifyGap(topics: readonly string[], reason: string): void {
    const perEntry = new Map<ClientEntry, string[]>();
    for (const topic of topics) {
      for (const entry of this.topics.get(topic)?.members ?? []) {
        const list = perEntry.get(entry);
        if (list) list.push(topic);
        else perEntry.set(entry, [topic]);
      }
    }
    for (const [entry, list] of perEntry) entry.connection.send({ type: 'gap', topics: list, reason });
  }

  /** Number of topics this instance follows on the bus. */
  get size(): number {
    return this.topics.size;
  }

  /** Drops every bus subscription (shutdown). */
  close(): void {
    for (const state of this.topics.values()) state.unsubscribe();
    this.topics.clear();
  }

  private reportWatch(topic: string, watched: boolean): void {
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'host') this.onHostWatch(parsed.id, watched);
  }
}

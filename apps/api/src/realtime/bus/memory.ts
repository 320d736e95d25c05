/** @module realtime/bus/memory — the single-instance Bus: everything stays in this process. */
import { randomUUID } from 'node:crypto';
import type { ServerToAgent } from '@hostwire/protocol';
import type { Bus, ControlEvent, Frame, Unsubscribe } from './types.js';

export function createMemoryBus(): Bus {
  const topics = new Map<string, Set<(frame: Frame) => void>>();
  const agents = new Map<string, (message: ServerToAgent) => void>();
  const controlHandlers = new Set<(event: ControlEvent) => void>();
  const watchedHosts = new Set<string>();

  function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(value);
    if (set.size === 0) map.delete(key);
  }

  return {
    instanceId: randomUUID(),
    publish(topic, frame) {
      const handlers = topics.get(topic);
      if (!handlers) return;
      for (const handler of handlers) handler(frame);
    },
    subscribe(topic, handler): Unsubscribe {
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(handler);
      return () => remove(topics, topic, handler);
    },
    claimAgent(hostId, handler) {
      agents.set(hostId, handler);
      return () => {
        if (agents.get(hostId) === handler) agents.delete(hostId);
      };
    },
    sendToAgent(hostId, message) {
      const handler = agents.get(hostId);
      if (!handler) return Promise.resolve(false);
      handler(message);
      return Promise.resolve(true);
    },
    isAgentConnected(hostId) {
      return Promise.resolve(agents.has(hostId));
    },
    watchHost(hostId, watched) {
      if (watched) watchedHosts.add(hostId);
      else watchedHosts.delete(hostId);
      return Promise.resolve(watched ? 1 : 0);
    },
    hostWatchers(hostId) {
      return Promise.resolve(watchedHosts.has(hostId) ? 1 : 0);
    },
    broadcast(event) {
      for (const handler of controlHandlers) handler(event);
    },
    onControl(handler) {
      controlHandlers.add(handler);
      return () => controlHandlers.delete(handler);
    },
    onGap() {
      return () => undefined;
    },
    isHealthy: () => true,
    close() {
      topics.clear();
      agents.clear();
      controlHandlers.clear();
      watchedHosts.clear();
      return Promise.resolve();
    },
  };
}

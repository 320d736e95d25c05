/**
 * @module domain/deps — what the domain modules work with (the store, the bus and the services), and the
 * one way a rule writes: `unitOfWork`, a transaction whose events are published only after it commits.
 */
import type { Access } from '../auth/access.js';
import type { CommandSigner } from '../auth/command-signing.js';
import type { TokenService } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Outbound } from '../outbound/client.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { Bus, ControlEvent, Frame } from '../realtime/bus/types.js';
import type { Repositories, Store } from '../store/index.js';

export interface DomainDeps {
  config: Config;
  logger: Logger;
  store: Store;
  bus: Bus;
  tokens: TokenService;
  signer: CommandSigner;
  access: Access;
  metrics: ServerMetrics;
  /** Every request the server sends out (notification channels) goes through this guard. */
  outbound: Outbound;
}

/** Events a unit of work emits; they leave the process only once its transaction committed. */
export interface Outbox {
  publish(topic: string, frame: Frame): void;
  broadcast(event: ControlEvent): void;
}

/**
 * Runs `fn` in one store transaction; what it put in the outbox is published after the commit, in order,
 * and dropped when it throws (nothing is announced that did not happen).
 */
export async function unitOfWork<T>(
  deps: Pick<DomainDeps, 'store' | 'bus'>,
  fn: (tx: Repositories, outbox: Outbox) => Promise<T>,
): Promise<T> {
  let pending: (() => void)[] = [];
  const result = await deps.store.transaction((tx) => {
    pending = [];
    return fn(tx, {
      publish: (topic, frame) => pending.push(() => deps.bus.publish(topic, frame)),
      broadcast: (event) => pending.push(() => deps.bus.broadcast(event)),
    });
  });
  for (const send of pending) send();
  return result;
}

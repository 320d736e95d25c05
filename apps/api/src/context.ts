/** @module context — the services every part of the API shares, built once in app-server.ts. */
import type { ActionParams } from '@hostwire/protocol';
import type { Access } from './auth/access.js';
import type { CommandSigner } from './auth/command-signing.js';
import type { TicketStore } from './auth/tickets.js';
import type { TokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import type { Domain } from './domain/index.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './observability/metrics.js';
import type { Bus } from './realtime/bus/types.js';
import type { RealtimeHandlers } from './realtime/types.js';
import type { Store } from './store/index.js';

/** Who asked, for authorization and the audit log. */
export interface Actor {
  userId: string;
  ip: string | null;
}

/** The hub: realtime handlers for the gateway (metrics, logs and actions from agents and browsers). */
export interface Hub extends RealtimeHandlers {
  /** Starts background work (pruning); stops with close(). */
  close(): Promise<void>;
}

export interface AppContext {
  config: Config;
  logger: Logger;
  store: Store;
  tokens: TokenService;
  tickets: TicketStore;
  signer: CommandSigner;
  bus: Bus;
  access: Access;
  metrics: ServerMetrics;
  /** The rules: routes and socket handlers call these instead of the store and the bus. */
  domain: Domain;
  hub: Hub;
  /** Flipped when shutdown starts: new upgrades get 503, readiness fails. */
  lifecycle: { shuttingDown: boolean };
}

export type { ActionParams };

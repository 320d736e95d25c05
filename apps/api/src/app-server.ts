/** @module app-server — wires config → store → bus → hub → Express app → HTTP server → WebSocket gateway. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccess } from './auth/access.js';
import { createCommandSigner } from './auth/command-signing.js';
import { createMemoryTicketStore } from './auth/tickets.js';
import { createRedisTicketStore } from './auth/tickets-redis.js';
import { createTokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { createDomain } from './domain/index.js';
import { createApp } from './http/app.js';
import { createLogger, type Logger } from './logger.js';
import { createServerMetrics } from './observability/metrics.js';
import { createOutbound, type ResolveHost } from './outbound/client.js';
import { createMemoryBus } from './realtime/bus/memory.js';
import { createRedisBus } from './realtime/bus/redis.js';
import { createHub } from './realtime/hub.js';
import { createStore } from './store/index.js';
import { attachGateway, type Gateway } from './websocket/server.js';

export interface RunningServer {
  ctx: AppContext;
  server: http.Server;
  gateway: Gateway;
  port: number;
  url: string;
  /** While no user exists: `<PUBLIC_URL>/setup?code=…`, the link that finishes first-run setup. */
  setupUrl: string | undefined;
  /** Graceful shutdown: 503 for new upgrades, 1001 to every socket, then the hub, bus and store close. */
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  options: { logger?: Logger; resolveHost?: ResolveHost } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await createStore(config.database);
  // One instance: everything in memory. Several: Redis carries fan-out, agent routing, control events, tickets.
  const bus = config.redisUrl ? await createRedisBus(config.redisUrl, { logger }) : createMemoryBus();
  const partial = {
    config,
    logger,
    store,
    tokens: createTokenService({ sessionJwt: config.secrets.sessionJwt, agentJwt: config.secrets.agentJwt }),
    tickets: config.redisUrl ? createRedisTicketStore(config.redisUrl) : createMemoryTicketStore(),
    signer: createCommandSigner(config.dataDir, config.secrets.commandSigningKeyPem),
    bus,
    access: createAccess(store),
    metrics: createServerMetrics(),
    outbound: createOutbound(
      {
        allow: config.outboundAllow,
        allowedHosts: config.alerts.allowedHosts,
        timeoutMs: config.alerts.deliveryTimeoutMs,
      },
      options.resolveHost,
    ),
    lifecycle: { shuttingDown: false },
  };
  if (config.alerts.allowedHosts)
    logger.warn(
      'ALERT_ALLOWED_HOSTS is deprecated: it restricts notification targets by name; while OUTBOUND_ALLOW is unset, the hosts it names exactly (not its *.wildcards) may also be non-public addresses. Set OUTBOUND_ALLOW to say which inside addresses notifications may reach',
    );
  const domain = createDomain(partial);
  await domain.presence.start();
  await domain.alerts.start();
  const ctx: AppContext = { ...partial, domain, hub: createHub({ ...partial, domain }) };
  const setupUrl = await domain.sessions.prepareSetup();
  const server = http.createServer(createApp(ctx));
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  const gateway = attachGateway(server, ctx);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    ctx,
    server,
    gateway,
    port,
    url,
    setupUrl,
    close() {
      closing ??= (async () => {
        ctx.lifecycle.shuttingDown = true;
        await gateway.close(config.shutdownTimeoutMs);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await ctx.hub.close();
        await domain.presence.close();
        domain.fleetMetrics.close();
        domain.containers.close();
        await domain.alerts.close();
        await ctx.tickets.close();
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** @module agent — wires config → state → collectors, tails, actions → the link; `runAgent` is the program. */
import path from 'node:path';
import { LogSourceName } from '@hostwire/protocol/agent';
import type { AgentConfig } from './config/schema.js';
import { ActionService, describeActions } from './actions/action-service.js';
import { loadCommandKey } from './actions/command-verifier.js';
import { FrameDelivery } from './actions/frame-delivery.js';
import type { LinkSession, LinkState, ServerFrame } from './connection/agent-link.js';
import { AgentLink } from './connection/agent-link.js';
import { createContainerActions } from './containers/container-actions.js';
import { ContainerMonitor } from './containers/container-monitor.js';
import { DEFAULT_ENGINE_SOCKET, EngineClient, socketFromDockerHost } from './containers/engine-client.js';
import type { AgentExitError } from './errors.js';
import { buildHello } from './hello.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { containerSourceName } from './logs/container-tail.js';
import type { LogBackends } from './logs/log-manager.js';
import { LogManager, detectLogBackends } from './logs/log-manager.js';
import { checkLogSources } from './log-check.js';
import { MetricsCollector } from './metrics/collector.js';
import { MetricsSender } from './metrics/metrics-sender.js';
import { Sampler } from './metrics/sampler.js';
import { CommandLedger } from './outbox/command-ledger.js';
import { MetricsOutbox } from './outbox/metrics-outbox.js';
import { importLegacyState } from './state/legacy-state.js';
import { prepareStateDir, readStateMeta, writeStateMeta } from './state/state-dir.js';
import { StatusWriter } from './state/status-file.js';

export interface RunAgentOptions {
  /** Where the outbox, the command ledger and the status file live. */
  stateDir: string;
  /** Aborting stops the agent cleanly (running actions are cancelled and their results stored). */
  signal: AbortSignal;
  log?: Logger;
  /** Override log backend detection (tests). */
  backends?: LogBackends;
}

const STATUS_REFRESH_MS = 5000;
/** How long the start waits for the first container listing (ms). */
const FIRST_LISTING_WAIT_MS = 2000;
/** `hello` and `logs.sources` carry at most this many log sources (the protocol's cap). */
const MAX_LOG_SOURCES = 256;

/**
 * Runs the agent until `signal` aborts (resolves undefined) or the server refuses it for good
 * (resolves the AgentExitError: revoked, replaced, bad token).
 */
export async function runAgent(
  config: AgentConfig,
  options: RunAgentOptions,
): Promise<AgentExitError | undefined> {
  const log = options.log ?? silentLogger;
  const publicKey = loadCommandKey(config.commandPublicKey);
  prepareStateDir(options.stateDir);
  await importLegacyState(options.stateDir, log);
  const outbox = new MetricsOutbox(
    path.join(options.stateDir, 'outbox'),
    { maxSamples: config.metrics.outboxMaxSamples, maxAgeMs: config.metrics.outboxMaxAgeMs },
    { log },
  );
  const previousHost = readStateMeta(options.stateDir).hostId;
  if (previousHost !== config.hostId) {
    if (previousHost !== undefined) {
      const discarded = outbox.clear();
      log.warn(`host id changed (re-enrolled): discarded ${discarded} samples of host ${previousHost}`);
    }
    writeStateMeta(options.stateDir, { hostId: config.hostId });
  }
  const ledger = new CommandLedger(options.stateDir);
  const delivery = new FrameDelivery(ledger, log);
  // The engine: the config's socket, else DOCKER_HOST=unix://…, else the default.
  const engine = new EngineClient(
    config.containers.socket ?? socketFromDockerHost(process.env.DOCKER_HOST) ?? DEFAULT_ENGINE_SOCKET,
  );
  let currentSession: LinkSession | undefined;
  const containers = new ContainerMonitor({
    engine,
    log,
    // Each container is a log source: tell the server when the set changes.
    onNamesChanged: () => currentSession?.send({ type: 'logs.sources', logSources: announcedSources() }),
  });
  const builtins = config.containers.actions ? createContainerActions(engine, () => containers.list()) : [];
  const actions = new ActionService({
    hostId: config.hostId,
    publicKey,
    skewMs: config.commandClockSkewMs,
    actions: config.actions,
    ledger,
    delivery,
    log,
    builtins,
  });
  const backends = options.backends ?? (await detectLogBackends(undefined, engine.socketPath));
  const logs = new LogManager(config.logs, backends, log, {
    engine,
    has: (name) => containers.containerNames.includes(name),
  });
  /** The configured sources as found now, then one `container:<name>` per container (up to the cap). */
  function announcedSources(found: LogBackends = backends) {
    const configured = checkLogSources(config.logs.sources, found);
    const perContainer = containers.containerNames
      // A source name is at most 128 characters: a container with a longer name has no log source.
      .filter((name) => LogSourceName.safeParse(containerSourceName(name)).success)
      .map((name) => ({
        name: containerSourceName(name),
        kind: 'docker' as const,
        description: `Container ${name}`,
        available: true,
      }));
    return [...configured, ...perContainer].slice(0, MAX_LOG_SOURCES);
  }
  const sender = new MetricsSender(outbox, { maxBatchesInFlight: config.metrics.maxBatchesInFlight, log });
  const collector = new MetricsCollector();
  await collector.prime();
  const sampler = new Sampler({
    collector,
    containers,
    outbox,
    intervalMs: config.metrics.intervalMs,
    log,
    onSample: () => sender.notify(),
  });

  const statusWriter = new StatusWriter(options.stateDir);
  const startedAt = Date.now();
  let linkState: LinkState = {
    connected: false,
    since: null,
    reconnects: 0,
    failedAttempts: 0,
    lastError: null,
  };
  const writeStatus = (stopped = false): void =>
    statusWriter.write({
      pid: process.pid,
      startedAt,
      updatedAt: Date.now(),
      server: config.server,
      hostId: config.hostId,
      ...linkState,
      bufferedSamples: outbox.pending,
      lastSeq: outbox.lastSeq,
      droppedSamples: outbox.dropped,
      storageError: outbox.storageError,
      intervalMs: sampler.interval,
      activeLogStreams: logs.active,
      runningActions: actions.active,
      stopped,
    });

  const onFrame = (frame: ServerFrame, session: LinkSession): void => {
    switch (frame.type) {
      case 'metrics.ack':
        return sender.acknowledge(frame.seqs);
      case 'metrics.interval':
        return sampler.setInterval(frame.intervalMs);
      case 'logs.start':
        return void logs.start(frame, {
          send: (f) => session.send(f),
          sendText: (t) => session.sendText(t),
          maxFrameBytes: session.maxFrameBytes,
          messagesPerSecond: session.welcome.limits.messagesPerSecond,
        });
      case 'logs.stop':
        return logs.stop(frame.streamId);
      case 'logs.check':
        // Backends may have appeared (Docker started) since the agent did: look again.
        return void (options.backends ? Promise.resolve(options.backends) : detectLogBackends()).then(
          (found) => session.send({ type: 'logs.sources', logSources: announcedSources(found) }),
        );
      case 'command':
        return actions.handle(frame);
      case 'error':
        if (frame.id !== undefined) delivery.settle(frame.id);
        return log.warn(`server error ${frame.code}: ${frame.message}`);
      case 'ack':
        delivery.settle(frame.id);
        return;
    }
  };

  const link = new AgentLink({
    server: config.server,
    hostId: config.hostId,
    token: config.agentToken,
    connection: config.connection,
    log,
    onState: (state) => {
      linkState = state;
      writeStatus();
    },
    handlers: {
      onOpen: (session) => {
        session.send(
          buildHello({
            actions: [...describeActions(config.actions), ...builtins.map((b) => b.descriptor)],
            logSources: announcedSources(),
            backends,
            pending: outbox.pending,
          }),
        );
        delivery.attach(session);
        sender.attach(session);
        currentSession = session;
      },
      onFrame,
      onClose: (reason) => {
        log.warn(`disconnected: ${reason}`);
        currentSession = undefined;
        sender.detach();
        delivery.detach();
        logs.stopAll();
        sampler.setInterval(config.metrics.intervalMs);
      },
    },
  });

  // The first `hello` should already offer container:<name> (tails the server resumes after a restart):
  // give the first container listing a moment, never more (no engine: it fails at once).
  let firstListing: NodeJS.Timeout | undefined;
  await Promise.race([
    containers.prefetch(),
    new Promise<void>((resolve) => {
      firstListing = setTimeout(resolve, FIRST_LISTING_WAIT_MS);
    }),
  ]);
  clearTimeout(firstListing);
  sampler.start();
  const refresh = setInterval(() => writeStatus(), STATUS_REFRESH_MS);
  writeStatus();
  try {
    return await link.run(options.signal);
  } finally {
    clearInterval(refresh);
    sampler.stop();
    await containers.settle();
    logs.stopAll();
    await actions.shutdown();
    writeStatus(true);
    await statusWriter.flush();
    outbox.close();
    ledger.close();
  }
}

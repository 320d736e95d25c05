/** @module logs/log-manager — answers `logs.start` / `logs.stop` and owns every running tail. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { AgentToServer, LogSourceDescriptor, ServerToAgent } from '@hostwire/protocol';
import type { LogSourceConfig, LogsConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { EngineClient } from '../containers/engine-client.js';
import { containerOfSource, startContainerTail } from './container-tail.js';
import { DOCKER_SOCKET, startDockerTail } from './docker-tail.js';
import type { LogTail, TailHandlers } from './file-tail.js';
import { startFileTail } from './file-tail.js';
import { startJournaldTail } from './journald-tail.js';
import { FramePacer } from './frame-pacer.js';
import { LineBatcher } from './line-batcher.js';
import { SourceReader, type ReaderSubscriber } from './source-reader.js';
import type * as LogFilterModule from '@hostwire/protocol/log-filter';

type LogsStart = Extract<ServerToAgent, { type: 'logs.start' }>;

/** Where a log manager sends its frames. */
export interface LogSink {
  send(frame: AgentToServer): void;
  sendText(text: string): void;
  maxFrameBytes: number;
  /** The server's message rate (from `welcome`); log frames use a quarter of it. */
  messagesPerSecond?: number;
}

/** Which optional log backends exist on this machine. */
export interface LogBackends {
  journald: boolean;
  docker: boolean;
}

async function executableOnPath(name: string, searchPath: string): Promise<boolean> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const found = await access(path.join(dir, name), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return true;
  }
  return false;
}

/** Looks for `journalctl` on PATH and for the docker socket. */
export async function detectLogBackends(
  searchPath = process.env.PATH ?? '/usr/bin:/bin',
  dockerSocket = DOCKER_SOCKET,
): Promise<LogBackends> {
  const [journald, docker] = await Promise.all([
    executableOnPath('journalctl', searchPath),
    access(dockerSocket).then(
      () => true,
      () => false,
    ),
  ]);
  return { journald, docker };
}

/** The log filter's engine, once a tail asked for a filter. */
let logFilter: typeof LogFilterModule | undefined;

/** Streams one source may feed at once (each with its own filter); past it `logs.start` is refused. */
export const MAX_STREAMS_PER_SOURCE = 16;
/** Streams the agent runs at once, over all sources. */
export const MAX_STREAMS = 64;

/** The containers offered as `container:<name>` sources (every container the engine reports). */
export interface ContainerSources {
  engine: EngineClient;
  /** Whether the engine reported a container of this name at its last listing. */
  has(name: string): boolean;
}

interface Stream {
  source: string;
  reader: SourceReader;
  subscriber: ReaderSubscriber;
  batcher: LineBatcher;
}

/**
 * Runs the streams the server asks for. Each source is read once ({@link SourceReader}) however many
 * streams follow it; each stream filters (linear-time, see `compileLogFilter`), rate-limits and batches
 * its own lines, and every frame goes through one {@link FramePacer}.
 */
export class LogManager {
  private readonly sources: Map<string, LogSourceConfig>;
  private readonly config: LogsConfig;
  private readonly log: Logger;
  private readonly streams = new Map<string, Stream>();
  private readonly readers = new Map<string, SourceReader>();
  private readonly pacer = new FramePacer();
  private readonly containers: ContainerSources | undefined;

  constructor(config: LogsConfig, backends: LogBackends, log: Logger, containers?: ContainerSources) {
    this.config = config;
    this.log = log;
    this.containers = containers;
    const usable = config.sources.filter((s) => s.kind === 'file' || backends[s.kind]);
    this.sources = new Map(usable.map((s) => [s.name, s]));
  }

  /** The sources announced in `hello` (journald/docker ones only when that backend exists). */
  descriptors(): LogSourceDescriptor[] {
    return [...this.sources.values()].map((s) => ({
      name: s.name,
      kind: s.kind,
      description: s.description,
    }));
  }

  /** Number of running streams. */
  get active(): number {
    return this.streams.size;
  }

  /** Number of open source readers (one file descriptor or process each). */
  get readersOpen(): number {
    return this.readers.size;
  }

  /** Handles `logs.start`: answers `ack` once the stream runs, or `error`. */
  async start(frame: LogsStart, sink: LogSink): Promise<void> {
    const source = this.sources.get(frame.source) ?? this.containerSource(frame.source);
    if (!source) {
      return sink.send({
        type: 'error',
        id: frame.id,
        code: 'unknown_source',
        message: `no log source "${frame.source}"`,
      });
    }
    let accept: (line: string) => boolean;
    try {
      // The RE2 engine is loaded by the first filtered tail, not at start (≈ 8 MB of RSS in the executable).
      accept = frame.filter
        ? (logFilter ??= await import('@hostwire/protocol/log-filter')).compileLogFilter(frame.filter)
        : () => true;
    } catch (error) {
      return sink.send({
        type: 'error',
        id: frame.id,
        code: 'invalid_message',
        message: `invalid filter: ${(error as Error).message}`.slice(0, 1000),
      });
    }
    this.stop(frame.streamId);
    const onSource = [...this.streams.values()].filter((s) => s.source === source.name).length;
    if (onSource >= MAX_STREAMS_PER_SOURCE || this.streams.size >= MAX_STREAMS) {
      return sink.send({
        type: 'error',
        id: frame.id,
        code: 'limit_reached',
        message:
          onSource >= MAX_STREAMS_PER_SOURCE
            ? `at most ${MAX_STREAMS_PER_SOURCE} streams per log source`
            : `at most ${MAX_STREAMS} log streams at once`,
      });
    }
    if (sink.messagesPerSecond !== undefined) this.pacer.setMessageRate(sink.messagesPerSecond);
    const batcher: LineBatcher = new LineBatcher({
      streamId: frame.streamId,
      accept,
      linesPerSecond: this.config.linesPerSecond,
      batchMs: this.config.batchMs,
      maxFrameBytes: sink.maxFrameBytes,
      emit: (text, lines) =>
        this.pacer.push(
          text,
          (t) => sink.sendText(t),
          () => batcher.countDropped(lines),
        ),
    });
    const reader = this.readerFor(source);
    const subscriber: ReaderSubscriber = {
      onLine: (line, ts, backfill) => batcher.push(line, ts, backfill),
      onEnd: (reason) => {
        if (this.streams.get(frame.streamId) !== stream) return;
        this.stop(frame.streamId);
        sink.send({ type: 'logs.ended', streamId: frame.streamId, reason: reason.slice(0, 500) });
      },
    };
    const stream: Stream = { source: source.name, reader, subscriber, batcher };
    this.streams.set(frame.streamId, stream);
    try {
      await reader.add(subscriber, frame.backfill);
    } catch (error) {
      if (this.streams.get(frame.streamId) === stream) this.streams.delete(frame.streamId);
      batcher.close();
      const code = (error as NodeJS.ErrnoException).code;
      const message = `cannot open ${source.name}: ${(error as Error).message}`.slice(0, 1000);
      return sink.send({
        type: 'error',
        id: frame.id,
        code: code === 'EACCES' ? 'forbidden' : 'not_found',
        message,
      });
    }
    if (this.streams.get(frame.streamId) !== stream) return reader.remove(subscriber);
    sink.send({ type: 'ack', id: frame.id });
    this.log.debug(`log stream ${frame.streamId} started on ${source.name}`);
  }

  /** Handles `logs.stop` (unknown stream ids are ignored). */
  stop(streamId: string): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    this.streams.delete(streamId);
    stream.reader.remove(stream.subscriber);
    stream.batcher.close();
  }

  /** Stops every stream (on disconnect: the server restarts them after the next `hello`). */
  stopAll(): void {
    for (const id of [...this.streams.keys()]) this.stop(id);
    this.pacer.clear();
  }

  /** `container:<name>` as a docker source, when the engine reported that container. */
  private containerSource(name: string): LogSourceConfig | undefined {
    const container = containerOfSource(name);
    if (container === undefined || !this.containers?.has(container)) return undefined;
    return { name, kind: 'docker', container, description: '' };
  }

  /** The running reader of a source, or a new one. */
  private readerFor(source: LogSourceConfig): SourceReader {
    const running = this.readers.get(source.name);
    if (running) return running;
    const reader: SourceReader = new SourceReader(
      (backfill, handlers) => this.open(source, backfill, handlers),
      () => {
        if (this.readers.get(source.name) === reader) this.readers.delete(source.name);
      },
    );
    this.readers.set(source.name, reader);
    return reader;
  }

  private async open(source: LogSourceConfig, backfill: number, handlers: TailHandlers): Promise<LogTail> {
    switch (source.kind) {
      case 'file':
        return startFileTail(source.path, { backfill }, handlers);
      case 'journald':
        return startJournaldTail(source.unit, backfill, handlers);
      case 'docker':
        if (this.containers && containerOfSource(source.name) === source.container)
          return startContainerTail(this.containers.engine, source.container, backfill, handlers);
        return startDockerTail(source.container, backfill, handlers, this.containers?.engine.socketPath);
    }
  }
}

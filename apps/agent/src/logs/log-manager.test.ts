// Tests of logs.start / logs.stop handling: filters, errors, rate limiting and batching into frames.
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentToServer, MAX_LOG_LINE_LENGTH } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogsConfig } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { createTempDir, waitFor } from '../test-support/fixtures.js';
import { LineBatcher } from './line-batcher.js';
import type { LogSink } from './log-manager.js';
import { LogManager, MAX_STREAMS_PER_SOURCE } from './log-manager.js';

type Lines = Extract<AgentToServer, { type: 'logs.lines' }>;

function collectingSink(maxFrameBytes = 64 * 1024): LogSink & { frames: AgentToServer[] } {
  const frames: AgentToServer[] = [];
  const push = (value: unknown): void => {
    const parsed = AgentToServer.safeParse(value);
    if (!parsed.success) throw new Error(`invalid frame: ${JSON.stringify(parsed.error.issues)}`);
    frames.push(parsed.data);
  };
  return {
    frames,
    maxFrameBytes,
    send: (frame) => push(frame),
    sendText: (text) => {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxFrameBytes);
      push(JSON.parse(text));
    },
  };
}

const linesOf = (frames: AgentToServer[]): string[] =>
  frames.filter((f): f is Lines => f.type === 'logs.lines').flatMap((f) => f.lines.map((l) => l.line));

describe('LogManager', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let manager: LogManager;
  let file: string;
  beforeEach(async () => {
    tmp = await createTempDir();
    file = path.join(tmp.dir, 'app.log');
    await writeFile(file, 'GET /a 200\nGET /b 500\nPOST /c 500\n');
    const config = LogsConfig.parse({
      batchMs: 20,
      sources: [
        { name: 'app', kind: 'file', path: file },
        { name: 'journal', kind: 'journald', unit: 'nginx.service' },
        { name: 'gone', kind: 'file', path: path.join(tmp.dir, 'missing.log') },
      ],
    });
    manager = new LogManager(config, { journald: false, docker: false }, silentLogger);
  });
  afterEach(async () => {
    manager.stopAll();
    await tmp.remove();
  });

  it('announces journald sources only when journald exists', () => {
    expect(manager.descriptors().map((d) => d.name)).toEqual(['app', 'gone']);
  });

  it('acks, backfills and follows with a substring filter, then stops on logs.stop', async () => {
    const sink = collectingSink();
    await manager.start(
      {
        type: 'logs.start',
        id: 'r1',
        streamId: 's1',
        source: 'app',
        backfill: 10,
        filter: { pattern: ' 500', regex: false, ignoreCase: false },
      },
      sink,
    );
    expect(sink.frames[0]).toEqual({ type: 'ack', id: 'r1' });
    await waitFor(() => linesOf(sink.frames).length === 2, 3000, 'backfill');
    await appendFile(file, 'GET /d 200\nGET /e 500\n');
    await waitFor(() => linesOf(sink.frames).length === 3, 3000, 'followed line');
    expect(linesOf(sink.frames)).toEqual(['GET /b 500', 'POST /c 500', 'GET /e 500']);
    manager.stop('s1');
    expect(manager.active).toBe(0);
    // A second stream on the same file sees the next line: the stopped one had the same chance and did not.
    const marker = collectingSink();
    await manager.start({ type: 'logs.start', id: 'r2', streamId: 's2', source: 'app', backfill: 0 }, marker);
    await appendFile(file, 'GET /f 500\n');
    await waitFor(() => linesOf(marker.frames).includes('GET /f 500'), 3000, 'marker stream');
    expect(linesOf(sink.frames)).toHaveLength(3);
  });

  it('applies a case-insensitive regex filter', async () => {
    const sink = collectingSink();
    await manager.start(
      {
        type: 'logs.start',
        id: 'r1',
        streamId: 's1',
        source: 'app',
        backfill: 10,
        filter: { pattern: '^post', regex: true, ignoreCase: true },
      },
      sink,
    );
    await waitFor(() => linesOf(sink.frames).length === 1, 3000, 'filtered backfill');
    expect(linesOf(sink.frames)).toEqual(['POST /c 500']);
  });

  it('answers invalid_message for an invalid regex, unknown_source and not_found', async () => {
    const sink = collectingSink();
    await manager.start(
      {
        type: 'logs.start',
        id: 'r1',
        streamId: 's1',
        source: 'app',
        backfill: 0,
        filter: { pattern: '(', regex: true, ignoreCase: false },
      },
      sink,
    );
    await manager.start(
      { type: 'logs.start', id: 'r2', streamId: 's2', source: 'journal', backfill: 0 },
      sink,
    );
    await manager.start({ type: 'logs.start', id: 'r3', streamId: 's3', source: 'gone', backfill: 0 }, sink);
    expect(sink.frames.map((f) => (f.type === 'error' ? [f.id, f.code] : f.type))).toEqual([
      ['r1', 'invalid_message'],
      ['r2', 'unknown_source'],
      ['r3', 'not_found'],
    ]);
    expect(manager.active).toBe(0);
  });
});

describe('LogManager under hostile requests', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let manager: LogManager;
  let file: string;
  beforeEach(async () => {
    tmp = await createTempDir();
    file = path.join(tmp.dir, 'app.log');
    // Lines that make a backtracking engine explode on ^(a+)+$ (exponential in the run of a's).
    await writeFile(file, `${'a'.repeat(5000)}!\n`.repeat(50));
    const config = LogsConfig.parse({ batchMs: 20, sources: [{ name: 'app', kind: 'file', path: file }] });
    manager = new LogManager(config, { journald: false, docker: false }, silentLogger);
  });
  afterEach(async () => {
    manager.stopAll();
    await tmp.remove();
  });

  it('runs a catastrophic-backtracking pattern in linear time and keeps following', async () => {
    const sink = collectingSink();
    await manager.start(
      {
        type: 'logs.start',
        id: 'r1',
        streamId: 's1',
        source: 'app',
        backfill: 50,
        filter: { pattern: '^(a+)+$', regex: true, ignoreCase: false },
      },
      sink,
    );
    expect(sink.frames[0]).toEqual({ type: 'ack', id: 'r1' });
    await appendFile(file, 'aaaa\n');
    await waitFor(() => linesOf(sink.frames).includes('aaaa'), 5000, 'the matching line');
    expect(linesOf(sink.frames)).toEqual(['aaaa']);
  });

  it('refuses patterns it cannot run in linear time (backreferences, lookarounds)', async () => {
    const sink = collectingSink();
    for (const [i, pattern] of ['(a)\\1', '(?=a)b', '(?<!a)b'].entries()) {
      await manager.start(
        {
          type: 'logs.start',
          id: `r${i}`,
          streamId: `s${i}`,
          source: 'app',
          backfill: 0,
          filter: { pattern, regex: true, ignoreCase: false },
        },
        sink,
      );
    }
    expect(sink.frames.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual([
      'invalid_message',
      'invalid_message',
      'invalid_message',
    ]);
    expect(manager.readersOpen).toBe(0);
  });

  it('shares one reader per source and refuses streams past the per-source cap', async () => {
    const sink = collectingSink();
    for (let i = 0; i < MAX_STREAMS_PER_SOURCE + 3; i++) {
      await manager.start(
        {
          type: 'logs.start',
          id: `r${i}`,
          streamId: `s${i}`,
          source: 'app',
          backfill: 1,
          filter: { pattern: `x${i}`, regex: false, ignoreCase: false },
        },
        sink,
      );
    }
    const answers = sink.frames.filter((f) => f.type === 'ack' || f.type === 'error');
    expect(answers.filter((f) => f.type === 'ack')).toHaveLength(MAX_STREAMS_PER_SOURCE);
    expect(answers.filter((f) => f.type === 'error').map((f) => f.type === 'error' && f.code)).toEqual([
      'limit_reached',
      'limit_reached',
      'limit_reached',
    ]);
    expect(manager.active).toBe(MAX_STREAMS_PER_SOURCE);
    expect(manager.readersOpen).toBe(1);
    manager.stopAll();
    expect(manager.readersOpen).toBe(0);
  });

  it('gives a stream that joins a running reader its backfill from the kept lines', async () => {
    const sink = collectingSink();
    const start = (id: string, backfill: number) =>
      manager.start({ type: 'logs.start', id, streamId: id, source: 'app', backfill }, sink);
    await start('first', 0);
    await appendFile(file, 'one\ntwo\n');
    await waitFor(() => linesOf(sink.frames).length === 2, 3000, 'live lines');
    await start('second', 1);
    await waitFor(() => linesOf(sink.frames).length === 3, 3000, 'backfill of the second stream');
    const second = sink.frames.filter((f): f is Lines => f.type === 'logs.lines' && f.streamId === 'second');
    expect(second.flatMap((f) => f.lines.map((l) => l.line))).toEqual(['two']);
    expect(manager.readersOpen).toBe(1);
  });
});

describe('LineBatcher', () => {
  it('rate-limits live lines and reports the excess as dropped', () => {
    const sink = collectingSink();
    const batcher = new LineBatcher({
      streamId: 's',
      accept: () => true,
      linesPerSecond: 50,
      batchMs: 20,
      maxFrameBytes: sink.maxFrameBytes,
      emit: (text) => sink.sendText(text),
    });
    for (let i = 0; i < 500; i++) batcher.push(`line ${i}`);
    batcher.close();
    const frames = sink.frames as Lines[];
    expect(linesOf(frames)).toHaveLength(50);
    expect(frames.reduce((n, f) => n + (f.dropped ?? 0), 0)).toBe(450);
  });

  it('lets backfill through, truncates long lines and keeps every frame under the size limit', () => {
    const sink = collectingSink(16 * 1024);
    const batcher = new LineBatcher({
      streamId: 's',
      accept: () => true,
      linesPerSecond: 1,
      batchMs: 1000,
      maxFrameBytes: sink.maxFrameBytes,
      emit: (text) => sink.sendText(text),
    });
    for (let i = 0; i < 20; i++) batcher.push('x'.repeat(MAX_LOG_LINE_LENGTH + 100), Date.now(), true);
    batcher.close();
    const lines = linesOf(sink.frames);
    expect(lines).toHaveLength(20);
    expect(lines[0]?.startsWith('x'.repeat(MAX_LOG_LINE_LENGTH))).toBe(true);
    expect(lines[0]?.length).toBeLessThanOrEqual(MAX_LOG_LINE_LENGTH + 16);
    expect(sink.frames.length).toBeGreaterThan(1);
  });
});

// Tests of the journald and docker log readers: journal JSON lines, and the Docker Engine API of a real engine (Podman).
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../containers/engine-client.js';
import { TEST_ENGINE_SOCKET, TestEngine, skipWithoutEngine } from '../test-support/engine.js';
import { waitFor } from '../test-support/fixtures.js';
import { startContainerTail } from './container-tail.js';
import { demultiplexDocker, parseDockerLine, startDockerTail } from './docker-tail.js';
import { parseJournalLine } from './journald-tail.js';

function dockerFrame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('journald lines', () => {
  it('reads MESSAGE and the realtime timestamp, including byte-array messages', () => {
    expect(parseJournalLine('{"MESSAGE":"hello","__REALTIME_TIMESTAMP":"1700000000123456"}')).toEqual({
      line: 'hello',
      ts: 1700000000123,
    });
    expect(parseJournalLine('{"MESSAGE":[104,105],"__REALTIME_TIMESTAMP":"1700000000000000"}')?.line).toBe(
      'hi',
    );
    expect(parseJournalLine('not json')).toBeUndefined();
  });
});

describe('docker logs', () => {
  it('demultiplexes 8-byte frame headers and keeps an incomplete frame for later', () => {
    const all = Buffer.concat([dockerFrame(1, 'out\n'), dockerFrame(2, 'err\n')]);
    const first = demultiplexDocker(all.subarray(0, 15));
    expect(first.payloads.map(String)).toEqual(['out\n']);
    expect(first.rest).toHaveLength(3);
    expect(demultiplexDocker(Buffer.concat([first.rest, all.subarray(15)])).payloads.map(String)).toEqual([
      'err\n',
    ]);
    expect(parseDockerLine('2024-05-01T10:00:00.123456789Z hello world')).toEqual({
      line: 'hello world',
      ts: Date.parse('2024-05-01T10:00:00.123Z'),
    });
  });
});

describe('docker logs (real engine)', async () => {
  const skip = await skipWithoutEngine();
  const engine = new TestEngine();
  afterAll(() => engine.removeAll());

  it.skipIf(skip)(
    'follows a container through the Engine API on its unix socket: backfill, live lines, end',
    async () => {
      const name = engine.uniqueName('tail');
      await engine.run(name, { cmd: ['sh', '-c', 'echo old line; read x; echo new line >&2; sleep 600'] });
      await waitFor(async () => (await engine.inspect(name)).State.Status === 'running', 10_000, 'running');
      const lines: [string, boolean][] = [];
      const ended: string[] = [];
      // Backfill: the line written before the tail started.
      await waitFor(
        async () => {
          lines.length = 0;
          const probe = startDockerTail(
            name,
            5,
            { onLine: (l, _t, b) => lines.push([l, b]), onEnd: () => {} },
            TEST_ENGINE_SOCKET,
          );
          await new Promise((r) => setTimeout(r, 200));
          probe.stop();
          return lines.some(([l]) => l === 'old line');
        },
        10_000,
        'old line in the log',
      );
      lines.length = 0;
      const tail = startDockerTail(
        name,
        5,
        { onLine: (line, _ts, backfill) => lines.push([line, backfill]), onEnd: (r) => ended.push(r) },
        TEST_ENGINE_SOCKET,
      );
      await waitFor(() => lines.length >= 1, 10_000, 'backfill');
      expect(lines[0]).toEqual(['old line', true]);
      await engine.action(name, 'kill');
      await waitFor(() => ended.length === 1, 10_000, 'stream end when the container stops');
      tail.stop();
      expect(ended[0]).toContain(name);
    },
  );

  it.skipIf(skip)('answers a missing container with the engine status and ends the tail', async () => {
    const ended: string[] = [];
    startDockerTail(
      engine.uniqueName('missing'),
      5,
      { onLine: () => {}, onEnd: (r) => ended.push(r) },
      TEST_ENGINE_SOCKET,
    );
    await waitFor(() => ended.length === 1, 5000, 'end');
    expect(ended[0]).toMatch(/HTTP 404/);
  });

  it.skipIf(skip)(
    'follows container:<name> across a stop and a restart without repeating lines',
    async () => {
      const name = engine.uniqueName('restart');
      await engine.run(name, { cmd: ['sh', '-c', 'echo boot $(date +%s%N); sleep 600'] });
      const client = new EngineClient(TEST_ENGINE_SOCKET);
      const lines: string[] = [];
      const ended: string[] = [];
      const tail = await startContainerTail(
        client,
        name,
        100,
        { onLine: (line) => lines.push(line), onEnd: (r) => ended.push(r) },
        100,
      );
      await waitFor(() => lines.length === 1, 10_000, 'first boot line');
      await engine.action(name, 'stop');
      await engine.action(name, 'start');
      await waitFor(() => lines.length === 2, 15_000, 'the boot line after the restart');
      expect(lines.every((l) => l.startsWith('boot '))).toBe(true);
      expect(new Set(lines).size).toBe(2);
      await engine.remove(name);
      await waitFor(() => ended.length === 1, 15_000, 'end once the container is removed');
      expect(ended[0]).toContain('removed');
      tail.stop();
    },
  );

  it.skipIf(skip)('refuses container:<name> for a container that does not exist', async () => {
    await expect(
      startContainerTail(new EngineClient(TEST_ENGINE_SOCKET), engine.uniqueName('nope'), 5, {
        onLine: () => {},
        onEnd: () => {},
      }),
    ).rejects.toThrow(/no container named/);
  });
});

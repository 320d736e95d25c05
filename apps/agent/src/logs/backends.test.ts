// Tests of the journald and docker log readers: journal JSON lines, and the Docker API over a real unix socket.
import { createServer } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDir, waitFor } from '../test-support/fixtures.js';
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
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  beforeEach(async () => {
    tmp = await createTempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

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

  it('follows a container through the Engine API on a unix socket', async () => {
    const socketPath = path.join(tmp.dir, 'docker.sock');
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
      res.write(dockerFrame(1, '2024-05-01T10:00:00.000000000Z old line\n'));
      setTimeout(
        () => res.end(dockerFrame(2, `${new Date(Date.now() + 1000).toISOString()} new line\n`)),
        50,
      );
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const lines: [string, boolean][] = [];
    const ended: string[] = [];
    const tail = startDockerTail(
      'web',
      5,
      { onLine: (line, _ts, backfill) => lines.push([line, backfill]), onEnd: (r) => ended.push(r) },
      socketPath,
    );
    await waitFor(() => ended.length === 1, 3000, 'stream end');
    tail.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(requests[0]).toBe('/containers/web/logs?follow=1&stdout=1&stderr=1&timestamps=1&tail=5');
    expect(lines).toEqual([
      ['old line', true],
      ['new line', false],
    ]);
  });
});

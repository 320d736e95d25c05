/** @module logs/docker-tail — follows a container's logs through the Docker Engine API on its unix socket. */
import type { ClientRequest } from 'node:http';
import type { LogTail, TailHandlers } from './file-tail.js';

/** Where the Docker Engine API listens. */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Splits Docker's multiplexed log stream: each frame is an 8-byte header (stream type, 3 zero bytes,
 * big-endian uint32 length) followed by that many payload bytes. Returns the payloads and the unused tail.
 */
export function demultiplexDocker(buffer: Buffer): { payloads: Buffer[]; rest: Buffer } {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 8) {
    const size = buffer.readUInt32BE(offset + 4);
    if (buffer.length - offset - 8 < size) break;
    payloads.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return { payloads, rest: buffer.subarray(offset) };
}

/** Splits `2024-01-01T00:00:00.123456789Z message` (timestamps=1) into ts (ms) and message. */
export function parseDockerLine(line: string): { line: string; ts: number } {
  const space = line.indexOf(' ');
  const ts = space > 0 ? Date.parse(line.slice(0, space)) : NaN;
  return Number.isFinite(ts) ? { line: line.slice(space + 1), ts } : { line, ts: Date.now() };
}

/** Where a docker tail starts: `since` (UNIX seconds, fractions allowed) instead of the last lines. */
export interface DockerTailOptions {
  since?: string;
}

/** Follows `container` (its last `backfill` lines first). TTY containers send a raw stream, others a multiplexed one. */
export function startDockerTail(
  container: string,
  backfill: number,
  handlers: TailHandlers,
  socketPath = DOCKER_SOCKET,
  options: DockerTailOptions = {},
): LogTail {
  let stopped = false;
  const end = (reason: string): void => {
    if (!stopped) handlers.onEnd(reason);
    stopped = true;
  };
  const query =
    options.since === undefined
      ? `follow=1&stdout=1&stderr=1&timestamps=1&tail=${backfill}`
      : `follow=1&stdout=1&stderr=1&timestamps=1&since=${encodeURIComponent(options.since)}`;
  const startedAt = Date.now();
  let req: ClientRequest | undefined;
  // node:http is loaded by the first docker tail, not at start (≈ 2 MB of RSS in the executable).
  void import('node:http').then(
    ({ request }) => {
      if (stopped) return;
      req = request(
        { socketPath, path: `/containers/${encodeURIComponent(container)}/logs?${query}`, method: 'GET' },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            return end(`docker answered HTTP ${res.statusCode ?? 0} for container ${container}`);
          }
          const multiplexed = !String(res.headers['content-type'] ?? '').includes('raw-stream');
          let pending = Buffer.alloc(0);
          let partial = '';
          const text = (chunk: string): void => {
            const parts = (partial + chunk).split('\n');
            partial = parts.pop() ?? '';
            for (const part of parts) {
              const parsed = parseDockerLine(part.endsWith('\r') ? part.slice(0, -1) : part);
              handlers.onLine(parsed.line, parsed.ts, parsed.ts < startedAt);
            }
          };
          res.on('data', (chunk: Buffer) => {
            if (!multiplexed) return text(chunk.toString('utf8'));
            const { payloads, rest } = demultiplexDocker(
              pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk,
            );
            pending = Buffer.from(rest);
            for (const payload of payloads) text(payload.toString('utf8'));
          });
          res.on('end', () => end(`docker closed the log stream of ${container}`));
          res.on('error', (error) => end(`docker log stream failed: ${error.message}`));
        },
      );
      req.on('error', (error) => end(`cannot reach docker: ${error.message}`));
      req.end();
    },
    (error: Error) => end(`cannot reach docker: ${error.message}`),
  );
  return {
    stop(): void {
      stopped = true;
      req?.destroy();
    },
  };
}

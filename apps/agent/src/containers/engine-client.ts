/**
 * @module containers/engine-client — the Docker Engine API (Docker or Podman's compatible socket) over a
 * unix socket with plain node:http: no SDK, so it also runs in the `bun build --compile` binary (Bun's
 * node:http honours `socketPath`). Every request has a deadline; nothing here retries.
 */
import { request, type IncomingMessage } from 'node:http';

/** The API version asked for: Docker ≥ 20.10 and Podman ≥ 3 answer it. */
export const ENGINE_API_VERSION = 'v1.41';
/** Where the engine listens unless the config or DOCKER_HOST says otherwise. */
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';
/** Largest JSON answer read (a list of 500 containers is about 1 MB). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** An answer of the engine that is not 2xx, or a transport failure (`status` 0). */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** `unix:///run/docker.sock` → `/run/docker.sock`; anything else (tcp://, ssh://) → undefined. */
export function socketFromDockerHost(value: string | undefined): string | undefined {
  if (!value?.startsWith('unix://')) return undefined;
  const socket = value.slice('unix://'.length);
  return socket.startsWith('/') ? socket : undefined;
}

export interface EngineRequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  timeoutMs?: number;
  /** A JSON request body. */
  body?: unknown;
  /** Send the path as given, without the API version prefix (Podman's own `/v4.0.0/libpod/…`). */
  rawPath?: boolean;
}

/** A small client of the Engine API on one unix socket. */
export class EngineClient {
  constructor(
    readonly socketPath: string,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  /** The versioned path of an API call (`/containers/json` → `/v1.41/containers/json`). */
  path(apiPath: string): string {
    return `/${ENGINE_API_VERSION}${apiPath}`;
  }

  /** Sends a request and parses the JSON answer (undefined for an empty body, e.g. 204). */
  async json<T>(apiPath: string, options: EngineRequestOptions = {}): Promise<T> {
    const res = await this.open(apiPath, options);
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const body = await readBody(res, timeoutMs);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      let message = body.toString('utf8').slice(0, 300);
      try {
        const parsed = (JSON.parse(message) as { message?: unknown }).message;
        if (typeof parsed === 'string') message = parsed;
      } catch {
        // Not JSON: keep the text.
      }
      throw new EngineError(`engine answered HTTP ${status}: ${message}`, status);
    }
    return (body.length === 0 ? undefined : JSON.parse(body.toString('utf8'))) as T;
  }

  /**
   * Opens a request and resolves with the response once its headers arrived (streams: logs). The
   * deadline covers connecting and the headers only; the caller reads or destroys the body.
   */
  open(apiPath: string, options: EngineRequestOptions = {}): Promise<IncomingMessage> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const req = request({
        socketPath: this.socketPath,
        path: options.rawPath ? apiPath : this.path(apiPath),
        method: options.method ?? 'GET',
        headers: {
          host: 'docker',
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new EngineError(`engine did not answer within ${timeoutMs} ms`, 0, 'ETIMEDOUT'));
      }, timeoutMs);
      req.on('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new EngineError(`cannot reach the engine at ${this.socketPath}: ${error.message}`, 0, error.code),
        );
      });
      req.end(body);
    });
  }
}

function readBody(res: IncomingMessage, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      res.destroy();
      reject(new EngineError(`engine answer took longer than ${timeoutMs} ms`, 0, 'ETIMEDOUT'));
    }, timeoutMs);
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        res.destroy();
        reject(new EngineError('engine answer too large', 0, 'E2BIG'));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    res.on('error', (error) => {
      clearTimeout(timer);
      reject(new EngineError(`engine answer failed: ${error.message}`, 0));
    });
  });
}

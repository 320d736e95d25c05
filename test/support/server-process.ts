/** @module test/support/server-process — runs the real `hostwire-server` program (built dist) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../apps/api/dist/bin.js',
);

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  wsUrl: string;
  /** Everything the process wrote. */
  output(): string;
  /** SIGKILL: no shutdown runs, as when a machine dies. */
  kill(): Promise<void>;
}

/** Starts hostwire-server on an ephemeral port with `env`; resolves once it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hostwire-server-'));
  const child = spawn(process.execPath, [SERVER_BIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hostwire-server did not start: ${output}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const listening = /"url":"(http:\/\/[^"]+)"[^\n]*Hostwire listening/.exec(output);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    });
    void exited.then(() => reject(new Error(`hostwire-server exited: ${output}`)));
  });
  return {
    child,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    output: () => output,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

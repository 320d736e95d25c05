/** @module test/support/agent-process — runs the real `hostwire-agent` program (built dist) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../apps/agent/dist/bin.js',
);

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs `hostwire-agent <args>` to completion. */
export function runAgentCommand(
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hostwire-agent ${args[0]} timed out: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Enrolls into a fresh config file, then applies `edit` to the written config. */
export async function enrollAgent(
  serverUrl: string,
  enrollmentToken: string,
  edit: (config: Record<string, unknown>) => void = () => undefined,
): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-agent-'));
  const configPath = path.join(dir, 'agent.json');
  const result = await runAgentCommand([
    'enroll',
    '--server',
    serverUrl,
    '--token',
    enrollmentToken,
    '--config',
    configPath,
  ]);
  if (result.code !== 0) throw new Error(`enroll failed (${result.code}): ${result.stderr}`);
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  return configPath;
}

/** Starts `hostwire-agent run` in the background. */
export function startAgent(configPath: string): AgentProcess {
  const child = spawn(process.execPath, [AGENT_BIN, 'run', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

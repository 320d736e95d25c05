/** @module test/chaos/lib/agents — real hostwire-agent processes (built dist): enroll, run, kill, read their status file. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './server.js';
import { rssMiB, type Proc, type Scope } from './scope.js';

const AGENT_BIN = path.join(REPO_ROOT, 'apps/agent/dist/bin.js');
const run = promisify(execFile);

/** What the agent writes to `<stateDir>/status.json` (docs/agent.md, "Status"): the fields the suite reads. */
export interface AgentStatusFile {
  pid: number;
  connected: boolean;
  reconnects: number;
  lastSeq: number;
  bufferedSamples: number;
  lastError: string | null;
  stopped?: boolean;
}

export interface AgentHandle {
  name: string;
  hostId: string;
  configPath: string;
  stateDir: string;
  proc: Proc | undefined;
  start(): Proc;
  kill9(): Promise<void>;
  /** SIGTERM: the agent closes its socket and writes its final status. */
  stop(): Promise<void>;
  status(): AgentStatusFile | undefined;
  rss(): number;
}

/** Agent settings the suite uses: no log sources unless asked, a 5 s reconnect cap so heal times stay short. */
function chaosDefaults(config: Record<string, unknown>): void {
  config.logs = { sources: [] };
  config.connection = { backoffInitialMs: 500, backoffMaxMs: 5000 };
  const metrics = (config.metrics ?? {}) as Record<string, unknown>;
  config.metrics = { ...metrics, intervalMs: 1000 };
}

/**
 * Enrolls with the real `hostwire-agent enroll` into a config in its own temp dir, then applies the
 * suite's defaults and `edit`. Does not start it.
 */
export async function enrollAgent(
  scope: Scope,
  options: {
    name: string;
    server: string;
    hostId: string;
    enrollmentToken: string;
    edit?: (config: Record<string, unknown>) => void;
  },
): Promise<AgentHandle> {
  const dir = scope.tempDir(`agent-${options.name}`);
  const configPath = path.join(dir, 'agent.json');
  const { stderr } = await run(
    process.execPath,
    [
      AGENT_BIN,
      'enroll',
      '--server',
      options.server,
      '--token',
      options.enrollmentToken,
      '--config',
      configPath,
    ],
    { timeout: 30_000 },
  ).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`enroll ${options.name} failed: ${error.stderr ?? error.message}`);
  });
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  if (config.hostId !== options.hostId) throw new Error(`enroll ${options.name}: wrong host id (${stderr})`);
  chaosDefaults(config);
  options.edit?.(config);
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  const stateDir =
    typeof config.stateDir === 'string' ? path.resolve(dir, config.stateDir) : path.join(dir, 'state');
  const agent: AgentHandle = {
    name: options.name,
    hostId: options.hostId,
    configPath,
    stateDir,
    proc: undefined,
    start() {
      if (agent.proc?.alive()) throw new Error(`${options.name} is already running`);
      agent.proc = scope.spawn(`agent ${options.name}`, process.execPath, [
        AGENT_BIN,
        'run',
        '--config',
        configPath,
      ]);
      return agent.proc;
    },
    kill9: async () => agent.proc?.kill9(),
    stop: async () => agent.proc?.stop(),
    status() {
      try {
        return JSON.parse(readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as AgentStatusFile;
      } catch {
        return undefined;
      }
    },
    rss: () => (agent.proc ? rssMiB(agent.proc.pid) : 0),
  };
  return agent;
}

/** Creates `count` hosts through `api` and enrolls one agent for each, `parallel` at a time. */
export async function enrollFleet(
  scope: Scope,
  api: { createHost(name: string): Promise<{ hostId: string; enrollmentToken: string }> },
  server: string,
  count: number,
  prefix: string,
  edit?: (config: Record<string, unknown>) => void,
  parallel = 4,
): Promise<AgentHandle[]> {
  const agents: AgentHandle[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, async (_, j) => {
      const name = `${prefix}-${i + j + 1}`;
      const host = await api.createHost(name);
      return enrollAgent(scope, { name, server, ...host, ...(edit ? { edit } : {}) });
    });
    agents.push(...(await Promise.all(batch)));
  }
  return agents;
}

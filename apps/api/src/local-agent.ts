/** @module local-agent — under `npm start`: enrolls this machine once an organization exists and runs its agent. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { AppContext } from './context.js';

const POLL_MS = 1000;
/** Agent exit codes after which restarting cannot help (token refused, revoked, replaced, bad config). */
const FINAL_EXIT_CODES = new Set([5, 6, 7, 8]);

function agentBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@hostwire/agent/package.json')), 'dist', 'bin.js');
}

/**
 * Waits for the first organization, creates a host for this machine in it, enrolls it through the real
 * `hostwire-agent enroll` and keeps `hostwire-agent run` going. Returns a stopper.
 */
export function startLocalAgent(ctx: AppContext, serverUrl: string): { stop(): Promise<void> } {
  const dir = path.join(ctx.config.dataDir, 'local-agent');
  const configPath = path.join(dir, 'agent.json');
  const log = ctx.logger.child({ component: 'local-agent' });
  let child: ChildProcess | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const runNode = (args: string[], stdout: 'inherit' | 'pipe' = 'inherit'): ChildProcess =>
    spawn(process.execPath, [agentBin(), ...args], { stdio: ['ignore', stdout, 'inherit'] });

  function run(): void {
    if (stopped) return;
    log.info({ configPath }, 'starting the local agent');
    child = runNode(['run', '--config', configPath]);
    child.on('exit', (code) => {
      child = undefined;
      if (stopped) return;
      if (code !== null && FINAL_EXIT_CODES.has(code)) {
        log.warn(
          { code },
          'the local agent stopped for good (host deleted or token revoked); delete data/local-agent to enroll again',
        );
        return;
      }
      timer = setTimeout(run, 5000);
    });
  }

  async function enrollWhenReady(): Promise<void> {
    if (stopped) return;
    if (existsSync(configPath)) return run();
    const organizationId = await ctx.domain.hosts.firstOrganizationId();
    if (!organizationId) {
      timer = setTimeout(() => void enrollWhenReady().catch(report), POLL_MS);
      return;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { enrollmentToken } = await ctx.domain.hosts.create(organizationId, os.hostname(), {
      userId: null,
      ip: null,
    });
    // The server starts the agent itself: enroll's "start the agent with…" advice is not for this user.
    const enroll = runNode(
      ['enroll', '--server', serverUrl, '--token', enrollmentToken, '--config', configPath],
      'pipe',
    );
    let said = '';
    enroll.stdout?.on('data', (chunk: Buffer) => (said = (said + chunk.toString('utf8')).slice(-2000)));
    enroll.on('exit', (code) => {
      log.debug({ output: said.trim() }, 'local agent enrolled');
      if (code === 0) run();
      else log.error({ code }, 'enrolling the local agent failed');
    });
  }

  function report(error: unknown): void {
    log.error({ err: error }, 'local agent supervisor failed');
  }

  void enrollWhenReady().catch(report);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const running = child;
      if (!running) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => running.kill('SIGKILL'), 5000);
        running.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        running.kill('SIGTERM');
      });
    },
  };
}

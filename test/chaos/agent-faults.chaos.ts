// Group 4 — faults on the agent's side: killed mid-replay, server down for a minute, a full or
// unwritable state dir, a catastrophic log filter and a flood of tails.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { waitFor } from '@hostwire/protocol/testing';
import { enrollFleet, type AgentHandle } from './lib/agents.js';
import { POLL_MS, stopAndAccount, waitCaughtUp, waitStatuses } from './lib/checks.js';
import { connectClient } from './lib/client.js';
import { check, runExperiment, type Figures } from './lib/experiment.js';
import { canMount, fillUp, mountTmpfs, remount } from './lib/mounts.js';
import { freePort, sleep, type Scope } from './lib/scope.js';
import { setupOwner, startServerProcess, type ApiClient, type ServerProcess } from './lib/server.js';
import { openSqliteReader, seqReport, type StoreReader } from './lib/store.js';

interface Single {
  server: ServerProcess;
  store: StoreReader;
  api: ApiClient;
}

async function single(scope: Scope, env: Record<string, string> = {}): Promise<Single> {
  const dataDir = scope.tempDir('agent-faults');
  const server = await startServerProcess(scope, { name: 'server', port: await freePort(), dataDir, env });
  return {
    server,
    store: openSqliteReader(path.join(dataDir, 'hostwire.db')),
    api: await setupOwner(server.url),
  };
}

async function oneAgent(
  scope: Scope,
  s: Single,
  name: string,
  edit?: (config: Record<string, unknown>) => void,
): Promise<AgentHandle> {
  const [agent] = await enrollFleet(scope, s.api, s.server.url, 1, name, edit);
  if (!agent) throw new Error('no agent');
  return agent;
}

async function account(figures: Figures, s: Single, agents: AgentHandle[]): Promise<void> {
  const result = await stopAndAccount(s.store, agents);
  Object.assign(figures, {
    generated: result.generated,
    stored: result.stored,
    lost: result.lost,
    duplicated: result.duplicated,
  });
  figures.problems.push(...result.problems);
}

const storedOf = async (s: Single, agent: AgentHandle) => (await seqReport(s.store, [agent.hostId]))[0];
const openFds = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};

describe('4. agent faults', () => {
  it('loses nothing when the agent is killed with SIGKILL in the middle of replaying its outbox', async () => {
    await runExperiment(4, 'agent kill -9 mid-replay', async (scope, figures) => {
      // Small frames and a low message rate make the replay of a 20 s backlog take several seconds.
      const s = await single(scope, { WS_MAX_PAYLOAD_BYTES: '16384', WS_MESSAGES_PER_SECOND: '4' });
      const agent = await oneAgent(scope, s, 'replay', (config) => {
        config.metrics = { ...(config.metrics as object), intervalMs: 250 };
      });
      agent.start();
      await waitCaughtUp(s.store, [agent], 30_000);
      figures.rssBeforeMiB = agent.rss();
      await s.server.kill9();
      await sleep(20_000); // 4 samples a second into the outbox
      const before = (await storedOf(s, agent))?.maxSeq ?? 0;
      await s.server.restart();
      await waitFor(
        async () => ((await storedOf(s, agent))?.maxSeq ?? 0) >= before + 10,
        30_000,
        'the replay to begin',
        POLL_MS,
      );
      const backlog = agent.status()?.bufferedSamples ?? 0;
      await agent.kill9();
      check(figures, backlog > 10, `the replay was over before the kill (${backlog} buffered)`);
      agent.start();
      figures.healSeconds = await waitCaughtUp(s.store, [agent], 60_000);
      figures.rssAfterMiB = agent.rss();
      await account(figures, s, [agent]);
      figures.notes = `killed with ≈${backlog} samples still to replay; agent RSS in MiB`;
    });
  });

  it('delivers every sample after the server was down for 60 s', async () => {
    await runExperiment(4, 'server down 60 s', async (scope, figures) => {
      const s = await single(scope);
      const agent = await oneAgent(scope, s, 'outage');
      agent.start();
      await waitCaughtUp(s.store, [agent], 30_000);
      figures.rssBeforeMiB = agent.rss();
      await s.server.kill9();
      await sleep(60_000);
      const t0 = Date.now();
      await s.server.restart();
      figures.healSeconds = await waitCaughtUp(s.store, [agent], 60_000, t0);
      figures.rssAfterMiB = agent.rss();
      await account(figures, s, [agent]);
      figures.notes = 'heal includes the agent’s reconnect backoff (capped at 5 s here, 60 s by default)';
    });
  });

  it('keeps sending live samples while its state dir is full, and buffers again once space returns', async () => {
    await runExperiment(4, 'full disk under the state dir', async (scope, figures) => {
      if (!canMount(scope)) throw new Error('cannot mount a tmpfs here (needs root)');
      const s = await single(scope);
      const agent = await oneAgent(scope, s, 'full');
      mountTmpfs(scope, agent.stateDir, 4096);
      agent.start();
      await waitCaughtUp(s.store, [agent], 30_000);
      figures.rssBeforeMiB = agent.rss();
      const filler = path.join(agent.stateDir, 'filler');
      fillUp(filler);
      const atFull = (await storedOf(s, agent))?.maxSeq ?? 0;
      // Not blinded: new samples keep arriving while nothing can be written.
      const live = await waitFor(
        async () => ((await storedOf(s, agent))?.maxSeq ?? 0) >= atFull + 5,
        15_000,
        'live samples while the disk is full',
        POLL_MS,
      ).then(
        () => true,
        () => false,
      );
      check(figures, live, `no new sample stored in 15 s with a full state dir (stored up to ${atFull})`);
      check(
        figures,
        /no space|disk.*full|ENOSPC|full/i.test(agent.proc?.output() ?? ''),
        'the agent did not say its disk is full',
      );
      rmSync(filler);
      const t0 = Date.now();
      // Space is back: the outbox works again, so a server outage loses nothing.
      await waitCaughtUp(s.store, [agent], 30_000, t0);
      await s.server.kill9();
      await sleep(5000);
      await s.server.restart();
      await waitCaughtUp(s.store, [agent], 60_000);
      figures.healSeconds = Math.round((Date.now() - t0) / 100) / 10;
      figures.rssAfterMiB = agent.rss();
      await account(figures, s, [agent]);
      figures.notes = `4 MiB tmpfs filled; live samples while full: ${live ? 'yes' : 'no'}; heal = space back → buffered outage replayed`;
    });
  });

  it('refuses an unwritable state dir at start with a clear message and exit code, then runs once it is writable', async () => {
    await runExperiment(4, 'unwritable state dir at start', async (scope, figures) => {
      if (!canMount(scope)) throw new Error('cannot mount a tmpfs here (needs root)');
      const s = await single(scope);
      const agent = await oneAgent(scope, s, 'readonly');
      mountTmpfs(scope, agent.stateDir, 1024, true);
      const proc = agent.start();
      const exit = await Promise.race([proc.exited, sleep(15_000).then(() => undefined)]);
      const output = proc.output();
      check(figures, exit !== undefined, 'the agent kept running with an unwritable state dir');
      check(
        figures,
        exit?.code !== 0 && exit?.code !== 1,
        `exit code ${String(exit?.code)} (1 is an internal error)`,
      );
      check(figures, !/^\s+at /m.test(output), `a stack trace instead of a message: ${output.slice(0, 300)}`);
      check(figures, output.includes(agent.stateDir), 'the message does not name the state dir');
      remount(agent.stateDir, false);
      const t0 = Date.now();
      agent.start();
      figures.healSeconds = await waitCaughtUp(s.store, [agent], 30_000, t0);
      await account(figures, s, [agent]);
      figures.notes = `exit code ${String(exit?.code)}; "${output.trim().split('\n').at(-1)?.slice(0, 120) ?? ''}"`;
    });
  });

  it('keeps sampling and answering whatever log filter a viewer asks for', async () => {
    await runExperiment(4, 'catastrophic regex log filter', async (scope, figures) => {
      const s = await single(scope);
      const logFile = path.join(scope.tempDir('redos'), 'app.log');
      writeFileSync(logFile, `${'a'.repeat(40)}!\n`.repeat(50));
      const agent = await oneAgent(scope, s, 'redos', (config) => {
        config.logs = { sources: [{ name: 'app', kind: 'file', path: logFile }] };
      });
      agent.start();
      await waitCaughtUp(s.store, [agent], 30_000);
      const client = await connectClient(s.api);
      // A refusal (error) or a tail that runs in linear time are both fine; silence is not.
      const answer = await client
        .request({
          type: 'logs.subscribe',
          hostId: agent.hostId,
          source: 'app',
          backfill: 50,
          filter: { pattern: '^(a+)+$', regex: true },
        })
        .catch((): Record<string, unknown> => ({ type: 'no answer in 10 s' }));
      check(figures, answer.type !== 'no answer in 10 s', 'logs.subscribe got no answer within 10 s');
      const t0 = Date.now();
      const before = (await storedOf(s, agent))?.maxSeq ?? 0;
      const alive = await waitFor(
        async () => ((await storedOf(s, agent))?.maxSeq ?? 0) >= before + 8,
        20_000,
        'samples after the filter',
        POLL_MS,
      ).then(
        () => true,
        () => false,
      );
      check(figures, alive, `the agent stopped sampling after the filter (answer ${JSON.stringify(answer)})`);
      await client.close();
      const stopStarted = Date.now();
      await agent.proc?.stop(5000);
      const exit = await agent.proc?.exited;
      check(figures, exit?.signal !== 'SIGKILL', 'the agent ignored SIGTERM and had to be killed');
      figures.healSeconds = Math.round((Date.now() - t0) / 100) / 10;
      const report = await storedOf(s, agent);
      check(figures, report?.gaps === 0, `${String(report?.gaps)} seqs missing`);
      Object.assign(figures, { stored: report?.stored, lost: report?.gaps, duplicated: report?.duplicates });
      figures.notes = `subscribe answered ${String(answer.type)}${answer.code === undefined ? '' : ` ${JSON.stringify(answer.code)}`}; stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`;
    });
  });

  it('bounds the tails one viewer can open on an agent', async () => {
    await runExperiment(4, '200 tails from one viewer', async (scope, figures) => {
      const s = await single(scope);
      const logFile = path.join(scope.tempDir('tails'), 'app.log');
      writeFileSync(logFile, 'one line\n');
      const agent = await oneAgent(scope, s, 'tails', (config) => {
        config.logs = { sources: [{ name: 'app', kind: 'file', path: logFile }] };
      });
      const proc = agent.start();
      await waitCaughtUp(s.store, [agent], 30_000);
      const fdsBefore = openFds(proc.pid);
      figures.rssBeforeMiB = agent.rss();
      const client = await connectClient(s.api);
      const answers = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const answer = await client.request({
          type: 'logs.subscribe',
          hostId: agent.hostId,
          source: 'app',
          backfill: 1,
          // A distinct filter each time: the same subscription asked again shares one tail.
          filter: { pattern: `line ${i}` },
        });
        const key = answer.type === 'ack' ? 'ack' : `error:${JSON.stringify(answer.code)}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
        await sleep(20); // under the socket's message rate
      }
      await sleep(1000);
      const fdsDuring = openFds(proc.pid);
      figures.rssAfterMiB = agent.rss();
      check(
        figures,
        fdsDuring - fdsBefore <= 20,
        `the agent holds ${fdsDuring - fdsBefore} more fds with 200 tails open`,
      );
      check(figures, (answers.get('ack') ?? 0) < 200, 'all 200 tails were accepted: no cap');
      const before = (await storedOf(s, agent))?.maxSeq ?? 0;
      await waitFor(
        async () => ((await storedOf(s, agent))?.maxSeq ?? 0) >= before + 3,
        15_000,
        'samples while the tails are open',
        POLL_MS,
      ).catch(() => figures.problems.push('the agent stopped sampling with the tails open'));
      await client.close();
      await waitStatuses(s.store, [agent], 'online', 5000);
      await account(figures, s, [agent]);
      figures.notes = `answers ${[...answers].map(([k, v]) => `${k}×${v}`).join(' ')}; agent fds ${fdsBefore} → ${fdsDuring}; RSS of the agent`;
    });
  });
});

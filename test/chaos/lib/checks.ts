/** @module test/chaos/lib/checks — the accounting shared by experiments: heal waits and samples generated vs stored. */
import { waitFor } from '@hostwire/protocol/testing';
import type { AgentHandle } from './agents.js';
import { hostStatuses, rollupMismatches, seqReport, type StoreReader } from './store.js';

/** How often the heal waits poll the store: often enough for heal times to 0.25 s, cheap for the store. */
export const POLL_MS = 250;

/** Waits until every host of `agents` is `status` in the store; returns the seconds it took. */
export async function waitStatuses(
  store: StoreReader,
  agents: readonly AgentHandle[],
  status: 'online' | 'offline',
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const ids = agents.map((a) => a.hostId);
  let others: string[] = [];
  await waitFor(
    async () => {
      const statuses = await hostStatuses(store, ids);
      others = agents.filter((a) => statuses.get(a.hostId) !== status).map((a) => a.name);
      return others.length === 0;
    },
    timeoutMs,
    `every host ${status}`,
    POLL_MS,
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; not ${status}: ${others.join(', ')}`,
    );
  });
  return (Date.now() - t0) / 1000;
}

/** The sum of the agents' reconnect counters (their status files): a baseline before a fault. */
export function totalReconnects(agents: readonly AgentHandle[]): number {
  return agents.reduce((n, a) => n + (a.status()?.reconnects ?? 0), 0);
}

/**
 * Waits until the fault is healed: every agent says it is connected (its status file), every host is
 * online in the store, and each host's stored seqs are contiguous up to at least the seq its agent last
 * reported. With `reconnectsAbove`, also until the agents reconnected since that baseline (so a fault
 * the agents have not noticed yet does not pass as healed). Returns the seconds since `since`.
 */
export async function waitCaughtUp(
  store: StoreReader,
  agents: readonly AgentHandle[],
  timeoutMs: number,
  since = Date.now(),
  reconnectsAbove?: number,
): Promise<number> {
  const ids = agents.map((a) => a.hostId);
  let missing = '';
  await waitFor(
    async () => {
      const statusFiles = agents.map((a) => a.status());
      const disconnected = agents.filter((_, i) => statusFiles[i]?.connected !== true);
      if (disconnected.length > 0) {
        missing = `not connected: ${disconnected.map((a) => `${a.name} (${a.proc?.alive() ? 'running' : 'exited'}, ${a.status()?.lastError ?? ''})`).join(', ')}`;
        return false;
      }
      if (reconnectsAbove !== undefined && totalReconnects(agents) <= reconnectsAbove) {
        missing = 'no agent reconnected yet';
        return false;
      }
      const statuses = await hostStatuses(store, ids);
      const notOnline = agents.filter((a) => statuses.get(a.hostId) !== 'online');
      if (notOnline.length > 0) {
        missing = `hosts not online in the store: ${notOnline.map((a) => a.name).join(', ')}`;
        return false;
      }
      const reports = await seqReport(store, ids);
      const behind = reports.filter(
        (r, i) => !(r.gaps === 0 && r.maxSeq > 0 && r.maxSeq >= (statusFiles[i]?.lastSeq ?? 0)),
      );
      missing = `backlog not stored: ${behind.map((r) => `${r.hostId} max ${r.maxSeq} gaps ${r.gaps}`).join(', ')}`;
      return behind.length === 0;
    },
    timeoutMs,
    'every agent connected and every host online with its backlog stored',
    POLL_MS,
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; ${missing}`);
  });
  return Math.round((Date.now() - since) / 100) / 10;
}

export interface SampleAccount {
  generated: number;
  stored: number;
  lost: number;
  duplicated: number;
  problems: string[];
}

/**
 * Stops every agent (SIGTERM: each writes its final status), then compares what each generated with
 * the store: seqs contiguous, nothing missing that is not still in the agent's outbox, one row per seq,
 * rollups equal to the raw samples folded again, `hosts.last_seq` equal to the highest stored seq.
 */
export async function stopAndAccount(
  store: StoreReader,
  agents: readonly AgentHandle[],
): Promise<SampleAccount> {
  await Promise.all(agents.map((a) => a.stop()));
  const ids = agents.map((a) => a.hostId);
  const reports = new Map((await seqReport(store, ids)).map((r) => [r.hostId, r]));
  const account: SampleAccount = { generated: 0, stored: 0, lost: 0, duplicated: 0, problems: [] };
  for (const agent of agents) {
    const status = agent.status();
    const report = reports.get(agent.hostId);
    if (!status || !report) {
      account.problems.push(`${agent.name}: no status file or no samples`);
      continue;
    }
    const unstoredTail = Math.max(0, status.lastSeq - report.maxSeq - status.bufferedSamples);
    account.generated += status.lastSeq;
    account.stored += report.stored;
    account.lost += report.gaps + unstoredTail;
    account.duplicated += report.duplicates;
    if (report.gaps > 0)
      account.problems.push(`${agent.name}: ${report.gaps} seqs missing below ${report.maxSeq}`);
    if (unstoredTail > 0)
      account.problems.push(
        `${agent.name}: generated ${status.lastSeq}, stored up to ${report.maxSeq}, only ${status.bufferedSamples} still buffered`,
      );
    if (report.duplicates > 0) account.problems.push(`${agent.name}: ${report.duplicates} duplicate rows`);
    if (report.lastSeqColumn !== report.maxSeq)
      account.problems.push(
        `${agent.name}: hosts.last_seq ${report.lastSeqColumn} ≠ stored max ${report.maxSeq}`,
      );
  }
  const rollups = await rollupMismatches(store, ids);
  if (rollups.length > 0) account.problems.push(`${rollups.length} rollup mismatches, e.g. ${rollups[0]}`);
  return account;
}

/** @module test/chaos/lib/checks — the accounting shared by experiments: heal waits and samples generated vs stored. */
import { waitFor } from '../../../apps/api/src/test-support/raw-peers.js';
import type { AgentHandle } from './agents.js';
import { hostStatuses, rollupMismatches, seqReport, type StoreReader } from './store.js';

/** Wraps a check so that polling it (the shared waitFor polls every 10 ms) queries the store at most every `everyMs`. */
export function throttled(check: () => Promise<boolean>, everyMs = 250): () => Promise<boolean> {
  let last = 0;
  let result = false;
  return async () => {
    if (Date.now() - last < everyMs) return result;
    last = Date.now();
    result = await check();
    return result;
  };
}

/** Waits until every host of `agents` is `status` in the store; returns the seconds it took. */
export async function waitStatuses(
  store: StoreReader,
  agents: readonly AgentHandle[],
  status: 'online' | 'offline',
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const ids = agents.map((a) => a.hostId);
  await waitFor(
    throttled(async () => [...(await hostStatuses(store, ids)).values()].every((s) => s === status)),
    timeoutMs,
    `every host ${status}`,
  );
  return (Date.now() - t0) / 1000;
}

/**
 * Waits until every host is online and its stored seqs are contiguous up to at least the seq its agent
 * had reached when the wait began (the backlog of the fault is in). Returns the seconds it took.
 */
export async function waitCaughtUp(
  store: StoreReader,
  agents: readonly AgentHandle[],
  timeoutMs: number,
  since = Date.now(),
): Promise<number> {
  const targets = new Map(agents.map((a) => [a.hostId, a.status()?.lastSeq ?? 0]));
  const ids = agents.map((a) => a.hostId);
  await waitFor(
    throttled(async () => {
      const statuses = await hostStatuses(store, ids);
      if (![...statuses.values()].every((s) => s === 'online')) return false;
      const reports = await seqReport(store, ids);
      return reports.every((r) => r.gaps === 0 && r.maxSeq >= (targets.get(r.hostId) ?? 0) && r.maxSeq > 0);
    }, 500),
    timeoutMs,
    'every host online with its backlog stored',
  );
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

/** @module test/chaos/lib/report — each experiment's figures, collected in artifacts/ and written to docs/reliability.md. */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { REPO_ROOT } from './server.js';

export const RESULTS_FILE = path.join(REPO_ROOT, 'artifacts/chaos/results.jsonl');
export const RELIABILITY_DOC = path.join(REPO_ROOT, 'docs/reliability.md');

/** True for the CI subset (`npm run chaos:smoke`): fewer agents, shorter faults, no doc rewrite. */
export const SMOKE = process.env.CHAOS_SMOKE === '1';

export interface ExperimentResult {
  group: 1 | 2 | 3 | 4;
  experiment: string;
  /** Samples the agents produced (their last seq). */
  generated?: number;
  stored?: number;
  lost?: number;
  duplicated?: number;
  /** Seconds from the end of the fault until the checks held. */
  healSeconds?: number;
  rssBeforeMiB?: number;
  rssAfterMiB?: number;
  /** Other figures worth a line (requests answered, statuses, …). */
  notes: string;
  /** Every check that did not hold; empty when the experiment passed. */
  problems: string[];
  durationSeconds: number;
}

export function resetResults(): void {
  rmSync(RESULTS_FILE, { force: true });
}

export function recordResult(result: ExperimentResult): void {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  appendFileSync(RESULTS_FILE, `${JSON.stringify(result)}\n`);
}

export function readResults(): ExperimentResult[] {
  if (!existsSync(RESULTS_FILE)) return [];
  return readFileSync(RESULTS_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExperimentResult);
}

const GROUPS = {
  1: 'Single instance, SQLite',
  2: 'Two instances, PostgreSQL + Redis behind haproxy',
  3: 'Abuse on one instance',
  4: 'Agent faults',
} as const;

const cell = (v: number | undefined) => (v === undefined ? '–' : String(v));

/** The results as a markdown table (also printed at the end of every run). */
export function resultsTable(results: readonly ExperimentResult[]): string {
  const lines = [
    '| # | experiment | result | generated | stored | lost | duplicated | heal (s) | RSS before → after (MiB) | notes |',
    '| - | ---------- | ------ | --------- | ------ | ---- | ---------- | -------- | ------------------------ | ----- |',
  ];
  for (const r of [...results].sort((a, b) => a.group - b.group)) {
    const rss =
      r.rssBeforeMiB === undefined
        ? '–'
        : `${r.rssBeforeMiB} → ${r.rssAfterMiB === undefined ? '–' : r.rssAfterMiB}`;
    lines.push(
      `| ${r.group} | ${r.experiment} | ${r.problems.length === 0 ? 'pass' : '**FAIL**'} | ${cell(r.generated)} | ${cell(r.stored)} | ${cell(r.lost)} | ${cell(r.duplicated)} | ${cell(r.healSeconds)} | ${rss} | ${r.notes.replaceAll('|', '\\|')} |`,
    );
  }
  return lines.join('\n');
}

const PROMISES = `## What each promise depends on

- **No sample lost across a server crash** — the agent writes every sample to its on-disk outbox
  _before_ sending it and deletes it only when a \`metrics.ack\` names its seq; the server acks only after
  the transaction that stored it committed (SQLite WAL, \`synchronous=NORMAL\` in the agent; PostgreSQL
  commit). Bounded by the outbox: \`metrics.outboxMaxSamples\` (8640 by default, 24 h at 10 s) and
  \`metrics.outboxMaxAgeMs\` (24 h). An outage longer than that loses the oldest samples, with a warning.
- **No duplicate** — \`(host_id, seq)\` is the primary key of \`metric_samples\`; a replayed sample is ignored
  and is not folded into the rollups a second time (the rollup check compares counts, min, max and sums
  with the raw samples).
- **Contiguous seqs** — the agent's seq is persisted and only advances once the sample is stored in
  its outbox, so the stored seqs of a host are 1…N without holes.
- **Heal time** — agents reconnect with capped exponential backoff and full jitter
  (\`connection.backoffMaxMs\`, 60 s by default; the suite uses 5 s so a run stays short: expect up to the
  cap after a long outage). A host turns offline within 2 × \`WS_HEARTBEAT_MS\` of losing its socket
  (the suite uses 2 s), also when the instance that held it died.
- **Two instances** — PostgreSQL is the only store; Redis carries fan-out, agent routing and tickets.
  While Redis is down each instance keeps ingesting from its own agents (nothing is queued in memory for
  other instances) and \`/readyz\` answers 503; the load balancer must health-check \`/healthz\`, not
  \`/readyz\`, or a Redis outage becomes a full outage.
- **Abuse** — frame size (\`WS_MAX_PAYLOAD_BYTES\`), invalid frames per socket (\`WS_MAX_INVALID_MESSAGES\`),
  message rate (\`WS_MESSAGES_PER_SECOND\`), upgrades per IP (\`WS_UPGRADES_PER_SECOND_PER_IP\`), the JSON body
  limit and Node's header timeout bound what one abuser costs; none of it may reach a legitimate socket.
- **Agent faults** — the outbox is the only state that matters; a full or unwritable state dir must not
  stop live samples, and must be reported (\`hostwire-agent status\`, exit codes in docs/agent.md).
`;

/** Rewrites docs/reliability.md from the results of a full run, formatted like every other file. */
export async function writeReliabilityDoc(
  results: readonly ExperimentResult[],
  totalSeconds: number,
): Promise<void> {
  const failed = results.filter((r) => r.problems.length > 0);
  const doc = `# Reliability: what the fault suite proves

Generated by \`npm run chaos\` (test/chaos/); do not edit by hand — run the suite again. Every experiment
starts real processes (hostwire-server, hostwire-agent, PostgreSQL databases, Redis, haproxy), injects a
fault, and checks **from the store**: per host the stored \`seq\` is contiguous (1…N, no gap, no duplicate
row), the 1-minute and 1-hour rollups equal the raw samples folded again, SQLite passes
\`PRAGMA integrity_check\`, host statuses are right after healing and every action's audit row carries its
outcome. Each experiment is bounded in time and removes what it started (processes killed by PID, temp
dirs, tmpfs mounts, databases).

Last run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${availableParallelism()} cores,
${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}; ${Math.round(totalSeconds)} s in total.
${failed.length === 0 ? 'Every experiment passed.' : `**${failed.length} experiment(s) failed** (details below).`}

- _generated_: samples the agents produced (their last \`seq\`); _stored_: distinct samples in the store;
  _lost_: seqs missing below the highest stored one, plus samples neither stored nor still in an agent's
  outbox; _duplicated_: stored rows beyond one per seq (a rollup that differs from its raw samples, e.g. a
  sample folded twice, fails the experiment).
- _heal_: seconds from the end of the fault (server restarted, Redis back, …) until every check held
  (the maximum when a fault is repeated).
- _RSS_: resident memory of the server under test (group 4: the agent) before the fault and after healing.

${Object.entries(GROUPS)
  .map(([n, title]) => `${n}. ${title}`)
  .join('\n')}

${resultsTable(results)}

${
  failed.length === 0
    ? ''
    : `## Failures of the last run

${failed.map((r) => `- **${r.experiment}**: ${r.problems.slice(0, 5).join('; ')}`).join('\n')}

`
}${PROMISES}
## Running it

\`\`\`sh
npm run chaos          # every experiment (about 10 minutes on 2 cores); rewrites this file
npm run chaos:smoke    # CI subset: one kill -9, one Redis blip, the abuse burst (under 3 minutes)
\`\`\`

It needs PostgreSQL on 127.0.0.1:5432 (\`TEST_DATABASE_URL\` to change it; a database per experiment is
created and dropped), \`redis-server\` on the PATH (the suite starts its own on a free port), haproxy
(installed with apt-get when \`/usr/sbin/haproxy\` is missing) and root for the tmpfs of the full-disk
experiment (without it the experiment fills the state dir's file system another way: see its notes).
`;
  const options = (await prettier.resolveConfig(RELIABILITY_DOC)) ?? {};
  writeFileSync(RELIABILITY_DOC, await prettier.format(doc, { ...options, filepath: RELIABILITY_DOC }));
}

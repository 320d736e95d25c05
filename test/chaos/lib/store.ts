/** @module test/chaos/lib/store — the checks every experiment makes from the database itself, never from logs. */
import Database from 'better-sqlite3';
import pg from 'pg';

/** Reads rows with `?` placeholders from SQLite (a file) or PostgreSQL (a URL). */
export interface StoreReader {
  kind: 'sqlite' | 'postgres';
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function openSqliteReader(file: string): StoreReader {
  return {
    kind: 'sqlite',
    query<T>(sql: string, params: unknown[] = []) {
      // A fresh read-only connection per query: the server process may be killed and restarted in between.
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        return Promise.resolve(db.prepare(sql).all(...params) as T[]);
      } finally {
        db.close();
      }
    },
    close: () => Promise.resolve(),
  };
}

export function openPostgresReader(url: string): StoreReader {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    kind: 'postgres',
    async query<T>(sql: string, params: unknown[] = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await pool.query(text, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}

/** `PRAGMA integrity_check` of a SQLite file: "ok" or the problems it lists. */
export function sqliteIntegrity(file: string): string {
  const db = new Database(file, { fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

export interface SeqReport {
  hostId: string;
  stored: number;
  maxSeq: number;
  /** seqs missing below the highest stored one. */
  gaps: number;
  /** rows beyond one per seq (the primary key should make this 0). */
  duplicates: number;
  /** hosts.last_seq, which must equal maxSeq. */
  lastSeqColumn: number;
}

/** Per host: stored samples, highest seq, gaps below it, duplicate rows. */
export async function seqReport(store: StoreReader, hostIds: readonly string[]): Promise<SeqReport[]> {
  const reports: SeqReport[] = [];
  for (const hostId of hostIds) {
    const [row] = await store.query<{ n: number | string; d: number | string; mx: number | string | null }>(
      'select count(*) as n, count(distinct seq) as d, max(seq) as mx from metric_samples where host_id = ?',
      [hostId],
    );
    const [host] = await store.query<{ last_seq: number | string }>(
      'select last_seq from hosts where id = ?',
      [hostId],
    );
    const stored = Number(row?.d ?? 0);
    const maxSeq = Number(row?.mx ?? 0);
    reports.push({
      hostId,
      stored,
      maxSeq,
      gaps: maxSeq - stored,
      duplicates: Number(row?.n ?? 0) - stored,
      lastSeqColumn: Number(host?.last_seq ?? 0),
    });
  }
  return reports;
}

interface Aggregate {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/**
 * Folds the raw samples of each host into 1-minute and 1-hour buckets and compares them with the
 * stored rollups (count, min, max and sum of every series). Returns one line per mismatch.
 */
export async function rollupMismatches(store: StoreReader, hostIds: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const hostId of hostIds) {
    // One statement, so both sides come from one snapshot: the server stores write-behind, and a sample
    // committed between two separate reads would show up in one side only.
    const rows = await store.query<{ resolution: string | null; at: number | string; values_json: string }>(
      `select null as resolution, ts as at, values_json from metric_samples where host_id = ?
       union all
       select resolution, bucket as at, values_json from metric_rollups where host_id = ?`,
      [hostId, hostId],
    );
    const raw = rows
      .filter((r) => r.resolution === null)
      .map((r) => ({ ts: r.at, values_json: r.values_json }));
    const rollups = rows.flatMap((r) =>
      r.resolution === null ? [] : [{ resolution: r.resolution, bucket: r.at, values_json: r.values_json }],
    );
    for (const [resolution, size] of [
      ['1m', 60_000],
      ['1h', 3_600_000],
    ] as const) {
      const expected = new Map<number, Record<string, Aggregate>>();
      for (const r of raw) {
        const bucket = Math.floor(Number(r.ts) / size) * size;
        const values = JSON.parse(r.values_json) as Record<string, number>;
        const entry = expected.get(bucket) ?? {};
        for (const [series, v] of Object.entries(values)) {
          const agg = entry[series];
          if (!agg) entry[series] = { min: v, max: v, sum: v, count: 1 };
          else {
            agg.min = Math.min(agg.min, v);
            agg.max = Math.max(agg.max, v);
            agg.sum += v;
            agg.count += 1;
          }
        }
        expected.set(bucket, entry);
      }
      const stored = new Map(
        rollups
          .filter((r) => r.resolution === resolution)
          .map((r) => [Number(r.bucket), JSON.parse(r.values_json) as Record<string, Aggregate>]),
      );
      for (const bucket of new Set([...expected.keys(), ...stored.keys()])) {
        const want = expected.get(bucket) ?? {};
        const got = stored.get(bucket) ?? {};
        for (const series of new Set([...Object.keys(want), ...Object.keys(got)])) {
          const w = want[series];
          const g = got[series];
          const same =
            w !== undefined &&
            g !== undefined &&
            w.count === g.count &&
            w.min === g.min &&
            w.max === g.max &&
            Math.abs(w.sum - g.sum) <= 1e-6 * Math.max(1, Math.abs(w.sum));
          if (!same)
            problems.push(
              `${hostId} ${resolution} ${new Date(bucket).toISOString()} ${series}: raw ${JSON.stringify(w)} rollup ${JSON.stringify(g)}`,
            );
        }
      }
    }
  }
  return problems;
}

/** Each host's stored status. */
export async function hostStatuses(
  store: StoreReader,
  hostIds: readonly string[],
): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (const hostId of hostIds) {
    const [row] = await store.query<{ status: string }>('select status from hosts where id = ?', [hostId]);
    statuses.set(hostId, row?.status ?? 'missing');
  }
  return statuses;
}

export interface ActionAudit {
  actionId: string;
  status: string;
  /** The outcome the audit row of the run recorded, or undefined when the row has none (or is missing). */
  auditOutcome: string | undefined;
  auditRows: number;
}

/** For each action: its final status and what its `action.run` audit row says about the outcome. */
export async function actionAudits(store: StoreReader, actionIds: readonly string[]): Promise<ActionAudit[]> {
  const audits: ActionAudit[] = [];
  for (const actionId of actionIds) {
    const [action] = await store.query<{ status: string }>('select status from actions where id = ?', [
      actionId,
    ]);
    const rows = await store.query<{ details: string | null }>(
      "select details from audit_events where action = 'action.run' and details like ?",
      [`%${actionId}%`],
    );
    const details = rows.map((r) => (r.details ? (JSON.parse(r.details) as { outcome?: string }) : {}));
    audits.push({
      actionId,
      status: action?.status ?? 'missing',
      auditOutcome: details[0]?.outcome,
      auditRows: rows.length,
    });
  }
  return audits;
}

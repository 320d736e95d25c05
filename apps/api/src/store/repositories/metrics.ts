/** @module store/repositories/metrics — raw samples, 1-minute and 1-hour rollups, and retention. */
import { METRIC_SERIES, type HostSummary, type MetricSeries, type SeriesValues } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export const ROLLUP_BUCKET_MS = { '1m': 60_000, '1h': 3_600_000 } as const;
export type RollupResolution = keyof typeof ROLLUP_BUCKET_MS;

export interface StoredSample {
  seq: number;
  ts: number;
  values: SeriesValues;
}

interface Aggregate {
  min: number;
  max: number;
  sum: number;
  count: number;
  last: number;
  lastTs: number;
}
export type RollupValues = Record<MetricSeries, Aggregate>;

export interface RollupRow {
  bucket: number;
  values: RollupValues;
}

function mergeInto(target: RollupValues | undefined, ts: number, values: SeriesValues): RollupValues {
  const out = (target ?? {}) as RollupValues;
  for (const name of METRIC_SERIES) {
    const v = values[name];
    const agg = out[name];
    if (!agg) {
      out[name] = { min: v, max: v, sum: v, count: 1, last: v, lastTs: ts };
      continue;
    }
    agg.min = Math.min(agg.min, v);
    agg.max = Math.max(agg.max, v);
    agg.sum += v;
    agg.count += 1;
    if (ts >= agg.lastTs) {
      agg.last = v;
      agg.lastTs = ts;
    }
  }
  return out;
}

export function createMetricsRepository(db: Kysely<Database>) {
  return {
    /**
     * Stores a batch of samples of one host in one transaction, each (host, seq) once, and folds the new
     * ones into the rollups. Returns the seqs that were new.
     */
    async ingest(
      hostId: string,
      samples: StoredSample[],
      summary: HostSummary | undefined,
    ): Promise<number[]> {
      if (samples.length === 0) return [];
      return db.transaction().execute(async (tx) => {
        const inserted = await tx
          .insertInto('metric_samples')
          .values(
            samples.map((s) => ({
              host_id: hostId,
              seq: s.seq,
              ts: s.ts,
              values_json: JSON.stringify(s.values),
            })),
          )
          .onConflict((oc) => oc.columns(['host_id', 'seq']).doNothing())
          .returning('seq')
          .execute();
        const fresh = new Set(inserted.map((r) => Number(r.seq)));
        const added = samples.filter((s) => fresh.has(s.seq));
        for (const resolution of Object.keys(ROLLUP_BUCKET_MS) as RollupResolution[]) {
          const size = ROLLUP_BUCKET_MS[resolution];
          const byBucket = new Map<number, StoredSample[]>();
          for (const s of added) {
            const bucket = Math.floor(s.ts / size) * size;
            const list = byBucket.get(bucket);
            if (list) list.push(s);
            else byBucket.set(bucket, [s]);
          }
          if (byBucket.size === 0) continue;
          const existing = await tx
            .selectFrom('metric_rollups')
            .select(['bucket', 'values_json'])
            .where('host_id', '=', hostId)
            .where('resolution', '=', resolution)
            .where('bucket', 'in', [...byBucket.keys()])
            .execute();
          const current = new Map(
            existing.map((r) => [Number(r.bucket), JSON.parse(r.values_json) as RollupValues]),
          );
          const rows = [...byBucket].map(([bucket, list]) => {
            let values = current.get(bucket);
            for (const s of list) values = mergeInto(values, s.ts, s.values);
            return { host_id: hostId, resolution, bucket, values_json: JSON.stringify(values) };
          });
          await tx
            .insertInto('metric_rollups')
            .values(rows)
            .onConflict((oc) =>
              oc
                .columns(['host_id', 'resolution', 'bucket'])
                .doUpdateSet((eb) => ({ values_json: eb.ref('excluded.values_json') })),
            )
            .execute();
        }
        const maxSeq = Math.max(...samples.map((s) => s.seq));
        await tx
          .updateTable('hosts')
          .set((eb) => ({
            // CASE, not max()/greatest(): the one spelling both SQLite and Postgres accept.
            last_seq: eb.case().when('last_seq', '<', maxSeq).then(maxSeq).else(eb.ref('last_seq')).end(),
            ...(summary && added.length > 0 ? { summary: JSON.stringify(summary) } : {}),
          }))
          .where('id', '=', hostId)
          .execute();
        return [...fresh];
      });
    },

    async raw(hostId: string, from: number, to: number, limit: number): Promise<StoredSample[]> {
      const rows = await db
        .selectFrom('metric_samples')
        .select(['seq', 'ts', 'values_json'])
        .where('host_id', '=', hostId)
        .where('ts', '>=', from)
        .where('ts', '<=', to)
        .orderBy('ts')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        ts: Number(r.ts),
        values: JSON.parse(r.values_json) as SeriesValues,
      }));
    },

    async rollups(
      hostId: string,
      resolution: RollupResolution,
      from: number,
      to: number,
    ): Promise<RollupRow[]> {
      const rows = await db
        .selectFrom('metric_rollups')
        .select(['bucket', 'values_json'])
        .where('host_id', '=', hostId)
        .where('resolution', '=', resolution)
        .where('bucket', '>=', from - ROLLUP_BUCKET_MS[resolution] + 1)
        .where('bucket', '<=', to)
        .orderBy('bucket')
        .execute();
      return rows.map((r) => ({
        bucket: Number(r.bucket),
        values: JSON.parse(r.values_json) as RollupValues,
      }));
    },

    async countSamples(hostId: string): Promise<number> {
      const row = await db
        .selectFrom('metric_samples')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('host_id', '=', hostId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async seqs(hostId: string): Promise<number[]> {
      const rows = await db
        .selectFrom('metric_samples')
        .select('seq')
        .where('host_id', '=', hostId)
        .orderBy('seq')
        .execute();
      return rows.map((r) => Number(r.seq));
    },

    /** Deletes at most `batch` expired rows per table and call, so ingest never waits long on pruning. */
    async prune(cutoffs: { raw: number; '1m': number; '1h': number }, batch = 5000): Promise<number> {
      let deleted = 0;
      const rawIds = await db
        .selectFrom('metric_samples')
        .select(['host_id', 'seq'])
        .where('ts', '<', cutoffs.raw)
        .limit(batch)
        .execute();
      for (const chunk of chunks(rawIds, 500)) {
        const r = await db
          .deleteFrom('metric_samples')
          .where((eb) =>
            eb.or(chunk.map((k) => eb.and([eb('host_id', '=', k.host_id), eb('seq', '=', k.seq)]))),
          )
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      for (const resolution of ['1m', '1h'] as const) {
        const r = await db
          .deleteFrom('metric_rollups')
          .where('resolution', '=', resolution)
          .where('bucket', '<', cutoffs[resolution])
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      return deleted;
    },
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

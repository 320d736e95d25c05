/** @module store/repositories/metrics — raw samples, 1-minute and 1-hour rollups, and retention. */
import {
  METRIC_SERIES,
  type ContainerInfo,
  type HostSummary,
  type MetricSeries,
  type SeriesValues,
} from '@hostwire/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import { ingestContainerSamples, pruneContainerSamples, type ContainerValues } from './container-metrics.js';
import {
  DELETE_CHUNK,
  INSERT_CHUNK,
  ROLLUP_RESOLUTIONS,
  bucketKey,
  chunks,
  firstBucketFrom,
  groupByBucket,
  type Aggregate,
  type PruneCutoffs,
  type RollupResolution,
} from './rollups.js';

export interface StoredSample {
  seq: number;
  ts: number;
  values: SeriesValues;
  /** The sample's containers (stored beside it, see container-metrics). */
  containers?: ContainerValues;
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

/** The samples one agent frame carried, and the summary of its newest sample. */
export interface IngestBatch {
  hostId: string;
  samples: readonly StoredSample[];
  summary?: HostSummary;
  /** The newest sample's container list (kept per host for `GET /api/hosts/:hostId/containers`). */
  containers?: { ts: number; list: readonly ContainerInfo[] };
}

/** Merges new samples into their rollup buckets: one read and one upsert per resolution. */
async function foldIntoRollups(
  tx: Transaction<Database>,
  resolution: RollupResolution,
  added: readonly { hostId: string; ts: number; values: SeriesValues }[],
): Promise<void> {
  if (added.length === 0) return;
  const { groups, hostIds, bucketIds } = groupByBucket(added, resolution);
  const existing = await tx
    .selectFrom('metric_rollups')
    .select(['host_id', 'bucket', 'values_json'])
    .where('resolution', '=', resolution)
    .where('host_id', 'in', hostIds)
    .where('bucket', 'in', bucketIds)
    .execute();
  const current = new Map(
    existing.map((r) => [bucketKey(r.host_id, Number(r.bucket)), JSON.parse(r.values_json) as RollupValues]),
  );
  const rows = [...groups].map(([key, { hostId, bucket, rows: samples }]) => {
    let values = current.get(key);
    for (const s of samples) values = mergeInto(values, s.ts, s.values);
    return { host_id: hostId, resolution, bucket, values_json: JSON.stringify(values) };
  });
  for (const chunk of chunks(rows, INSERT_CHUNK)) {
    await tx
      .insertInto('metric_rollups')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['host_id', 'resolution', 'bucket'])
          .doUpdateSet((eb) => ({ values_json: eb.ref('excluded.values_json') })),
      )
      .execute();
  }
}

export function createMetricsRepository(db: Kysely<Database>, dialect: Dialect) {
  return {
    /**
     * Stores the samples of many hosts in one transaction, each (host, seq) once, folds the new ones
     * into the rollups and records each host's highest seq and latest summary. Returns, per host, the
     * seqs that were new.
     */
    async ingest(batches: readonly IngestBatch[]): Promise<Map<string, number[]>> {
      const fresh = new Map<string, number[]>();
      if (!batches.some((b) => b.samples.length > 0)) return fresh;
      await db.transaction().execute(async (tx) => {
        // Only hosts that still exist: a host deleted while its frames waited for this flush must not fail
        // the other hosts' samples (its own are gone with it). The rollups are read, merged and written
        // back; on PostgreSQL two instances may store samples of one host at once (while its agent moves
        // between them), so the rows are locked, in one order (no deadlock): the other instance waits, then
        // reads the rollups with these samples in. SQLite has a single writer.
        let hostQuery = tx
          .selectFrom('hosts')
          .select('id')
          .where('id', 'in', [...new Set(batches.map((b) => b.hostId))])
          .orderBy('id');
        if (dialect === 'postgres') hostQuery = hostQuery.forNoKeyUpdate();
        const existing = new Set((await hostQuery.execute()).map((r) => r.id));
        const live = batches.filter((b) => existing.has(b.hostId));
        const rows = live.flatMap((b) =>
          b.samples.map((s) => ({
            host_id: b.hostId,
            seq: s.seq,
            ts: s.ts,
            values_json: JSON.stringify(s.values),
          })),
        );
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const inserted = await tx
            .insertInto('metric_samples')
            .values(chunk)
            .onConflict((oc) => oc.columns(['host_id', 'seq']).doNothing())
            .returning(['host_id', 'seq'])
            .execute();
          for (const r of inserted) {
            const list = fresh.get(r.host_id);
            if (list) list.push(Number(r.seq));
            else fresh.set(r.host_id, [Number(r.seq)]);
          }
        }
        // Each new seq once: two frames of one host in this call may carry the same seq (a resend that
        // arrived before the first was stored), and the rollups must count it once.
        const unfolded = new Map([...fresh].map(([hostId, seqs]) => [hostId, new Set(seqs)]));
        const added = live.flatMap((b) => {
          const seqs = unfolded.get(b.hostId);
          if (!seqs) return [];
          return b.samples.filter((s) => seqs.delete(s.seq)).map((s) => ({ hostId: b.hostId, sample: s }));
        });
        const addedValues = added.map(({ hostId, sample: s }) => ({ hostId, ts: s.ts, values: s.values }));
        for (const resolution of ROLLUP_RESOLUTIONS) await foldIntoRollups(tx, resolution, addedValues);
        await ingestContainerSamples(
          tx,
          added.flatMap(({ hostId, sample: s }) =>
            s.containers ? [{ hostId, seq: s.seq, ts: s.ts, values: s.containers }] : [],
          ),
          live.flatMap((b) =>
            b.containers ? [{ hostId: b.hostId, ts: b.containers.ts, containers: b.containers.list }] : [],
          ),
        );
        const perHost = new Map<string, { maxSeq: number; summary: HostSummary | undefined }>();
        for (const b of live) {
          const entry = perHost.get(b.hostId) ?? { maxSeq: 0, summary: undefined };
          entry.maxSeq = Math.max(entry.maxSeq, ...b.samples.map((s) => s.seq));
          if (
            b.summary &&
            (fresh.get(b.hostId)?.length ?? 0) > 0 &&
            (!entry.summary || b.summary.ts >= entry.summary.ts)
          )
            entry.summary = b.summary;
          perHost.set(b.hostId, entry);
        }
        for (const [hostId, { maxSeq, summary }] of perHost) {
          await tx
            .updateTable('hosts')
            .set((eb) => ({
              // CASE, not max()/greatest(): the one spelling both SQLite and Postgres accept.
              last_seq: eb.case().when('last_seq', '<', maxSeq).then(maxSeq).else(eb.ref('last_seq')).end(),
              ...(summary ? { summary: JSON.stringify(summary) } : {}),
            }))
            .where('id', '=', hostId)
            .execute();
        }
      });
      return fresh;
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
        .where('bucket', '>=', firstBucketFrom(from, resolution))
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
    async prune(cutoffs: PruneCutoffs, batch = 5000): Promise<number> {
      let deleted = 0;
      const rawIds = await db
        .selectFrom('metric_samples')
        .select(['host_id', 'seq'])
        .where('ts', '<', cutoffs.raw)
        .limit(batch)
        .execute();
      for (const chunk of chunks(rawIds, DELETE_CHUNK)) {
        const r = await db
          .deleteFrom('metric_samples')
          .where((eb) =>
            eb.or(chunk.map((k) => eb.and([eb('host_id', '=', k.host_id), eb('seq', '=', k.seq)]))),
          )
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      for (const resolution of ROLLUP_RESOLUTIONS) {
        const r = await db
          .deleteFrom('metric_rollups')
          .where('resolution', '=', resolution)
          .where('bucket', '<', cutoffs[resolution])
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      return deleted + (await pruneContainerSamples(db, cutoffs, batch));
    },
  };
}

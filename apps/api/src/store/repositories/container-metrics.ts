/**
 * @module store/repositories/container-metrics — the containers' series, stored with the host's samples:
 * one raw row per (host, seq) holding every container, 1-minute and 1-hour rollups per host and bucket,
 * the newest container list per host, and retention (the host's).
 */
import {
  CONTAINER_SERIES,
  extractContainerSeries,
  type ContainerInfo,
  type ContainerSeries,
} from '@hostwire/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
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

/** Per container name, its CONTAINER_SERIES values in that order (compact: stored once per sample). */
export type ContainerValues = Record<string, number[]>;

export type ContainerAggregates = Record<ContainerSeries, Aggregate>;
/**
 * Per container name, its bucket as one flat array (compact: a host's bucket is parsed and written at
 * every ingest): `[count, lastTs, then min, max, sum, last of each series in CONTAINER_SERIES order]`.
 */
export type ContainerRollupValues = Record<string, number[]>;
const PER_SERIES = 4;
const HEAD = 2;

/** The values of a sample's containers as stored. */
export function containerValues(containers: readonly ContainerInfo[]): ContainerValues {
  const out: ContainerValues = {};
  for (const c of containers) {
    const series = extractContainerSeries(c);
    out[c.name] = CONTAINER_SERIES.map((s) => series[s]);
  }
  return out;
}

/** A sample's containers, as the metrics repository hands them over inside its transaction. */
export interface ContainerSampleRow {
  hostId: string;
  seq: number;
  ts: number;
  values: ContainerValues;
}

function fold(target: ContainerRollupValues, ts: number, values: ContainerValues): void {
  for (const [name, list] of Object.entries(values)) {
    const agg = target[name];
    if (!agg || agg.length !== HEAD + PER_SERIES * CONTAINER_SERIES.length) {
      const fresh = [1, ts];
      for (let i = 0; i < CONTAINER_SERIES.length; i++) {
        const v = list[i] ?? 0;
        fresh.push(v, v, v, v);
      }
      target[name] = fresh;
      continue;
    }
    const newer = ts >= (agg[1] ?? 0);
    agg[0] = (agg[0] ?? 0) + 1;
    if (newer) agg[1] = ts;
    for (let i = 0; i < CONTAINER_SERIES.length; i++) {
      const v = list[i] ?? 0;
      const at = HEAD + i * PER_SERIES;
      agg[at] = Math.min(agg[at] ?? v, v);
      agg[at + 1] = Math.max(agg[at + 1] ?? v, v);
      agg[at + 2] = (agg[at + 2] ?? 0) + v;
      if (newer) agg[at + 3] = v;
    }
  }
}

/** One container's compact bucket as per-series aggregates. */
function expand(agg: number[]): ContainerAggregates {
  const out = {} as ContainerAggregates;
  CONTAINER_SERIES.forEach((series, i) => {
    const at = HEAD + i * PER_SERIES;
    out[series] = {
      count: agg[0] ?? 0,
      lastTs: agg[1] ?? 0,
      min: agg[at] ?? 0,
      max: agg[at + 1] ?? 0,
      sum: agg[at + 2] ?? 0,
      last: agg[at + 3] ?? 0,
    };
  });
  return out;
}

/**
 * Inside the metrics ingest transaction: stores the new samples' containers (raw), folds them into the
 * rollups, and keeps each host's newest container list. Samples without containers cost nothing.
 */
export async function ingestContainerSamples(
  tx: Transaction<Database>,
  added: readonly ContainerSampleRow[],
  newest: readonly { hostId: string; ts: number; containers: readonly ContainerInfo[] }[],
): Promise<void> {
  if (added.length > 0) {
    const rows = added.map((a) => ({
      host_id: a.hostId,
      seq: a.seq,
      ts: a.ts,
      values_json: JSON.stringify(a.values),
    }));
    for (const chunk of chunks(rows, INSERT_CHUNK)) {
      await tx
        .insertInto('container_samples')
        .values(chunk)
        .onConflict((oc) => oc.columns(['host_id', 'seq']).doNothing())
        .execute();
    }
    for (const resolution of ROLLUP_RESOLUTIONS) await foldRollups(tx, resolution, added);
  }
  const latest = new Map<string, { ts: number; containers: readonly ContainerInfo[] }>();
  for (const n of newest) {
    const seen = latest.get(n.hostId);
    if (!seen || n.ts >= seen.ts) latest.set(n.hostId, n);
  }
  for (const [hostId, { ts, containers }] of latest) {
    await tx
      .insertInto('host_containers')
      .values({ host_id: hostId, ts, containers_json: JSON.stringify(containers) })
      .onConflict((oc) =>
        oc
          .column('host_id')
          .doUpdateSet((eb) => ({
            ts: eb.ref('excluded.ts'),
            containers_json: eb.ref('excluded.containers_json'),
          }))
          .where('host_containers.ts', '<=', ts),
      )
      .execute();
  }
}

async function foldRollups(
  tx: Transaction<Database>,
  resolution: RollupResolution,
  added: readonly ContainerSampleRow[],
): Promise<void> {
  const { groups, hostIds, bucketIds } = groupByBucket(added, resolution);
  const existing = await tx
    .selectFrom('container_rollups')
    .select(['host_id', 'bucket', 'values_json'])
    .where('resolution', '=', resolution)
    .where('host_id', 'in', hostIds)
    .where('bucket', 'in', bucketIds)
    .execute();
  const current = new Map(
    existing.map((r) => [
      bucketKey(r.host_id, Number(r.bucket)),
      JSON.parse(r.values_json) as ContainerRollupValues,
    ]),
  );
  const rows = [...groups].map(([key, { hostId, bucket, rows: samples }]) => {
    const values = current.get(key) ?? {};
    for (const s of samples) fold(values, s.ts, s.values);
    return { host_id: hostId, resolution, bucket, values_json: JSON.stringify(values) };
  });
  for (const chunk of chunks(rows, INSERT_CHUNK)) {
    await tx
      .insertInto('container_rollups')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['host_id', 'resolution', 'bucket'])
          .doUpdateSet((eb) => ({ values_json: eb.ref('excluded.values_json') })),
      )
      .execute();
  }
}

/** Deletes at most `batch` expired raw rows and the expired rollups (the host's retention). */
export async function pruneContainerSamples(
  db: Kysely<Database>,
  cutoffs: PruneCutoffs,
  batch: number,
): Promise<number> {
  let deleted = 0;
  const rawIds = await db
    .selectFrom('container_samples')
    .select(['host_id', 'seq'])
    .where('ts', '<', cutoffs.raw)
    .limit(batch)
    .execute();
  for (const chunk of chunks(rawIds, DELETE_CHUNK)) {
    const r = await db
      .deleteFrom('container_samples')
      .where((eb) => eb.or(chunk.map((k) => eb.and([eb('host_id', '=', k.host_id), eb('seq', '=', k.seq)]))))
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  for (const resolution of ROLLUP_RESOLUTIONS) {
    const r = await db
      .deleteFrom('container_rollups')
      .where('resolution', '=', resolution)
      .where('bucket', '<', cutoffs[resolution])
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  return deleted;
}

export function createContainerMetricsRepository(db: Kysely<Database>) {
  return {
    /** Raw values of one container, oldest first (rows where it was absent are skipped). */
    async raw(
      hostId: string,
      name: string,
      from: number,
      to: number,
      limit: number,
    ): Promise<{ ts: number; values: number[] }[]> {
      const rows = await db
        .selectFrom('container_samples')
        .select(['ts', 'values_json'])
        .where('host_id', '=', hostId)
        .where('ts', '>=', from)
        .where('ts', '<=', to)
        .orderBy('ts')
        .limit(limit)
        .execute();
      const out: { ts: number; values: number[] }[] = [];
      for (const r of rows) {
        const values = (JSON.parse(r.values_json) as ContainerValues)[name];
        if (values) out.push({ ts: Number(r.ts), values });
      }
      return out;
    },

    /** Rollup buckets of one container, oldest first. */
    async rollups(
      hostId: string,
      name: string,
      resolution: RollupResolution,
      from: number,
      to: number,
    ): Promise<{ bucket: number; values: ContainerAggregates }[]> {
      const rows = await db
        .selectFrom('container_rollups')
        .select(['bucket', 'values_json'])
        .where('host_id', '=', hostId)
        .where('resolution', '=', resolution)
        .where('bucket', '>=', firstBucketFrom(from, resolution))
        .where('bucket', '<=', to)
        .orderBy('bucket')
        .execute();
      const out: { bucket: number; values: ContainerAggregates }[] = [];
      for (const r of rows) {
        const values = (JSON.parse(r.values_json) as ContainerRollupValues)[name];
        if (values) out.push({ bucket: Number(r.bucket), values: expand(values) });
      }
      return out;
    },

    /** The newest stored container list of a host. */
    async latest(hostId: string): Promise<{ ts: number; containers: ContainerInfo[] } | undefined> {
      const row = await db
        .selectFrom('host_containers')
        .select(['ts', 'containers_json'])
        .where('host_id', '=', hostId)
        .executeTakeFirst();
      return row
        ? { ts: Number(row.ts), containers: JSON.parse(row.containers_json) as ContainerInfo[] }
        : undefined;
    },
  };
}

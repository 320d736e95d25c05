/**
 * @module store/repositories/rollups — the rollup rules host and container series share: bucket sizes,
 * a series' aggregate over a bucket, grouping new samples by (host, bucket), retention cutoffs and
 * write batches. Each table keeps its own SQL and stored format in its repository.
 */

export const ROLLUP_BUCKET_MS = { '1m': 60_000, '1h': 3_600_000 } as const;
export type RollupResolution = keyof typeof ROLLUP_BUCKET_MS;
export const ROLLUP_RESOLUTIONS = Object.keys(ROLLUP_BUCKET_MS) as RollupResolution[];

/** One series over one bucket. */
export interface Aggregate {
  min: number;
  max: number;
  sum: number;
  count: number;
  last: number;
  lastTs: number;
}

/** Rows older than these are pruned: raw samples by `ts`, rollups by bucket start. */
export interface PruneCutoffs {
  raw: number;
  '1m': number;
  '1h': number;
}

/** Rows per INSERT: 4 parameters each stays far below SQLite's 32,766-parameter limit. */
export const INSERT_CHUNK = 1000;
/** Keys per DELETE of raw rows (one `(host_id = ? and seq = ?)` pair each). */
export const DELETE_CHUNK = 500;

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The lowest bucket start whose bucket still reaches `from`. */
export function firstBucketFrom(from: number, resolution: RollupResolution): number {
  return from - ROLLUP_BUCKET_MS[resolution] + 1;
}

export function bucketKey(hostId: string, bucket: number): string {
  return `${hostId}|${bucket}`;
}

/**
 * Groups new rows by (host, bucket start) at `resolution`, keyed by `bucketKey`, with the hosts and
 * buckets to read the existing rollups of.
 */
export function groupByBucket<T extends { hostId: string; ts: number }>(
  rows: readonly T[],
  resolution: RollupResolution,
): {
  groups: Map<string, { hostId: string; bucket: number; rows: T[] }>;
  hostIds: string[];
  bucketIds: number[];
} {
  const size = ROLLUP_BUCKET_MS[resolution];
  const groups = new Map<string, { hostId: string; bucket: number; rows: T[] }>();
  for (const row of rows) {
    const bucket = Math.floor(row.ts / size) * size;
    const key = bucketKey(row.hostId, bucket);
    const entry = groups.get(key);
    if (entry) entry.rows.push(row);
    else groups.set(key, { hostId: row.hostId, bucket, rows: [row] });
  }
  const all = [...groups.values()];
  return {
    groups,
    hostIds: [...new Set(all.map((g) => g.hostId))],
    bucketIds: [...new Set(all.map((g) => g.bucket))],
  };
}

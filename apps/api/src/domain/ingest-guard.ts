/**
 * @module domain/ingest-guard — what one host may write into the metrics store: a per-host sample quota
 * and timestamps near the server's clock, so a compromised agent can neither flood the store nor plant
 * samples in the future (which would pin the "newest" sample and every chart's right edge).
 */
import type { MetricsSample } from '@hostwire/protocol';

/** A host may burst this many minutes of its quota (a reconnecting agent replays its outbox). */
const BURST_MINUTES = 10;

export interface IngestVerdict {
  /** Samples to store. */
  accepted: MetricsSample[];
  /** Samples refused for their timestamp: acknowledged (so the agent forgets them) but never stored. */
  outOfRange: MetricsSample[];
  /** The whole frame is over the host's quota: nothing stored, nothing acknowledged (the agent retries). */
  overQuota: boolean;
  retryAfterSeconds: number;
}

export class IngestGuard {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly capacity: number;

  constructor(
    private readonly options: {
      samplesPerMinute: number;
      maxClockSkewMs: number;
      /** Samples older than this are past the raw retention: nothing would keep them. */
      maxAgeMs: number;
      now?: () => number;
    },
  ) {
    this.perMs = options.samplesPerMinute / 60_000;
    this.capacity = options.samplesPerMinute * BURST_MINUTES;
  }

  check(hostId: string, samples: readonly MetricsSample[]): IngestVerdict {
    const now = (this.options.now ?? Date.now)();
    const bucket = this.buckets.get(hostId) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(hostId, bucket);
    if (bucket.tokens < samples.length) {
      const missing = samples.length - bucket.tokens;
      return {
        accepted: [],
        outOfRange: [],
        overQuota: true,
        retryAfterSeconds: Math.max(1, Math.ceil(missing / this.perMs / 1000)),
      };
    }
    bucket.tokens -= samples.length;
    const accepted: MetricsSample[] = [];
    const outOfRange: MetricsSample[] = [];
    for (const sample of samples) {
      const tooNew = sample.ts > now + this.options.maxClockSkewMs;
      const tooOld = sample.ts < now - this.options.maxAgeMs;
      (tooNew || tooOld ? outOfRange : accepted).push(sample);
    }
    return { accepted, outOfRange, overQuota: false, retryAfterSeconds: 0 };
  }
}

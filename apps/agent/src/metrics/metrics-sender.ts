/** @module metrics/metrics-sender — sends the outbox to the server in ordered, size-bounded batches. */
import type { Logger } from '../log.js';
import type { LinkSession } from '../connection/agent-link.js';
import type { MetricsOutbox, OutboxRow } from '../outbox/metrics-outbox.js';

/** At most this many samples in one `metrics` frame (protocol limit). */
export const MAX_BATCH_SAMPLES = 500;
const FRAME_PREFIX = '{"type":"metrics","samples":[';
const FRAME_SUFFIX = ']}';

export interface MetricsSenderOptions {
  maxBatchesInFlight: number;
  /** A batch not acknowledged within this time is sent again (ms). */
  ackTimeoutMs?: number;
  log: Logger;
}

interface Batch {
  seqs: Set<number>;
  timer: NodeJS.Timeout;
}

/**
 * After `welcome` it replays everything pending, oldest first, then keeps sending new samples. Each
 * batch holds at most 500 samples and fits the server's frame limit; at most `maxBatchesInFlight`
 * batches wait for their `metrics.ack`, and batches are paced under the server's message rate.
 */
export class MetricsSender {
  private readonly outbox: MetricsOutbox;
  private readonly options: MetricsSenderOptions;
  private session: LinkSession | undefined;
  private cursor = 0;
  private readonly inFlight = new Set<Batch>();
  private nextSendAt = 0;
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(outbox: MetricsOutbox, options: MetricsSenderOptions) {
    this.outbox = outbox;
    this.options = options;
  }

  /** A welcomed connection: replay from the oldest pending sample. */
  attach(session: LinkSession): void {
    this.reset();
    this.session = session;
    this.pump();
  }

  /** The connection ended: forget what was in flight (it is replayed on the next connection). */
  detach(): void {
    this.reset();
    this.session = undefined;
  }

  /** New samples were appended to the outbox. */
  notify(): void {
    this.pump();
  }

  /** The server stored these seqs. */
  acknowledge(seqs: readonly number[]): void {
    this.outbox.ack(seqs);
    for (const batch of this.inFlight) {
      for (const seq of seqs) batch.seqs.delete(seq);
      if (batch.seqs.size === 0) {
        clearTimeout(batch.timer);
        this.inFlight.delete(batch);
      }
    }
    this.pump();
  }

  private reset(): void {
    for (const batch of this.inFlight) clearTimeout(batch.timer);
    this.inFlight.clear();
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.cursor = 0;
  }

  private pump(): void {
    const session = this.session;
    if (!session || this.pumpTimer) return;
    while (this.inFlight.size < this.options.maxBatchesInFlight) {
      const wait = this.nextSendAt - Date.now();
      if (wait > 0) {
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const rows = this.outbox.readAfter(this.cursor, MAX_BATCH_SAMPLES);
      if (rows.length === 0) return;
      const { text, seqs } = buildBatch(rows, session.maxFrameBytes);
      if (!session.sendText(text)) return;
      this.cursor = seqs[seqs.length - 1] ?? this.cursor;
      // Stay at half the server's message budget so logs and action output keep room.
      this.nextSendAt = Date.now() + 2000 / session.welcome.limits.messagesPerSecond;
      const batch: Batch = {
        seqs: new Set(seqs),
        timer: setTimeout(() => this.expire(batch), this.options.ackTimeoutMs ?? 30_000),
      };
      this.inFlight.add(batch);
    }
  }

  private expire(batch: Batch): void {
    if (!this.inFlight.has(batch)) return;
    this.options.log.warn(`no metrics.ack for ${batch.seqs.size} samples; sending the outbox again`);
    const session = this.session;
    this.reset();
    this.session = session;
    this.pump();
  }
}

/** Concatenates stored sample texts into one frame no larger than `maxBytes` (at least one sample). */
export function buildBatch(rows: readonly OutboxRow[], maxBytes: number): { text: string; seqs: number[] } {
  let size = FRAME_PREFIX.length + FRAME_SUFFIX.length;
  const bodies: string[] = [];
  const seqs: number[] = [];
  for (const row of rows) {
    const bytes = Buffer.byteLength(row.body) + (bodies.length > 0 ? 1 : 0);
    if (bodies.length > 0 && size + bytes > maxBytes) break;
    size += bytes;
    bodies.push(row.body);
    seqs.push(row.seq);
  }
  return { text: `${FRAME_PREFIX}${bodies.join(',')}${FRAME_SUFFIX}`, seqs };
}

/** @module logs/line-batcher — filters, truncates, rate-limits and batches lines into `logs.lines` frames. */
import { MAX_LOG_LINE_LENGTH } from '@hostwire/protocol/agent';

/** At most this many lines in one frame (protocol limit). */
const MAX_LINES_PER_FRAME = 1000;

export interface LineBatcherOptions {
  streamId: string;
  /** Lines that fail the filter are skipped (not counted as dropped). */
  accept: (line: string) => boolean;
  linesPerSecond: number;
  batchMs: number;
  maxFrameBytes: number;
  /** Sends one serialized `logs.lines` frame accounting for `lines` lines (sent plus reported dropped). */
  emit: (text: string, lines: number) => void;
}

/**
 * Collects lines of one stream and emits a frame every `batchMs` (or sooner when a frame is full).
 * Live lines pass a token bucket of `linesPerSecond`; the excess is counted and reported as `dropped`
 * on the next frame. Backfill lines (bounded by the request) bypass the rate limit.
 */
export class LineBatcher {
  private readonly options: LineBatcherOptions;
  private readonly head: string;
  private entries: string[] = [];
  private bytes = 0;
  private dropped = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: LineBatcherOptions) {
    this.options = options;
    this.tokens = options.linesPerSecond;
    this.head = `{"type":"logs.lines","streamId":${JSON.stringify(options.streamId)},"lines":[`;
  }

  /** Adds one line (without its newline). */
  push(line: string, ts = Date.now(), backfill = false): void {
    if (this.closed || !this.options.accept(line)) return;
    if (!backfill && !this.take()) {
      this.dropped += 1;
      this.arm();
      return;
    }
    const text =
      line.length > MAX_LOG_LINE_LENGTH ? `${line.slice(0, MAX_LOG_LINE_LENGTH)}…[truncated]` : line;
    const entry = `{"ts":${Math.max(0, Math.floor(ts))},"line":${JSON.stringify(text)}}`;
    const size = Buffer.byteLength(entry) + 1;
    if (
      this.entries.length >= MAX_LINES_PER_FRAME ||
      this.head.length + this.bytes + size + 32 > this.options.maxFrameBytes
    ) {
      this.flush();
    }
    this.entries.push(entry);
    this.bytes += size;
    this.arm();
  }

  /** Emits whatever is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.entries.length === 0 && this.dropped === 0) return;
    const dropped = this.dropped > 0 ? `,"dropped":${this.dropped}` : '';
    const text = `${this.head}${this.entries.join(',')}]${dropped}}`;
    const lines = this.entries.length + this.dropped;
    this.entries = [];
    this.bytes = 0;
    this.dropped = 0;
    this.options.emit(text, lines);
  }

  /** Lines that were batched but never sent (their frame was dropped): reported on the next frame. */
  countDropped(lines: number): void {
    if (this.closed || lines <= 0) return;
    this.dropped += lines;
    this.arm();
  }

  /** Flushes and stops accepting lines. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private arm(): void {
    this.timer ??= setTimeout(() => this.flush(), this.options.batchMs);
  }

  private take(): boolean {
    const now = Date.now();
    const rate = this.options.linesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

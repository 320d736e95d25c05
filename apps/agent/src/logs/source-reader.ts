/** @module logs/source-reader — one reader per log source, shared by every stream that tails it. */
import type { LogTail, TailHandlers } from './file-tail.js';

/** Lines a reader keeps for streams that join after it started (their backfill). */
const KEPT_LINES = 1000;
/** …and at most this many characters of them. */
const KEPT_CHARS = 2 * 1024 * 1024;

/** Receives the lines of a shared reader; each stream filters and batches them itself. */
export interface ReaderSubscriber {
  onLine(line: string, ts: number, backfill: boolean): void;
  onEnd(reason: string): void;
}

/** Starts the underlying tail (file, journalctl, docker) with a backfill of `backfill` lines. */
export type OpenTail = (backfill: number, handlers: TailHandlers) => Promise<LogTail>;

/**
 * Follows one source with a single tail (one file descriptor, one `journalctl`, one docker request),
 * however many streams watch it, and hands each line to every subscriber. The first subscriber's
 * backfill is read from the source; later ones get theirs from the lines kept since (at most
 * KEPT_LINES). The tail stops when the last subscriber leaves.
 */
export class SourceReader {
  private readonly subscribers = new Set<ReaderSubscriber>();
  private readonly kept: { line: string; ts: number }[] = [];
  private keptChars = 0;
  private tail: LogTail | undefined;
  private opening: Promise<void> | undefined;
  private ended = false;

  constructor(
    private readonly openTail: OpenTail,
    private readonly onIdle: () => void,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Adds a subscriber; resolves once the tail runs (rejects when it cannot be opened). */
  async add(subscriber: ReaderSubscriber, backfill: number): Promise<void> {
    if (this.ended) throw new Error('the source reader has ended');
    if (!this.opening) {
      this.subscribers.add(subscriber);
      this.opening = this.openTail(backfill, {
        onLine: (line, ts, isBackfill) => this.line(line, ts, isBackfill),
        onEnd: (reason) => this.end(reason),
      }).then((tail) => {
        if (this.subscribers.size === 0 || this.ended) tail.stop();
        else this.tail = tail;
      });
      try {
        await this.opening;
      } catch (error) {
        this.subscribers.delete(subscriber);
        this.ended = true;
        this.onIdle();
        throw error;
      }
      return;
    }
    await this.opening;
    for (const { line, ts } of backfill > 0 ? this.kept.slice(-backfill) : [])
      subscriber.onLine(line, ts, true);
    this.subscribers.add(subscriber);
  }

  /** Removes a subscriber; the last one stops the tail. */
  remove(subscriber: ReaderSubscriber): void {
    if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
    this.ended = true;
    this.tail?.stop();
    this.tail = undefined;
    this.onIdle();
  }

  private line(line: string, ts: number, backfill: boolean): void {
    this.kept.push({ line, ts });
    this.keptChars += line.length;
    while (this.kept.length > KEPT_LINES || this.keptChars > KEPT_CHARS) {
      this.keptChars -= this.kept.shift()?.line.length ?? 0;
    }
    for (const subscriber of this.subscribers) subscriber.onLine(line, ts, backfill);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.tail = undefined;
    this.onIdle();
    for (const subscriber of [...this.subscribers]) subscriber.onEnd(reason);
    this.subscribers.clear();
  }
}

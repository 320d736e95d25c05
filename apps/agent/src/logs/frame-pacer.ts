/** @module logs/frame-pacer — paces every log frame of the agent under the server's budget. */

/** Share of the server's message rate that log frames may use (metrics use half, actions the rest). */
const MESSAGE_SHARE = 0.25;
/** Log bytes per second the agent sends at most (the server's agent budget is larger). */
export const LOG_BYTES_PER_SECOND = 1024 * 1024;
/** Frames waiting beyond this many bytes are dropped (and reported by the stream as dropped lines). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

interface Queued {
  text: string;
  bytes: number;
  send: (text: string) => void;
  onDrop: () => void;
}

/**
 * One queue for the log frames of all streams, drained at a quarter of the server's message rate
 * and at most LOG_BYTES_PER_SECOND, so a burst of backfills (30 subscribes with backfill 1000) is
 * spread over time instead of tripping the server's rate limit and getting the agent disconnected.
 */
export class FramePacer {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  private messagesPerSecond = 100;

  /** The server's message rate from `welcome`. */
  setMessageRate(perSecond: number): void {
    this.messagesPerSecond = Math.max(1, perSecond);
  }

  /** Queues one serialized frame; `onDrop` runs when it is dropped instead of sent. */
  push(text: string, send: (text: string) => void, onDrop: () => void): void {
    const bytes = Buffer.byteLength(text);
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      onDrop();
      return;
    }
    this.queue.push({ text, bytes, send, onDrop });
    this.queuedBytes += bytes;
    this.pump();
  }

  /** Frames waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  /** Forgets every queued frame (the connection is gone). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private pump(): void {
    if (this.timer) return;
    for (;;) {
      const next = this.queue[0];
      if (!next) return;
      const wait = this.nextAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      this.queuedBytes -= next.bytes;
      next.send(next.text);
      const byRate = 1000 / (this.messagesPerSecond * MESSAGE_SHARE);
      const byBytes = (next.bytes * 1000) / LOG_BYTES_PER_SECOND;
      this.nextAt = Math.max(this.nextAt, Date.now() - byRate) + Math.max(byRate, byBytes);
    }
  }
}

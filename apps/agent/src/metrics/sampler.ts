/** @module metrics/sampler — the sampling clock: collect, store in the outbox, hand to the sender. */
import type { Logger } from '../log.js';
import type { MetricsOutbox } from '../outbox/metrics-outbox.js';
import type { ContainerMonitor } from '../containers/container-monitor.js';
import type { MetricsCollector } from './collector.js';

/** How long a sample waits for the container part past the host part, at most (ms). */
const CONTAINER_GRACE_MS = 250;

export interface SamplerOptions {
  collector: MetricsCollector;
  outbox: MetricsOutbox;
  intervalMs: number;
  log: Logger;
  /** Called after each sample was stored. */
  onSample: () => void;
  /** The host's containers, collected beside the host figures (absent: no `containers` in samples). */
  containers?: Pick<ContainerMonitor, 'sample' | 'prefetch'>;
}

/**
 * Takes a sample every `intervalMs`. `setInterval` changes the period at once: a faster period takes
 * the next sample as soon as the new period has passed since the last one. Collections never overlap.
 */
export class Sampler {
  private readonly options: SamplerOptions;
  private intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private prefetchTimer: NodeJS.Timeout | undefined;
  private lastStart = 0;
  private running = false;
  private stopped = true;

  constructor(options: SamplerOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs;
  }

  /** The current period (ms). */
  get interval(): number {
    return this.intervalMs;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.prefetchTimer);
  }

  /** How long before a tick the container refresh starts (ms). */
  private get lead(): number {
    return Math.min(1000, this.intervalMs / 4);
  }

  /** Switches the period (from `metrics.interval`, or back to the slow one on disconnect). */
  setInterval(ms: number): void {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (!this.running && !this.stopped) this.schedule(Math.max(0, this.lastStart + ms - Date.now()));
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
    // The container refresh takes a while (≈ 0.4 s for 50): start it ahead so the tick finds it done.
    clearTimeout(this.prefetchTimer);
    const { containers } = this.options;
    if (containers && delay > this.lead)
      this.prefetchTimer = setTimeout(() => void containers.prefetch(), delay - this.lead);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.lastStart = Date.now();
    try {
      // The container part runs concurrently; the sample takes its last complete result (see ContainerMonitor).
      const containers = this.options.containers?.sample(
        Math.min(CONTAINER_GRACE_MS, this.intervalMs / 4),
        Math.max(3 * this.intervalMs, 30_000),
        this.lead,
      );
      const partial = await this.options.collector.collect(this.lastStart);
      const list = await containers;
      if (!this.stopped) {
        this.options.outbox.append((seq) => ({ seq, ...partial, ...(list ? { containers: list } : {}) }));
        this.options.onSample();
      }
    } catch (error) {
      this.options.log.error(`metrics collection failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.schedule(Math.max(0, this.lastStart + this.intervalMs - Date.now()));
  }
}

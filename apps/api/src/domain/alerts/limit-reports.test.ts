// The warnings of the alert engine's bounds: one per key and window, with what the window kept quiet.
import { Writable } from 'node:stream';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { createLimitReports, LIMIT_WARNING_EVERY_MS } from './limit-reports.js';

describe('limit reports', () => {
  it('counts every occurrence but warns once per key and window, then says what the window kept quiet', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        cb();
      },
    });
    const counter = new Counter({ name: 'capped_total', help: 'x', registers: [new Registry()] });
    let now = 1_000_000;
    const reports = createLimitReports(createLogger('warn', sink), () => now);
    reports.report('opens|r1|h1', 135, counter, { ruleId: 'r1' }, 'capped');
    reports.report('opens|r1|h1', 130, counter, { ruleId: 'r1' }, 'capped');
    reports.report('opens|r2|h1', 7, counter, { ruleId: 'r2' }, 'capped');
    now += LIMIT_WARNING_EVERY_MS - 1;
    reports.report('opens|r1|h1', 125, counter, { ruleId: 'r1' }, 'capped');
    now += 1;
    reports.report('opens|r1|h1', 120, counter, { ruleId: 'r1' }, 'capped');
    expect((await counter.get()).values[0]?.value).toBe(135 + 130 + 7 + 125 + 120);
    expect(lines.map((l) => [l.ruleId, l.quietSamples, l.quietTotal])).toEqual([
      ['r1', undefined, undefined],
      ['r2', undefined, undefined],
      ['r1', 2, 255],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseTopic, roleAtLeast, topicFor } from './common.js';
import { parseRetryHint, formatRetryHint } from './errors.js';
import { compileLogFilter } from './log-filter.js';
import { extractSeries } from './metrics.js';

describe('topics', () => {
  it('round-trips every kind and refuses anything else', () => {
    expect(parseTopic(topicFor.host('h_1'))).toEqual({ kind: 'host', id: 'h_1' });
    expect(parseTopic(topicFor.org('o-1'))).toEqual({ kind: 'org', id: 'o-1' });
    for (const bad of ['host:', 'user:1', 'host:a/b', 'host:a:b', 'tail:x'])
      expect(parseTopic(bad)).toBeUndefined();
  });
});

describe('roles', () => {
  it('orders viewer < operator < admin < owner', () => {
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('owner', 'admin')).toBe(true);
    expect(roleAtLeast('admin', 'owner')).toBe(false);
  });
});

describe('retry hints', () => {
  it('reads close reasons and Retry-After values, and nothing else', () => {
    expect(parseRetryHint(formatRetryHint(4.2))).toBe(5);
    expect(parseRetryHint('12')).toBe(12);
    for (const bad of [undefined, '', 'replaced', 'retry-after=soon', 'retry-after=-1'])
      expect(parseRetryHint(bad)).toBeUndefined();
  });
});

describe('log filters', () => {
  it('matches substrings, case-insensitively on request, and regular expressions', () => {
    expect(compileLogFilter({ pattern: 'ERR', regex: false, ignoreCase: false })('an ERR here')).toBe(true);
    expect(compileLogFilter({ pattern: 'err', regex: false, ignoreCase: false })('an ERR here')).toBe(false);
    expect(compileLogFilter({ pattern: 'err', regex: false, ignoreCase: true })('an ERR here')).toBe(true);
    expect(compileLogFilter({ pattern: '^5\\d\\d ', regex: true, ignoreCase: false })('503 upstream')).toBe(
      true,
    );
    expect(() => compileLogFilter({ pattern: '(', regex: true, ignoreCase: false })).toThrow();
  });
});

describe('extractSeries', () => {
  it('derives percentages and takes the fullest filesystem', () => {
    const series = extractSeries({
      seq: 1,
      ts: 1,
      cpu: { total: 12, cores: [12] },
      load: [1, 2, 3],
      memory: { total: 1000, used: 250, available: 750, swapTotal: 0, swapUsed: 0 },
      filesystems: [
        { mount: '/', fstype: 'ext4', total: 100, used: 10 },
        { mount: '/data', fstype: 'xfs', total: 100, used: 90 },
      ],
      disk: { readBps: 5, writeBps: 6, devices: [] },
      network: { rxBps: 7, txBps: 8, interfaces: [] },
      uptime: 1,
      processes: { count: 1, topCpu: [], topMemory: [] },
    });
    expect(series).toEqual({
      cpu: 12,
      memory: 25,
      swap: 0,
      disk: 90,
      diskRead: 5,
      diskWrite: 6,
      netRx: 7,
      netTx: 8,
      load1: 1,
      load5: 2,
      load15: 3,
    });
  });
});

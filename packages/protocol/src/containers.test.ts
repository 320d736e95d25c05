import { describe, expect, it } from 'vitest';
import { ContainerInfo, containerNameMatches, isContainerDown } from './containers.js';
import { MetricsSample } from './metrics.js';

describe('containerNameMatches', () => {
  it.each([
    ['web', 'web', true],
    ['web', 'web-1', false],
    ['web*', 'web-1', true],
    ['web*', 'api', false],
    ['*-db', 'orders-db', true],
    ['*-db', 'orders-db-1', false],
    ['w?b', 'wab', true],
    ['w?b', 'wb', false],
    ['*', 'anything', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(containerNameMatches(pattern, name)).toBe(expected);
  });

  it('stays linear on a pathological pattern', () => {
    const name = 'a'.repeat(5000);
    expect(containerNameMatches('*a*a*a*a*a*b', name)).toBe(false);
  });
});

describe('isContainerDown', () => {
  it('is down when not running or unhealthy', () => {
    expect(isContainerDown({ state: 'running', health: 'healthy' })).toBe(false);
    expect(isContainerDown({ state: 'running', health: 'none' })).toBe(false);
    expect(isContainerDown({ state: 'running', health: 'starting' })).toBe(false);
    expect(isContainerDown({ state: 'running', health: 'unhealthy' })).toBe(true);
    expect(isContainerDown({ state: 'exited', health: 'none' })).toBe(true);
    expect(isContainerDown({ state: 'paused', health: 'none' })).toBe(true);
  });
});

describe('ContainerInfo in a sample', () => {
  const container = {
    id: 'abc123',
    name: 'web',
    image: 'nginx:1.27',
    state: 'running',
    health: 'none',
    cpuPercent: 12.5,
    memoryBytes: 1024,
    memoryLimitBytes: 0,
    netRxBps: 1,
    netTxBps: 2,
    blockReadBps: 3,
    blockWriteBps: 4,
    restartCount: 0,
  };

  it('accepts a container and rejects a bad name', () => {
    expect(ContainerInfo.safeParse(container).success).toBe(true);
    expect(ContainerInfo.safeParse({ ...container, name: '/web' }).success).toBe(false);
    expect(ContainerInfo.safeParse({ ...container, health: 'ok' }).success).toBe(false);
  });

  it('keeps samples without containers valid (older agents)', () => {
    const shape = MetricsSample.shape;
    expect(shape.containers.safeParse(undefined).success).toBe(true);
    expect(shape.containers.safeParse([container]).success).toBe(true);
  });
});

// The fleet row's container count: "12 containers, 1 down".
import { describe, expect, it } from 'vitest';
import { containerCountText } from './fleet-table.js';

describe('container count', () => {
  it('names the total and, only when some are, how many are down', () => {
    expect(containerCountText({ total: 12, down: 1 })).toBe('12 containers, 1 down');
    expect(containerCountText({ total: 1, down: 0 })).toBe('1 container');
    expect(containerCountText({ total: 0, down: 0 })).toBe('0 containers');
  });
});

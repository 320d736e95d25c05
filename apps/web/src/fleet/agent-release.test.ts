// Which agent versions the fleet marks as outdated against the server's release.
import { describe, expect, it } from 'vitest';
import { isOutdated } from './agent-release.js';

describe('isOutdated', () => {
  it('compares dotted versions numerically', () => {
    expect(isOutdated('0.1.0', '0.2.0')).toBe(true);
    expect(isOutdated('0.9.0', '0.10.0')).toBe(true);
    expect(isOutdated('1.0.0', '0.10.0')).toBe(false);
    expect(isOutdated('0.2.0', '0.2.0')).toBe(false);
  });

  it('marks nothing when the release is unknown or a version is not dotted numbers', () => {
    expect(isOutdated('0.1.0', null)).toBe(false);
    expect(isOutdated('test', '0.2.0')).toBe(false);
  });
});

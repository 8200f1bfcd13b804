import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/core/backoff.js';

const policy = { baseMs: 1000, maxMs: 60_000 };

describe('retry backoff', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [20, 60_000],
  ])('retry %i waits at most %i ms', (attempt, ceiling) => {
    expect(backoffMs(attempt, policy, 1)).toBe(ceiling);
  });

  it('spreads retries over the whole window (full jitter)', () => {
    expect(backoffMs(3, policy, 0)).toBe(0);
    expect(backoffMs(3, policy, 0.5)).toBe(2000);
  });
});

import { describe, expect, it } from 'vitest';
import {
  bucketRate,
  DEFAULT_MONTHLY_FRACTION,
  monthlyFractionToRate,
  PRIOR_WEIGHT_HOURS,
  posteriorRate,
} from '../../src/core/interruptions.js';

describe('interruption rates', () => {
  it.each([
    [0, 0.025],
    [2, 0.125],
    [4, 0.25],
  ])('reads Spot Advisor bucket %i as %f of instances per month', (bucket, fraction) => {
    expect(bucketRate(bucket)).toBeCloseTo(monthlyFractionToRate(fraction), 12);
  });

  it('turns a monthly fraction into a per-hour rate that reproduces it over a month', () => {
    const rate = monthlyFractionToRate(0.25);
    expect(1 - Math.exp(-rate * 730)).toBeCloseTo(0.25, 10);
  });

  it('is the prior for a pool never observed', () => {
    expect(posteriorRate(0.001, undefined)).toBe(0.001);
  });

  it('moves towards what was observed as observation outweighs the prior', () => {
    const prior = monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION);
    const calm = posteriorRate(prior, { interruptions: 0, hours: 5000 });
    const stormy = posteriorRate(prior, { interruptions: 50, hours: 1000 });
    expect(calm).toBeLessThan(prior / 5);
    expect(stormy).toBeCloseTo((prior * PRIOR_WEIGHT_HOURS + 50) / (PRIOR_WEIGHT_HOURS + 1000), 12);
    expect(stormy).toBeGreaterThan(0.03);
  });

  it('keeps the worst bucket below the default for unknown pools', () => {
    expect(bucketRate(4)).toBeLessThan(monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION));
  });
});

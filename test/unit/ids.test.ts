import { describe, expect, it } from 'vitest';
import { randomIds, seededIds } from '../../src/ids.js';

describe('id sources', () => {
  it('give 32 hex digits', () => {
    for (const source of [randomIds, seededIds(1)]) expect(source()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('repeat the same sequence for a seed and differ between seeds', () => {
    const take = (seed: number) => {
      const next = seededIds(seed);
      return [next(), next(), next()];
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    expect(new Set(take(7)).size).toBe(3);
  });
});

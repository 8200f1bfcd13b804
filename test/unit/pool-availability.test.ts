// A running node's pool as the scheduler's snapshot sees it: its offer's availability in the annotated list,
// without its block, found by the pool's place in the store's list.
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/core/model.js';
import { PoolAvailability } from '../../src/services/pool-availability.js';
import { offer } from '../helpers/builders.js';

const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];
const listOf = (order: readonly string[]) =>
  Object.freeze(
    order.map((zone) =>
      Object.freeze(
        offer({
          zone,
          availability: { score: 2, blockedUntil: '2026-11-28T13:00:00Z', interruptionsPerHour: null },
        }),
      ),
    ),
  );
/** As Availability.annotate: the same offers with a rate, offer for offer. */
const annotated = (listed: readonly Offer[], rate: (zone: string) => number) =>
  Object.freeze(
    listed.map((o) =>
      Object.freeze({ ...o, availability: { ...o.availability, interruptionsPerHour: rate(o.zone!) } }),
    ),
  );
const node = (zone: string) => ({ ...listOf([zone])[0]!, availability: undefined });

describe('the availability of a running node’s pool', () => {
  it('is its offer’s in the annotated list, without the block, whatever the order and the rates', () => {
    const pools = new PoolAvailability();
    const lists = [listOf(zones), listOf([...zones].reverse()), listOf(zones.slice(1))];
    for (const [k, listed] of lists.entries()) {
      const rates = annotated(listed, (zone) => zones.indexOf(zone) / 10 + k);
      for (const zone of zones) {
        const expected = rates.find((o) => o.zone === zone)?.availability;
        expect(pools.of(listed, rates, node(zone))).toEqual(expected && { ...expected, blockedUntil: null });
      }
      // Again, with new rates for the same store list (its positions are kept).
      const later = annotated(listed, (zone) => zones.indexOf(zone) / 100);
      expect(pools.of(listed, later, node('us-east-1b'))?.interruptionsPerHour).toBe(0.01);
    }
  });

  it('knows no pool when nothing was annotated (a tick with nothing to place)', () => {
    expect(new PoolAvailability().of(listOf(zones), [], node('us-east-1a'))).toBeUndefined();
  });
});

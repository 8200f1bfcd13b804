// A running node's pool as the scheduler's snapshot sees it: the offered pool's rate now, without its block,
// worked out again only for the offers that changed when a new list holds the same pools.
import { describe, expect, it } from 'vitest';
import { type Offer, poolKey } from '../../src/core/model.js';
import { PoolAvailability } from '../../src/services/pool-availability.js';
import { offer } from '../helpers/builders.js';

const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e'];
const four = zones.slice(0, 4);
const listOf = (rates: readonly number[], order = four) =>
  Object.freeze(
    order.map((zone) =>
      Object.freeze(
        offer({
          zone,
          availability: {
            score: 2,
            blockedUntil: '2026-11-28T13:00:00Z',
            interruptionsPerHour: rates[zones.indexOf(zone)]!,
          },
        }),
      ),
    ),
  );
const fresh = (offers: readonly Offer[]) =>
  new Map(offers.map((o) => [poolKey(o), { ...o.availability, blockedUntil: null }]));

describe('the availability of a running node’s pool', () => {
  it('is each offered pool’s, without its block, through lists that change some rates, their order or their pools', () => {
    const pools = new PoolAvailability();
    const first = listOf([0.1, 0.2, 0.3, 0.4]);
    const lists = [
      first,
      Object.freeze([first[0]!, ...listOf([0.1, 0.25, 0.3, 0.45]).slice(1)]),
      listOf([0.1, 0.25, 0.3, 0.45], [...four].reverse()),
      listOf([0.15, 0.2, 0.35, 0.4], [...four].reverse()),
      listOf([0.15, 0.2, 0.35, 0.4, 0.9], [zones[0]!, zones[1]!, zones[2]!, zones[4]!]),
      listOf([0.5, 0.5, 0.5, 0.5], zones.slice(0, 3)),
      listOf([0.6, 0.5, 0.5, 0.7]),
      first,
    ];
    for (const list of lists) expect(pools.of(list)).toEqual(fresh(list));
  });

  it('answers a list it has seen with the same map', () => {
    const pools = new PoolAvailability();
    const list = listOf([0.1, 0.2, 0.3, 0.4]);
    expect(pools.of(list)).toBe(pools.of(list));
  });
});

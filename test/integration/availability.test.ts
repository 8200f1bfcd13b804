// Learned availability: interruption rates per spot pool, from the public prior and what the daemon saw.
import { afterEach, describe, expect, it } from 'vitest';
import { loadAwsSpotAdvisorBuckets } from '../../src/catalog/interruption-priors.js';
import type { CapacityProvider } from '../../src/clouds/ports.js';
import { bucketRate, DEFAULT_MONTHLY_FRACTION, monthlyFractionToRate } from '../../src/core/interruptions.js';
import { Availability } from '../../src/services/availability.js';
import { openStore, type Store } from '../../src/store/store.js';
import { node, offer } from '../helpers/builders.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
afterEach(async () => d?.stop());

type OfferBody = {
  cloud: string;
  region: string;
  zone: string | null;
  instanceType: string;
  market: string;
  availability: { interruptionsPerHour: number | null };
};
const offers = async (q: string): Promise<OfferBody[]> =>
  (await d.call('GET', `/v1/offers?${q}&limit=5000`, ADMIN)).body.items;

describe('interruption rates on offers', () => {
  it('start from the AWS Spot Advisor bucket of the pool, or a pessimistic default elsewhere', async () => {
    d = await testDaemon();
    const buckets = loadAwsSpotAdvisorBuckets();
    const aws = (await offers('cloud=aws&market=spot')).find((o) =>
      buckets.has(`${o.region}/${o.instanceType}`),
    )!;
    expect(aws.availability.interruptionsPerHour).toBeCloseTo(
      bucketRate(buckets.get(`${aws.region}/${aws.instanceType}`)!),
      12,
    );
    const gcp = (await offers('cloud=gcp&market=spot'))[0]!;
    expect(gcp.availability.interruptionsPerHour).toBeCloseTo(
      monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION),
      12,
    );
    const onDemand = (await offers('market=on-demand'))[0]!;
    expect(onDemand.availability.interruptionsPerHour).toBeNull();
  });

  it('rise for a pool where the daemon saw an interruption', async () => {
    d = await testDaemon();
    const job = {
      name: 'j',
      team: 'research',
      image: 'i',
      resources: { gpu: { models: ['T4'], count: 1 } },
      runtime: { estimateHours: 1 },
      market: 'spot',
    };
    const id = (await d.call('POST', '/v1/jobs', ADMIN, job)).body.id;
    for (const s of [0, 1, 0]) await d.advance(s);
    const placement = (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body.placement;
    const same = (o: OfferBody) =>
      o.region === placement.region &&
      o.zone === placement.zone &&
      o.instanceType === placement.instanceType &&
      o.market === 'spot';
    const before = (await offers(`cloud=${placement.cloud}&market=spot`)).find(same)!.availability
      .interruptionsPerHour!;
    await d.call('POST', `/v1/sim/nodes/${placement.nodeIds[0]}/interrupt`, ADMIN, {});
    await d.advance(0);
    const after = (await offers(`cloud=${placement.cloud}&market=spot`)).find(same)!.availability
      .interruptionsPerHour!;
    expect(after).toBeGreaterThan(before * 2);
  });
});

// A store with spot nodes going up and down, read by a provider that bills wall hours.
const hours = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 3_600_000;
const providers = new Map([['sim', { billableHours: hours } as unknown as CapacityProvider]]);
const h = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 3_600_000);
const nodesOf = (store: Store) => ({
  add(id: string, zone: string, readyAt: number) {
    const { jobIds: _, ...record } = node({
      id,
      zone,
      readyAt: h(readyAt).toISOString(),
      createdAt: h(readyAt).toISOString(),
    });
    store.nodes.insert(record);
  },
  end(id: string, at: number, interrupted = false) {
    store.nodes.transition(id, 'terminated', {
      terminatedAt: h(at).toISOString(),
      ...(interrupted ? { interruptedAt: h(at).toISOString() } : {}),
    });
  },
});

describe('what the daemon saw per spot pool', () => {
  it('adds up the same whether read once or every tick, terminations stamped late included', () => {
    const store = openStore(':memory:');
    const ticking = new Availability(store, providers, new Map());
    const { add, end } = nodesOf(store);
    const steps: [number, () => void][] = [
      [1, () => add('a', 'us-east-1a', 0)],
      [2, () => add('b', 'us-east-1b', 1)],
      [3, () => end('a', 3, true)],
      [40, () => add('c', 'us-east-1a', 39)],
      [41, () => end('c', 41)],
      // A terminate call that started earlier and finished later: stamped half an hour before the last termination.
      [42, () => end('b', 40.5, true)],
      [80, () => add('d', 'us-east-1b', 79)],
    ];
    for (const [t, step] of steps) {
      step();
      const fresh = new Availability(store, providers, new Map()).observed(h(t));
      expect(ticking.observed(h(t))).toEqual(fresh);
    }
    expect(ticking.observed(h(80)).get('aws/us-east-1/us-east-1b/p4d.24xlarge/spot')).toEqual({
      interruptions: 1,
      hours: 39.5 + 1,
    });
  });
});

describe('offers annotated with their rates', () => {
  it('come back as the same frozen objects while a pool’s rate stays, and anew when it moves', () => {
    const store = openStore(':memory:');
    const availability = new Availability(store, providers, new Map());
    const spot = offer({ zone: 'us-east-1a' });
    const other = offer({ zone: 'us-east-1b' });
    store.offers.replace('aws', 'simulated', [spot, other], h(0).toISOString());
    const first = availability.annotate(store.offers.list(), h(1));
    const second = availability.annotate(store.offers.list(), h(2));
    expect(second).toEqual(first);
    expect(second[0]).toBe(first[0]);
    expect(Object.isFrozen(first[0])).toBe(true);
    // A node of the first pool runs: what the daemon saw moves that pool's rate, not the other's.
    const { jobIds: _, ...record } = node({
      zone: 'us-east-1a',
      readyAt: h(0).toISOString(),
      createdAt: h(0).toISOString(),
    });
    store.nodes.insert(record);
    const third = availability.annotate(store.offers.list(), h(3));
    const byZone = (list: readonly { zone: string | null }[]) => new Map(list.map((o) => [o.zone, o]));
    expect(byZone(third).get('us-east-1a')).not.toBe(byZone(first).get('us-east-1a'));
    expect(byZone(third).get('us-east-1b')).toBe(byZone(first).get('us-east-1b'));
  });

  it('are, tick after tick, what a fresh reader annotates, the store’s list kept or polled anew', () => {
    const store = openStore(':memory:');
    const ticking = new Availability(store, providers, new Map());
    const market = (price: number) => [
      offer({ zone: 'us-east-1a' }),
      offer({ zone: 'us-east-1b', pricePerHour: price }),
      offer({ zone: 'us-east-1c' }),
      offer({ zone: 'us-east-1a', market: 'on-demand', pricePerHour: 30 }),
    ];
    store.offers.replace('aws', 'simulated', market(10), h(0).toISOString());
    const nodes = nodesOf(store);
    const add = nodes.add;
    const end = (id: string, at: number) => nodes.end(id, at, true);
    const steps: [number, () => void][] = [
      [1, () => {}],
      [2, () => add('a', 'us-east-1a', 1)],
      [3, () => {}],
      [4, () => add('b', 'us-east-1b', 3)],
      [5, () => end('a', 5)],
      [6, () => store.offers.replace('aws', 'simulated', market(11), h(6).toISOString())],
      [7, () => end('b', 7)],
      [8, () => {}],
      [9, () => add('c', 'us-east-1c', 8)],
    ];
    let before: readonly unknown[] = [];
    for (const [t, step] of steps) {
      step();
      const listed = store.offers.list();
      const annotated = ticking.annotate(listed, h(t));
      expect(annotated).toEqual(new Availability(store, providers, new Map()).annotate(listed, h(t)));
      // Asked again at the same instant: the same list.
      expect(ticking.annotate(listed, h(t))).toBe(annotated);
      if (t === 8) expect(annotated).toBe(before); // nothing seen moved since the last tick
      before = annotated;
    }
  });

  it('leave an offer that is not frozen as a fresh copy each time', () => {
    const availability = new Availability(openStore(':memory:'), providers, new Map());
    const spot = offer({});
    const [a] = availability.annotate([spot], h(1));
    const [b] = availability.annotate([spot], h(1));
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });
});

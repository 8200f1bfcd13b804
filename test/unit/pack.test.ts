import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/core/model.js';
import {
  costGroupOf,
  type PackNode,
  type PackRequest,
  type PackResult,
  type PackTarget,
  pack,
  requestFromJob,
} from '../../src/core/placement/pack.js';
import {
  allocate,
  emptyInventory,
  type NodeGpus,
  type SlotRequest,
} from '../../src/core/placement/slices.js';
import { job, offer, spec } from '../helpers/builders.js';

function req(id: string, gpu: SlotRequest, over: Partial<PackRequest> = {}): PackRequest {
  return { id, team: 'research', gpu, units: 1, spread: 'gang', ...over };
}

function gpuOffer(
  model: string,
  count: number,
  memoryGiB: number,
  price: number,
  zone = 'us-east-1a',
): Offer {
  return offer({
    gpu: { model, count, memoryGiB },
    pricePerHour: price,
    zone,
    instanceType: `${model}x${count}-${price}`,
  });
}

function runningNode(id: string, inventory: NodeGpus, zone = 'us-east-1a'): PackNode {
  return { id, cloud: 'aws', region: 'us-east-1', zone, inventory };
}

/** An offer costs its price per hour; a running node's free slot costs what the test says (default 0). */
function run(requests: PackRequest[], offers: Offer[], nodes: PackNode[] = [], slotCost = 0): PackResult {
  const cost = (_r: PackRequest, t: PackTarget) => (t.kind === 'offer' ? t.offer.pricePerHour : slotCost);
  return pack({ requests, offers, nodes, cost });
}

const zonesOf = (r: PackResult, id: string) =>
  r.assignments.find((a) => a.requestId === id)?.units.map((u) => u.zone) ?? [];

describe('packing several jobs onto one node', () => {
  const four = gpuOffer('A100', 4, 40, 10);
  const eight = gpuOffer('A100', 8, 40, 16);

  it('puts two 4-GPU jobs on one 8-GPU node when it costs less than two 4-GPU nodes', () => {
    const r = run([req('a', { count: 4 }), req('b', { count: 4 })], [four, eight]);
    expect(r.launches).toHaveLength(1);
    expect(r.launches[0]?.offer).toBe(eight);
    expect(r.launches[0]?.requestIds).toEqual(['a', 'b']);
    expect(r.totalCost).toBe(16);
    expect(r.assignments.map((a) => a.cost)).toEqual([8, 8]);
  });

  it('does so for jobs that share no cost group (different teams, different answers)', () => {
    const r = run(
      [req('a', { count: 4 }, { team: 'x' }), req('b', { count: 4 }, { team: 'y', priority: 1 })],
      [four, eight],
    );
    expect(r.launches.map((l) => l.offer)).toEqual([eight]);
    expect(r.totalCost).toBe(16);
  });

  it('keeps them apart when two small nodes are cheaper than one big one', () => {
    const r = run([req('a', { count: 4 }), req('b', { count: 4 })], [four, gpuOffer('A100', 8, 40, 25)]);
    expect(r.launches.map((l) => l.offer)).toEqual([four, four]);
    expect(r.totalCost).toBe(20);
  });

  it('does not open a big node for a lone job that expected company', () => {
    const r = run([req('a', { count: 4 })], [four, eight]);
    expect(r.launches.map((l) => l.offer)).toEqual([four]);
  });

  it('packs 1-GPU jobs eight to a node and the rest onto the cheapest small nodes', () => {
    const one = gpuOffer('A100', 1, 40, 3);
    const requests = Array.from({ length: 10 }, (_, i) => req(`j${i}`, { count: 1 }, { group: 'same' }));
    const r = run(requests, [one, eight]);
    expect(r.launches.map((l) => l.offer.gpu.count).sort()).toEqual([1, 1, 8]);
    expect(r.totalCost).toBe(22);
  });

  it('merges three part-used nodes onto one larger node when no two of them pay for it', () => {
    const teams = ['x', 'y', 'z'];
    const requests = teams.map((team) => req(`j-${team}`, { count: 3 }, { team }));
    const r = run(requests, [gpuOffer('A100', 4, 40, 29), gpuOffer('A100', 16, 40, 58)]);
    expect(r.launches.map((l) => l.offer.gpu.count)).toEqual([16]);
    expect(r.totalCost).toBe(58);
  });

  describe('across zones', () => {
    const a1 = gpuOffer('A100', 1, 40, 5, 'us-east-1a');
    const b1 = gpuOffer('A100', 1, 40, 5, 'us-east-1b');
    const c2 = gpuOffer('A100', 2, 40, 7, 'us-east-1c');
    // Job 'a' costs 1 more in zone b and every other job 1 more in zone a: the greedy pass puts 'a' in zone a
    // and the others in zone b, each alone on a node.
    const cost = (r: PackRequest, t: PackTarget) =>
      t.kind === 'node' ? 0 : t.offer.pricePerHour + (t.offer === (r.id === 'a' ? b1 : a1) ? 1 : 0);

    it('merges two single-unit jobs the greedy pass sent to two zones onto one node, when cheaper', () => {
      const r = pack({
        requests: [req('a', { count: 1 }), req('b', { count: 1 })],
        offers: [a1, b1, c2],
        nodes: [],
        cost,
      });
      expect(r.launches.map((l) => [l.offer, l.requestIds])).toEqual([[c2, ['a', 'b']]]);
      expect(r.totalCost).toBe(7);
    });

    it('never moves a gang member out of its gang’s zone', () => {
      const gang = req('g', { count: 1 }, { units: 2 });
      const r = pack({ requests: [gang, req('a', { count: 1 })], offers: [a1, b1, c2], nodes: [], cost });
      expect(zonesOf(r, 'g')).toEqual(['aws:us-east-1:us-east-1b', 'aws:us-east-1:us-east-1b']);
      expect(r.totalCost).toBe(15);
    });
  });

  it('lets a small job of another cost group join a node opened in this cycle that has room', () => {
    const r = run([req('big', { count: 7 }), req('small', { count: 1 }, { team: 'other' })], [eight, four]);
    expect(r.launches).toHaveLength(1);
    expect(r.launches[0]?.requestIds).toEqual(['big', 'small']);
  });

  it('uses a free slot on a running node before buying, when it is cheaper', () => {
    const node = runningNode('n1', emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 }));
    const r = run([req('a', { count: 4 })], [four], [node], 2);
    expect(r.launches).toEqual([]);
    expect(r.assignments[0]?.units[0]?.where).toEqual({ kind: 'node', nodeId: 'n1' });
    expect(r.inventories.get('n1')?.gpus.filter((g) => g.allocations.length > 0)).toHaveLength(4);
  });

  it('buys when the running node’s slot costs more than a new node', () => {
    const node = runningNode('n1', emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 }));
    const r = run([req('a', { count: 4 })], [four], [node], 50);
    expect(r.launches.map((l) => l.offer)).toEqual([four]);
  });
});

describe('gangs', () => {
  it('keeps a gang in one zone, even when the cheapest nodes are in different zones', () => {
    const a = runningNode('n-a', emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 }), 'us-east-1a');
    const offers = [gpuOffer('A100', 8, 40, 10, 'us-east-1b'), gpuOffer('A100', 8, 40, 12, 'us-east-1a')];
    const r = run([req('g', { count: 8 }, { units: 3 })], offers, [a], 1);
    expect(new Set(zonesOf(r, 'g'))).toEqual(new Set(['aws:us-east-1:us-east-1a']));
    expect(r.totalCost).toBe(1 + 12 + 12);
  });

  it('puts gang members on distinct nodes', () => {
    const r = run([req('g', { count: 2 }, { units: 2 })], [gpuOffer('A100', 8, 40, 10)]);
    expect(r.launches).toHaveLength(2);
    expect(r.launches.map((l) => l.offer.gpu.count)).toEqual([8, 8]);
  });

  it('reports a gang that no single zone can hold', () => {
    const nodes = [
      runningNode('n-a', emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 }), 'us-east-1a'),
      runningNode('n-b', emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 }), 'us-east-1b'),
    ];
    const r = run([req('g', { count: 8 }, { units: 2 })], [], nodes);
    expect(r.assignments).toEqual([]);
    expect(r.unplaced).toEqual([
      { requestId: 'g', reasons: expect.objectContaining({ NO_OFFERS: 1 }), message: expect.any(String) },
    ]);
    expect(r.inventories.size).toBe(0);
  });
});

describe('inference replicas and shared GPUs', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

  it('spreads the replicas of one deployment over distinct zones, even at a higher price', () => {
    const offers = zones.map((z, i) => gpuOffer('L4', 1, 24, 1 + i, z));
    const r = run([req('inf', { fraction: 0.25, memoryGiB: 4 }, { units: 3, spread: 'replicas' })], offers);
    expect(new Set(zonesOf(r, 'inf')).size).toBe(3);
  });

  it('puts replicas on distinct nodes when there is only one zone', () => {
    const r = run(
      [req('inf', { fraction: 0.25, memoryGiB: 4 }, { units: 2, spread: 'replicas' })],
      [gpuOffer('L4', 1, 24, 1)],
    );
    expect(r.launches).toHaveLength(2);
  });

  it('packs MIG slices of different teams onto one A100', () => {
    const requests = ['x', 'y', 'z'].map((team) =>
      req(`inf-${team}`, { fraction: 0.1, memoryGiB: 5 }, { team }),
    );
    const r = run(requests, [gpuOffer('A100', 1, 40, 4), gpuOffer('L4', 1, 24, 3)]);
    expect(r.launches).toHaveLength(1);
    expect(r.launches[0]?.offer.gpu.model).toBe('A100');
    expect(r.assignments.map((a) => a.units[0]?.slot.kind)).toEqual(['mig', 'mig', 'mig']);
  });

  it('gives each team its own GPU for MPS shares', () => {
    const requests = ['x', 'y'].map((team) => req(`inf-${team}`, { fraction: 0.25, memoryGiB: 4 }, { team }));
    const r = run(requests, [gpuOffer('L4', 2, 24, 2), gpuOffer('L4', 1, 24, 1.5)]);
    const gpus = r.assignments.map((a) => `${a.units[0]?.where.kind}:${a.units[0]?.slot.gpuIndices[0]}`);
    expect(new Set(gpus).size).toBe(2);
    expect(r.totalCost).toBe(2);
  });
});

describe('what the packer cannot place', () => {
  it.each([
    ['a GPU model no offer has', req('a', { count: 1 }, { models: ['H100'] }), 'GPU_MODEL'],
    ['more GPU memory than offered', req('a', { count: 1 }, { minMemoryGiB: 80 }), 'GPU_MEMORY'],
    ['more GPUs than any node has', req('a', { count: 16 }), 'GPU_COUNT'],
    ['a slice larger than the GPU', req('a', { fraction: 0.5, memoryGiB: 60 }), 'GPU_MEMORY'],
  ])('says why it cannot place %s', (_what, request, reason) => {
    const r = run([request], [gpuOffer('A100', 8, 40, 10)]);
    expect(r.unplaced).toEqual([
      { requestId: 'a', reasons: { [reason]: 1 }, message: expect.stringContaining(reason) },
    ]);
  });

  it('passes on the caller’s refusals and unpriced targets', () => {
    const offers = [gpuOffer('A100', 8, 40, 10, 'us-east-1a'), gpuOffer('A100', 8, 40, 11, 'us-east-1b')];
    const r = pack({
      requests: [req('a', { count: 1 })],
      offers,
      nodes: [],
      refuse: (_r, t) => (t.kind === 'offer' && t.offer.zone === 'us-east-1a' ? 'REGION_EXCLUDED' : null),
      cost: () => Number.POSITIVE_INFINITY,
    });
    expect(r.unplaced[0]?.reasons).toEqual({ REGION_EXCLUDED: 1, UNPRICED: 1 });
  });

  it('says a running node is busy when its free GPUs went to a job placed first', () => {
    const inv = allocate(
      emptyInventory({ model: 'A100', count: 2, memoryGiB: 40 }),
      { count: 1 },
      'old',
      'x',
    );
    const node = runningNode('n1', inv!.inventory);
    const r = run([req('a', { count: 1 }, { priority: 9 }), req('b', { count: 1 })], [], [node]);
    expect(r.assignments.map((a) => a.requestId)).toEqual(['a']);
    expect(r.unplaced[0]).toMatchObject({ requestId: 'b', reasons: { NODE_BUSY: 1, NO_OFFERS: 1 } });
  });
});

describe('requests from jobs', () => {
  it('gives jobs that differ only in name and team one cost group, and others not', () => {
    const a = spec({ name: 'a' });
    expect(costGroupOf(a)).toBe(costGroupOf(spec({ name: 'b' })));
    expect(costGroupOf(a)).not.toBe(costGroupOf(spec({ runtime: { estimateHours: 3 } })));
  });

  it('makes a gang of a batch job’s nodes and replicas of an inference deployment', () => {
    const batch = job({ spec: spec({ resources: { gpu: { models: ['A100'], count: 8 }, nodes: 2 } }) });
    expect(requestFromJob(batch, 'k')).toEqual({
      id: 'job-1',
      team: 'research',
      gpu: { count: 8 },
      models: ['A100'],
      units: 2,
      spread: 'gang',
      priority: 50,
      group: 'k',
    });
    const inference = job({
      spec: spec({ kind: 'inference', replicas: 3, resources: { gpu: { fraction: 0.25, memoryGiB: 10 } } }),
    });
    expect(requestFromJob(inference)).toMatchObject({
      gpu: { fraction: 0.25, memoryGiB: 10 },
      units: 3,
      spread: 'replicas',
    });
  });
});

describe('what the packer keeps of frozen offers between cycles', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const market = zones.flatMap((zone, z) => [
    gpuOffer('A100', 8, 40, 16 + z, zone),
    gpuOffer('A100', 4, 40, 9 + z, zone),
    gpuOffer('H100', 8, 80, 30 - z, zone),
    gpuOffer('L4', 1, 24, 1 + z / 10, zone),
  ]);
  const requests = [
    req('a', { count: 4 }, { models: ['A100'] }),
    req('b', { count: 2 }, { team: 'x' }),
    req('g', { count: 8 }, { units: 2 }),
    req('r', { count: 1 }, { units: 3, spread: 'replicas', models: ['L4'] }),
  ];
  const frozen = market.map((o) => Object.freeze({ ...o }));

  it('packs the same frozen offers, in any order and any new list, as it packs fresh copies of them', () => {
    const orders = [frozen, [...frozen].reverse(), [...frozen.slice(5), ...frozen.slice(0, 5)], frozen];
    for (const list of orders) {
      const asFresh = run(
        requests,
        list.map((o) => ({ ...o })),
      );
      const kept = run(requests, Object.freeze([...list]) as Offer[]);
      const launched = (r: PackResult) => r.launches.map((l) => `${l.offer.zone}/${l.offer.instanceType}`);
      expect(launched(kept)).toEqual(launched(asFresh));
      expect(kept.assignments.map((a) => [a.requestId, a.cost])).toEqual(
        asFresh.assignments.map((a) => [a.requestId, a.cost]),
      );
    }
  });

  it('packs new offers at the last list’s places, or others, at their own prices and on the GPUs asked for', () => {
    // Prices shuffled among the offers, so that other offers win than at the last list's prices.
    const repriced = (list: readonly Offer[], by: number) =>
      Object.freeze(list.map((o, i) => Object.freeze({ ...o, pricePerHour: ((i * 7 + by * 13) % 41) + 1 })));
    const lists = [
      repriced(frozen, 1),
      repriced(frozen, 2),
      repriced(frozen.slice(1), 3),
      repriced(frozen, 4),
      repriced([...frozen].reverse(), 5),
    ];
    for (const list of lists) {
      const kept = run(requests, list as Offer[]);
      expect(kept.launches.map((l) => l.offer)).toEqual(
        run(
          requests,
          list.map((o) => ({ ...o })),
        ).launches.map((l) => l.offer),
      );
      for (const l of kept.launches) expect(list).toContain(l.offer);
      // Each request on a GPU it asked for, priced at this list's prices (new nodes cost what their offers do).
      const gpuOf = (id: string) =>
        kept.launches.filter((l) => l.requestIds.includes(id)).map((l) => l.offer.gpu.model);
      expect(new Set(gpuOf('a'))).toEqual(new Set(['A100']));
      expect(new Set(gpuOf('r'))).toEqual(new Set(['L4']));
      expect(kept.totalCost).toBeCloseTo(kept.launches.reduce((sum, l) => sum + l.offer.pricePerHour, 0));
    }
  });
});

describe('a lone request of one unit with a floor under the cost', () => {
  const priced: Offer[] = [];
  const markup = new Map<Offer, number>();
  const cost = (_r: PackRequest, t: PackTarget) => {
    if (t.kind !== 'offer') return 0;
    priced.push(t.offer);
    return t.offer.pricePerHour + (markup.get(t.offer) ?? 0);
  };
  const floor = (_r: PackRequest, o: Offer) => o.pricePerHour;
  const solve = (requests: PackRequest[], offers: Offer[], withFloor: boolean) => {
    priced.length = 0;
    return pack({ requests, offers, nodes: [], cost, ...(withFloor ? { floor } : {}) });
  };

  it('prices offers from the lowest floor up and stops once the floor passes the cheapest cost', () => {
    const offers = [40, 10, 30, 12, 20].map((p) => gpuOffer('A100', 1, 40, p));
    markup.set(offers[1]!, 5); // 15: the 12 one wins
    const r = solve([req('a', { count: 1 })], offers, true);
    expect(r.launches.map((l) => l.offer.pricePerHour)).toEqual([12]);
    expect(priced.map((o) => o.pricePerHour)).toEqual([10, 12]);
  });

  it('still prices an offer whose floor equals the cheapest cost: it may win the tie', () => {
    const tie = gpuOffer('A100', 1, 40, 11); // listed first, so it wins a tie
    const marked = gpuOffer('A100', 1, 40, 10);
    markup.set(marked, 1); // costs 11 too
    const offers = [tie, marked];
    const r = solve([req('a', { count: 1 })], offers, true);
    expect(r.launches[0]?.offer).toBe(solve([req('a', { count: 1 })], offers, false).launches[0]?.offer);
    expect(r.launches[0]?.offer).toBe(tie);
  });

  it.each([
    ['two requests', [req('a', { count: 1 }), req('b', { count: 1 }, { team: 'x' })]],
    ['a gang of two', [req('g', { count: 1 }, { units: 2 })]],
  ])('prices every offer for %s (others may join a dearer node)', (_what, requests) => {
    const offers = [40, 10, 30].map((p) => gpuOffer('A100', 8, 40, p));
    solve(requests, offers, true);
    expect(priced).toHaveLength(offers.length * new Set(requests.map((r) => r.id)).size);
  });
});

// Properties of the packer on small random cycles: whatever it decides, no slot is booked twice, every
// allocation fits its GPU, MIG layouts are ones the hardware accepts, MPS GPUs hold one team, gangs stay in a
// zone, and every request is either placed whole or reported with a reason.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Offer } from '../../src/core/model.js';
import { type MigPlacement, validPlacements } from '../../src/core/placement/mig.js';
import {
  type PackNode,
  type PackRequest,
  type PackResult,
  type PackTarget,
  pack,
  type UnitWhere,
} from '../../src/core/placement/pack.js';
import {
  allocate,
  emptyInventory,
  type GpuSlot,
  isWholeRequest,
  type NodeGpus,
  type SlotRequest,
  usesMig,
} from '../../src/core/placement/slices.js';
import { offer } from '../helpers/builders.js';

const SHAPES = [
  { model: 'A100', memoryGiB: 40 },
  { model: 'A100', memoryGiB: 80 },
  { model: 'H100', memoryGiB: 80 },
  { model: 'L4', memoryGiB: 24 },
  { model: 'T4', memoryGiB: 16 },
] as const;
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TEAMS = ['x', 'y', 'z'];

const slotArb: fc.Arbitrary<SlotRequest> = fc.oneof(
  fc.record({ count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    fraction: fc.integer({ min: 1, max: 20 }).map((n) => n / 20),
    memoryGiB: fc.integer({ min: 1, max: 48 }),
  }),
);

const offerArb = fc
  .record({
    shape: fc.constantFrom(...SHAPES),
    count: fc.constantFrom(1, 2, 4, 8),
    zone: fc.constantFrom(...ZONES),
    price: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ shape, count, zone, price }) =>
    offer({ gpu: { ...shape, count }, zone, pricePerHour: price, instanceType: `${shape.model}x${count}` }),
  );

const nodeArb = fc
  .record({
    shape: fc.constantFrom(...SHAPES),
    count: fc.constantFrom(1, 2, 4, 8),
    zone: fc.constantFrom(...ZONES),
    jobs: fc.array(fc.tuple(slotArb, fc.constantFrom(...TEAMS)), { maxLength: 4 }),
  })
  .map(({ shape, count, zone, jobs }) => ({ shape, count, zone, jobs }));

const requestArb = fc.record({
  gpu: slotArb,
  team: fc.constantFrom(...TEAMS),
  units: fc.integer({ min: 1, max: 3 }),
  spread: fc.constantFrom('gang' as const, 'replicas' as const),
  models: fc.option(fc.subarray(['A100', 'H100', 'L4', 'T4'], { minLength: 1 }), { nil: undefined }),
  group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
  priority: fc.integer({ min: 0, max: 3 }),
});

const cycleArb = fc.record({
  offers: fc.array(offerArb, { maxLength: 8 }),
  nodes: fc.array(nodeArb, { maxLength: 3 }),
  requests: fc.array(requestArb, { minLength: 1, maxLength: 10 }),
});

interface Cycle {
  requests: PackRequest[];
  nodes: PackNode[];
  offers: Offer[];
}

type RawCycle = typeof cycleArb extends fc.Arbitrary<infer T> ? T : never;

function build(raw: RawCycle): Cycle {
  const nodes: PackNode[] = raw.nodes.map((n, i) => {
    let inv = emptyInventory({ ...n.shape, count: n.count });
    n.jobs.forEach(([slot, team], k) => {
      inv = allocate(inv, slot, `old-${i}-${k}`, team)?.inventory ?? inv;
    });
    return { id: `n${i}`, cloud: 'aws', region: 'us-east-1', zone: n.zone, inventory: inv };
  });
  const requests: PackRequest[] = raw.requests.map((r, i) => ({
    id: `r${i}`,
    team: r.team,
    gpu: r.gpu,
    units: r.units,
    spread: r.spread,
    priority: r.priority,
    ...(r.models ? { models: r.models } : {}),
    // A group promises equal answers: the cost below reads only the target, and refuse reads the models.
    ...(r.group
      ? { group: `${r.group}/${JSON.stringify([r.gpu, r.models ?? null, r.units, r.spread])}` }
      : {}),
  }));
  return { requests, nodes, offers: raw.offers };
}

function solve(c: Cycle): PackResult {
  return pack({
    ...c,
    cost: (_r, t) => (t.kind === 'offer' ? t.offer.pricePerHour : 0.5 + Number(t.node.id.slice(1))),
  });
}

/** Every inventory after the cycle: running nodes (changed or not) and new ones. */
function finalInventories(c: Cycle, r: PackResult): [string, NodeGpus][] {
  return [
    ...c.nodes.map((n): [string, NodeGpus] => [n.id, r.inventories.get(n.id) ?? n.inventory]),
    ...r.launches.map((l): [string, NodeGpus] => [l.launchId, l.inventory]),
  ];
}

type Check = (c: Cycle, r: PackResult) => string | null;

const whereOf = (w: UnitWhere) => (w.kind === 'node' ? w.nodeId : w.launchId);
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const EPS = 1e-9;

/** Runs a check on every GPU of every inventory after the cycle. */
function eachGpu(check: (inv: NodeGpus, g: GpuSlot, where: string) => string | null): Check {
  return (c, r) => {
    for (const [where, inv] of finalInventories(c, r)) {
      for (const g of inv.gpus) {
        const v = check(inv, g, where);
        if (v) return `${where} GPU ${g.index}: ${v}`;
      }
    }
    return null;
  };
}

const noDoubleBooking: Check = (c, r) => {
  const invs = new Map(finalInventories(c, r));
  const given = new Map<string, number>();
  for (const a of r.assignments) {
    for (const x of a.units) {
      const inv = invs.get(whereOf(x.where));
      for (const i of x.slot.gpuIndices) {
        if (!inv?.gpus[i]?.allocations.some((al) => al.jobId === a.requestId))
          return `${a.requestId} was given GPU ${i} of ${whereOf(x.where)} but does not hold it`;
        const key = `${whereOf(x.where)}/${i}/${a.requestId}`;
        given.set(key, (given.get(key) ?? 0) + 1);
      }
    }
  }
  for (const [where, inv] of invs) {
    for (const g of inv.gpus) {
      if (g.mode === 'whole' && g.allocations.length > 1) return `${where} GPU ${g.index} given whole twice`;
      for (const al of g.allocations) {
        if (al.jobId.startsWith('old-')) continue;
        const held = g.allocations.filter((x) => x.jobId === al.jobId).length;
        if (given.get(`${where}/${g.index}/${al.jobId}`) !== held)
          return `${al.jobId} holds ${held} slots on ${where} GPU ${g.index}, more than it was given`;
      }
    }
  }
  return null;
};

const withinGpu = eachGpu((inv, g) => {
  if (g.allocations.some((a) => a.memoryGiB > inv.memoryGiB + EPS)) return 'an allocation exceeds the memory';
  if (sum(g.allocations.map((a) => a.memoryGiB)) > inv.memoryGiB + EPS) return 'memory overbooked';
  if (sum(g.allocations.map((a) => a.fraction)) > 1 + EPS) return 'compute overbooked';
  return null;
});

const validMig = eachGpu((inv, g) => {
  if (g.mode !== 'mig' || g.allocations.length === 0) return null;
  if (!usesMig(inv)) return 'MIG on a GPU without MIG';
  const placements: MigPlacement[] = [];
  for (const a of g.allocations) {
    if (!a.mig) return 'a MIG GPU holds a share that is not a MIG instance';
    placements.push(a.mig);
  }
  return validPlacements(inv.model, inv.memoryGiB, placements)
    ? null
    : `invalid layout ${JSON.stringify(placements)}`;
});

const oneTeamShared = eachGpu((inv, g) => {
  if (g.mode !== 'shared' || g.allocations.length === 0) return null;
  if (usesMig(inv)) return 'MPS share on a MIG GPU';
  return new Set(g.allocations.map((a) => a.team)).size === 1
    ? null
    : 'two teams share a GPU without isolation';
});

const gangsInOneZone: Check = (c, r) => {
  for (const a of r.assignments) {
    const q = c.requests.find((x) => x.id === a.requestId);
    if (q?.spread !== 'gang') continue;
    if (new Set(a.units.map((u) => u.zone)).size !== 1) return `gang ${q.id} spans zones`;
    if (new Set(a.units.map((u) => whereOf(u.where))).size !== q.units) return `gang ${q.id} shares a node`;
  }
  return null;
};

const placedOrReported: Check = (c, r) => {
  for (const q of c.requests) {
    const a = r.assignments.find((x) => x.requestId === q.id);
    const u = r.unplaced.find((x) => x.requestId === q.id);
    if (Boolean(a) === Boolean(u))
      return `${q.id} is ${a ? 'both placed and unplaced' : 'neither placed nor reported'}`;
    if (u && Object.keys(u.reasons).length === 0) return `${q.id} unplaced without a reason`;
    if (a && a.units.length !== q.units) return `${q.id} got ${a.units.length} of ${q.units} units`;
    for (const x of a?.units ?? []) {
      const s = x.slot;
      if (isWholeRequest(q.gpu) !== (s.kind === 'whole')) return `${q.id} got a ${s.kind} slot`;
      if (isWholeRequest(q.gpu) && s.gpuIndices.length !== q.gpu.count) return `${q.id} got too few GPUs`;
      if (!isWholeRequest(q.gpu) && s.kind !== 'whole' && s.memoryGiB < q.gpu.memoryGiB)
        return `${q.id} got too little memory`;
    }
  }
  return null;
};

const keepsRunningWork: Check = (c, r) => {
  for (const n of c.nodes) {
    const after = r.inventories.get(n.id) ?? n.inventory;
    for (const g of n.inventory.gpus) {
      for (const a of g.allocations) {
        if (!after.gpus[g.index]?.allocations.some((b) => b.jobId === a.jobId))
          return `${n.id} lost ${a.jobId}`;
      }
    }
  }
  return null;
};

const costsAddUp: Check = (_c, r) => {
  const total = sum(r.assignments.map((a) => a.cost));
  return Math.abs(total - r.totalCost) <= 1e-6 * Math.max(1, r.totalCost)
    ? null
    : `${total} ≠ ${r.totalCost}`;
};

const PROPERTIES: [string, Check][] = [
  ['books no slot twice', noDoubleBooking],
  ['keeps every allocation within its GPU’s memory and compute', withinGpu],
  ['builds only MIG layouts the hardware accepts', validMig],
  ['keeps one team per GPU shared without isolation', oneTeamShared],
  ['keeps each gang in one zone, on distinct nodes', gangsInOneZone],
  ['places every request whole, or reports it with a reason', placedOrReported],
  ['keeps what running nodes held', keepsRunningWork],
  ['shares out exactly the total cost', costsAddUp],
];

describe('the packer, on random small cycles', () => {
  it.each(PROPERTIES)('%s', (_name, check) => {
    fc.assert(
      fc.property(cycleArb, (raw) => {
        const c = build(raw);
        const violation = check(c, solve(c));
        if (violation) throw new Error(violation);
      }),
      { numRuns: 200 },
    );
  });
});

describe('a lone request of one unit, priced from a floor up', () => {
  // Costs above the price by a random share, refusals at random: the floor (the price) is under every cost.
  const loneArb = fc.record({
    offers: fc.array(
      fc.tuple(offerArb, fc.integer({ min: 0, max: 30 }), fc.boolean()).map(([o, extra, refused]) => ({
        o,
        extra,
        refused,
      })),
      { maxLength: 12 },
    ),
    nodes: fc.array(nodeArb, { maxLength: 3 }),
    request: requestArb.map((r) => ({ ...r, units: 1 })),
  });

  it('places it as pricing every offer does, and never prices more offers', () => {
    fc.assert(
      fc.property(loneArb, (raw) => {
        const c = build({ offers: raw.offers.map((x) => x.o), nodes: raw.nodes, requests: [raw.request] });
        const extra = new Map(raw.offers.map((x) => [x.o, x]));
        let priced = 0;
        const input = {
          ...c,
          cost: (_r: PackRequest, t: PackTarget) => {
            if (t.kind === 'node') return 0.5 + Number(t.node.id.slice(1));
            priced++;
            return t.offer.pricePerHour * (1 + extra.get(t.offer)!.extra / 10);
          },
          refuse: (_r: PackRequest, t: PackTarget) =>
            t.kind === 'offer' && extra.get(t.offer)!.refused ? 'PRICE_CAP' : null,
        };
        const all = pack(input);
        const everyOffer = priced;
        priced = 0;
        const floored = pack({ ...input, floor: (_r, o) => o.pricePerHour });
        if (JSON.stringify(floored) !== JSON.stringify(all))
          throw new Error(`${JSON.stringify(floored)} ≠ ${JSON.stringify(all)}`);
        if (priced > everyOffer) throw new Error(`priced ${priced} offers, ${everyOffer} without a floor`);
      }),
      { numRuns: 300 },
    );
  });
});

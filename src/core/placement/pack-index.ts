// The packer's indexes, built once per cycle: requests grouped into classes that get the same answers, each
// group's feasible offers with their cost (one cost call per group and offer, not per request), the cheapest
// offer per zone and per "units per node", and each group's candidate nodes. Offers are reached through an
// index by GPU (model, memory), so a group that asks for H100s never looks at a T4 offer.
import { gpuMatches } from '../gpus.js';
import type { Offer } from '../model.js';
import { type ByShape, indexByShape, type OfferShapes, offerShapes, shapeOf } from './pack-offers.js';
import {
  type Candidate,
  type CostClass,
  type Group,
  type Index,
  type NodeState,
  type OfferCost,
  PackReason,
  type ReqState,
  zoneKey,
} from './pack-state.js';
import type { PackInput, PackNode, PackRequest, PackTarget } from './pack-types.js';
import { cheapestPerM } from './pack-zones.js';
import { Reason } from './reasons.js';
import { allocate, emptyInventory, isWholeRequest } from './slices.js';

function bump(reasons: Record<string, number>, code: string, n = 1): void {
  reasons[code] = (reasons[code] ?? 0) + n;
}

/** Units of one request's slot that fit an empty node of this GPU shape (capped: only a lookahead uses it). */
function unitsPerNode(r: PackRequest, gpu: { model: string; count: number; memoryGiB: number }, cap: number) {
  if (isWholeRequest(r.gpu)) return r.gpu.count >= 1 ? Math.floor(gpu.count / r.gpu.count) : 0;
  let inv = emptyInventory(gpu);
  let m = 0;
  while (m < cap) {
    const next = allocate(inv, r.gpu, r.id, r.team);
    if (!next) break;
    inv = next.inventory;
    m++;
  }
  return m;
}

type Shapes = OfferShapes & {
  /** Running nodes by canonical (model, memory). */
  readonly nodesByShape: ByShape;
};

export function buildIndex<R extends PackRequest, N extends PackNode>(input: PackInput<R, N>): Index<R> {
  const shapes: Shapes = {
    ...offerShapes(input.offers),
    nodesByShape: indexByShape(input.nodes.map((n) => shapeOf({ gpu: n.inventory }))),
  };
  const nodes: NodeState<R>[] = input.nodes.map((n, idx) => ({
    idx,
    existingId: n.id,
    zone: zoneKey(n),
    offerIdx: -1,
    inv: n.inventory,
    cost: 0,
    units: [],
    alive: true,
  }));

  // The packer's own view of a request (its slot and accepted GPUs) is part of the class, whatever the caller's
  // group says: units per node and fit are computed once per class.
  const classKey = (r: R) =>
    r.group === undefined
      ? `\u0000id:${r.id}`
      : `${r.group}\u0000${JSON.stringify([r.gpu, r.models ?? null, r.minMemoryGiB ?? null])}`;
  const totals = new Map<string, number>();
  for (const r of input.requests)
    totals.set(classKey(r), (totals.get(classKey(r)) ?? 0) + Math.max(1, r.units));
  // One request of one unit takes the cheapest place there is (nothing else competes for it, nothing joins it,
  // and the improvement pass only moves a node to a cheaper offer): offers dearer than that are not priced.
  const only = input.requests.length === 1 ? input.requests[0] : undefined;
  const alone = only && Math.max(1, only.units) === 1 ? input.floor : undefined;
  const classes = new Map<string, CostClass<R>>();
  const groups = new Map<string, Group<R>>();
  const reqs: ReqState<R>[] = [];
  for (const r of input.requests) {
    const ck = classKey(r);
    let cls = classes.get(ck);
    if (!cls) {
      cls = buildClass(r, Math.min(128, totals.get(ck) ?? 1), shapes, input, nodes, alone);
      classes.set(ck, cls);
    }
    const gk = `${ck}\u0000${r.team}`;
    let g = groups.get(gk);
    if (!g) {
      g = buildGroup(r, cls);
      groups.set(gk, g);
    }
    g.remaining += Math.max(1, r.units);
    reqs.push({ request: r, group: g });
  }
  return { groups: [...groups.values()], reqs, nodes };
}

function buildClass<R extends PackRequest, N extends PackNode>(
  rep: R,
  cap: number,
  shapes: Shapes,
  input: PackInput<R, N>,
  nodes: NodeState<R>[],
  /** Present when the class is one request of one unit, alone in the cycle: see PackInput.floor. */
  floor?: (request: R, offer: Offer) => number,
): CostClass<R> {
  const reasons: Record<string, number> = {};
  const offers: (OfferCost | undefined)[] = new Array(input.offers.length);
  // Offers by zone number; the zones in the order their first offer came, as the map below keeps them.
  const inZone: (OfferCost[] | undefined)[] = new Array(shapes.zones.length);
  const zoneOrder: number[] = [];
  const judge = (target: PackTarget<N>): number | null => {
    const refused = input.refuse?.(rep, target) ?? null;
    if (refused) {
      bump(reasons, refused);
      return null;
    }
    const c = input.cost(rep, target);
    if (!Number.isFinite(c) || c < 0) {
      bump(reasons, PackReason.UNPRICED);
      return null;
    }
    return c;
  };
  const fitReason = isWholeRequest(rep.gpu) ? Reason.GPU_COUNT : Reason.GPU_MEMORY;
  const gpuRefusal = (gpu: { model: string; memoryGiB: number }) =>
    gpuMatches(rep.models, rep.minMemoryGiB, gpu)
      ? null
      : gpuMatches(rep.models, undefined, gpu)
        ? Reason.GPU_MEMORY
        : Reason.GPU_MODEL;

  // The offers of a GPU the class accepts that hold a unit, with the units they hold, in the index's order.
  const fit: number[] = [];
  const units: number[] = [];
  for (const { gpu, idx } of shapes.byShape.values()) {
    const refused = gpuRefusal(gpu);
    if (refused) {
      bump(reasons, refused, idx.length);
      continue;
    }
    const perCount: number[] = [];
    for (const i of idx) {
      const count = shapes.counts[i]!;
      let m = perCount[count];
      if (m === undefined) {
        m = unitsPerNode(rep, { ...gpu, count }, cap);
        perCount[count] = m;
      }
      if (m < 1) bump(reasons, fitReason);
      else {
        fit.push(i);
        units.push(m);
      }
    }
  }
  const costs: (number | null)[] = new Array(input.offers.length);
  if (floor)
    judgeFromFloor(
      fit,
      costs,
      (i) => floor(rep, input.offers[i]!),
      (i) => judge(shapes.targets[i]!),
    );
  else for (const i of fit) costs[i] = judge(shapes.targets[i]!);
  fit.forEach((i, k) => {
    const c = costs[i];
    if (c === undefined || c === null) return;
    const oc: OfferCost = { offerIdx: i, zone: shapes.zoneOf[i]!, cost: c, m: units[k]! };
    offers[i] = oc;
    const z = shapes.zoneIdx[i]!;
    const list = inZone[z];
    if (list) list.push(oc);
    else {
      inZone[z] = [oc];
      zoneOrder.push(z);
    }
  });
  const byZone = new Map<string, OfferCost[]>();
  for (const z of zoneOrder) byZone.set(shapes.zones[z]!, inZone[z]!);
  if (input.offers.length === 0) bump(reasons, Reason.NO_OFFERS);

  const zoneClasses = new Map<string, OfferCost[]>();
  const all: OfferCost[] = [];
  for (const [zone, list] of byZone) {
    list.sort((a, b) => a.cost - b.cost || a.offerIdx - b.offerIdx);
    const classes = cheapestPerM(list);
    zoneClasses.set(zone, classes);
    all.push(...classes);
  }
  all.sort((a, b) => a.cost - b.cost || a.offerIdx - b.offerIdx);

  const existing: Candidate<R>[] = [];
  for (const { gpu, idx } of shapes.nodesByShape.values()) {
    const refused = gpuRefusal(gpu);
    if (refused) {
      bump(reasons, refused, idx.length);
      continue;
    }
    const perCount = new Map<number, number>();
    for (const i of idx) {
      const n = input.nodes[i]!;
      const count = n.inventory.gpus.length;
      let m = perCount.get(count);
      if (m === undefined) {
        m = unitsPerNode(rep, { ...gpu, count }, 1);
        perCount.set(count, m);
      }
      if (m < 1) {
        bump(reasons, fitReason);
        continue;
      }
      const c = judge({ kind: 'node', node: n });
      if (c !== null) existing.push({ node: nodes[i]!, cost: c });
    }
  }
  existing.sort((a, b) => a.cost - b.cost || a.node.idx - b.node.idx);
  const existingByZone = new Map<string, Candidate<R>[]>();
  for (const e of existing) {
    const list = existingByZone.get(e.node.zone);
    if (list) list.push(e);
    else existingByZone.set(e.node.zone, [e]);
  }
  return {
    offers,
    byZone,
    zoneClasses,
    zoneOrders: new Map(),
    gangOrders: new Map(),
    maxM: all.reduce((m, c) => Math.max(m, c.m), 1),
    classes: cheapestPerM(all),
    existing,
    existingByZone,
    reasons,
    groups: [],
  };
}

/**
 * Prices offers from the lowest floor up (ties in index order), stopping once a floor passes the cheapest cost
 * found: an offer not priced (its cost left undefined) costs more than that one. Refused ones are null.
 */
function judgeFromFloor(
  fit: readonly number[],
  costs: (number | null)[],
  floorOf: (i: number) => number,
  judge: (i: number) => number | null,
): void {
  const floors = new Float64Array(fit.length);
  fit.forEach((i, k) => {
    floors[k] = floorOf(i);
  });
  const order = fit.map((_, k) => k).sort((a, b) => floors[a]! - floors[b]! || fit[a]! - fit[b]!);
  let cheapest = Number.POSITIVE_INFINITY;
  for (const k of order) {
    if (floors[k]! > cheapest) break;
    const c = judge(fit[k]!);
    costs[fit[k]!] = c;
    if (c !== null && c < cheapest) cheapest = c;
  }
}

function buildGroup<R extends PackRequest>(rep: R, cls: CostClass<R>): Group<R> {
  const g: Group<R> = {
    rep,
    cls,
    existing: cls.existing.slice(),
    existingByZone: new Map([...cls.existingByZone].map(([zone, list]) => [zone, list.slice()])),
    opened: [],
    openedByZone: new Map(),
    dead: new Set(),
    remaining: 0,
    gangHeaps: new Map(),
  };
  cls.groups.push(g);
  return g;
}

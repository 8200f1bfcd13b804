// Second look at the nodes the packer opened in this cycle. The greedy pass opens a node betting that more
// units of the same group will join it; when they went elsewhere (a cheaper free slot, another zone for a
// replica, a gang sibling that may not share), the node is larger than it needs to be. And jobs of different
// groups each opened their own node where one bigger node would have been cheaper. So:
// 1. downsize: each new node moves to the cheapest offer of its zone that is feasible for all its units and
//    holds them all, when that is cheaper;
// 2. merge: pairs of new nodes in one zone move together onto one offer when it costs less than the two (and,
//    for part-used nodes, triples, which can pay where no pair does).
// A node holding a member of a larger request (a gang member, a replica) keeps its zone, so gangs stay in
// their zone and replicas keep their spread; two units of one request are never merged onto one node. A node
// whose units are all single-unit requests is free to move: after the per-zone passes, it moves to the
// cheapest offer in any zone, and such nodes merge across zones (two jobs the greedy pass sent to two zones,
// each alone on a node, may share one node). Running nodes are not touched.
import type { Offer } from '../model.js';
import type { CostClass, Hosted, NodeState, OfferCost } from './pack-state.js';
import type { PackRequest } from './pack-types.js';
import {
  allocate,
  emptyInventory,
  hasFreeCapacity,
  isWholeRequest,
  type NodeGpus,
  type SlotAssignment,
} from './slices.js';

/** Offers a re-homing looks at, cheapest first, per node or pair: bounds the time of one try. */
const SCAN_LIMIT = 64;
/** Merge partners each node tries, in its zone. */
const PARTNERS = 8;
/** Third nodes a pair of part-used nodes tries when the pair alone does not pay. */
const THIRDS = 4;

interface Rehome {
  offerIdx: number;
  zone: string;
  cost: number;
  inv: NodeGpus;
  slots: SlotAssignment[];
}

export function improve<R extends PackRequest>(
  nodes: NodeState<R>[],
  offers: readonly Offer[],
  budget: number,
): void {
  const fresh = nodes.filter((n) => n.alive && n.offerIdx >= 0 && n.units.length > 0);
  for (const node of fresh) {
    const r = rehome(node.units, node.zone, node.cost, offers);
    if (r) apply(node, r);
  }
  const byZone = new Map<string, NodeState<R>[]>();
  for (const node of fresh) {
    const list = byZone.get(node.zone) ?? [];
    list.push(node);
    byZone.set(node.zone, list);
  }
  const state = { tries: 0, triples: 0 };
  for (const list of byZone.values()) if (!mergeAll(list, offers, budget, state)) return;
  // Then the nodes free to move, across zones: each to the cheapest offer anywhere, then pairs and triples.
  const free = fresh.filter((n) => n.alive && scope(n) === null);
  for (const node of free) {
    const r = rehome(node.units, null, node.cost, offers);
    if (r) apply(node, r);
  }
  mergeAll(free, offers, budget, state, true);
}

/**
 * Merges within one list of nodes: those of one zone, onto an offer of that zone; or (`anyZone`) nodes free
 * to move, onto an offer of any zone. False once the budget is spent.
 */
function mergeAll<R extends PackRequest>(
  list: NodeState<R>[],
  offers: readonly Offer[],
  budget: number,
  state: { tries: number; triples: number },
  anyZone = false,
): boolean {
  const merge = (parts: NodeState<R>[]): boolean => {
    state.tries++;
    const units = parts.flatMap((p) => p.units);
    const r = rehome(
      units,
      anyZone ? null : parts[0]!.zone,
      parts.reduce((sum, p) => sum + p.cost, 0),
      offers,
    );
    if (!r) return false;
    const [a, ...rest] = parts;
    a!.units = units;
    apply(a!, r);
    for (const p of rest) {
      p.alive = false;
      p.units = [];
    }
    return true;
  };
  // Emptiest first: they gain most from a partner.
  list.sort((a, b) => used(a) - used(b) || a.idx - b.idx);
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    for (let j = i + 1, partners = 0; j < list.length && partners < PARTNERS && a.alive; j++) {
      const b = list[j]!;
      if (!b.alive || sharesRequest([a], b)) continue;
      if (state.tries >= budget) return false;
      partners++;
      if (merge([a, b])) continue;
      // Three part-used nodes can fit one larger node that no two of them make worth it (3+3+3 GPUs on 16).
      if (!hasFreeCapacity(a.inv) || !hasFreeCapacity(b.inv)) continue;
      for (let k = j + 1, thirds = 0; k < list.length && thirds < THIRDS; k++) {
        const c = list[k]!;
        if (!c.alive || !hasFreeCapacity(c.inv) || sharesRequest([a, b], c)) continue;
        if (state.tries >= budget || state.triples >= budget / 10) break;
        thirds++;
        state.triples++;
        if (merge([a, b, c])) break;
      }
    }
  }
  return true;
}

/** The node's zone, or null when it may move to any zone: all its units are single-unit requests. */
function scope<R extends PackRequest>(n: NodeState<R>): string | null {
  return n.units.every((h) => h.req.request.units <= 1) ? null : n.zone;
}

function used<R extends PackRequest>(n: NodeState<R>): number {
  return (
    n.inv.gpus.reduce((s, g) => s + (g.allocations.length > 0 ? 1 : 0), 0) / Math.max(1, n.inv.gpus.length)
  );
}

function sharesRequest<R extends PackRequest>(group: readonly NodeState<R>[], b: NodeState<R>): boolean {
  for (const n of group) for (const h of n.units) for (const x of b.units) if (h.req === x.req) return true;
  return false;
}

function apply<R extends PackRequest>(node: NodeState<R>, r: Rehome): void {
  node.offerIdx = r.offerIdx;
  node.zone = r.zone;
  node.cost = r.cost;
  node.inv = r.inv;
  node.units.forEach((h, i) => {
    h.slot = r.slots[i]!;
  });
}

const gpusNeeded = (units: readonly Hosted<PackRequest>[]) =>
  units.reduce(
    (s, h) => s + (isWholeRequest(h.req.request.gpu) ? h.req.request.gpu.count : h.req.request.gpu.fraction),
    0,
  );

/** Each class's feasible offers over all zones, cheapest first: built once a cycle, when a node may move. */
const ANY_ZONE = new WeakMap<object, readonly OfferCost[]>();

function offersIn<R extends PackRequest>(cls: CostClass<R>, zone: string | null): readonly OfferCost[] {
  if (zone !== null) return cls.byZone.get(zone) ?? [];
  let all = ANY_ZONE.get(cls);
  if (!all) {
    all = cls.offers
      .filter((o) => o !== undefined)
      .sort((a, b) => a.cost - b.cost || a.offerIdx - b.offerIdx);
    ANY_ZONE.set(cls, all);
  }
  return all;
}

/**
 * The cheapest offer in `zone` (any zone when null), below `bound`, feasible for every unit's group and
 * holding them all at once; with the units' new slots (in the order of `units`). Null when there is none.
 */
function rehome<R extends PackRequest>(
  units: readonly Hosted<R>[],
  zone: string | null,
  bound: number,
  offers: readonly Offer[],
): Rehome | null {
  const classes = [...new Set(units.map((h) => h.req.group.cls))];
  // Walk the class with the fewest offers in the zone: its list is the shortest, and every answer is in it.
  let lead: CostClass<R> | undefined;
  for (const g of classes) {
    if (!lead || offersIn(g, zone).length < offersIn(lead, zone).length) lead = g;
  }
  const candidates: readonly OfferCost[] = lead ? offersIn(lead, zone) : [];
  const need = Math.ceil(gpusNeeded(units) - 1e-9);
  // Large units first: whole GPUs, then big slices, so MIG layouts are built like the packer builds them.
  const order = units.map((h, i) => ({ h, i })).sort((x, y) => weight(y.h) - weight(x.h) || x.i - y.i);
  let best: Rehome | null = null;
  const limit = bound - 1e-9 * Math.max(1, Math.abs(bound));
  for (let k = 0; k < candidates.length && k < SCAN_LIMIT; k++) {
    const oc = candidates[k]!;
    if (oc.cost >= limit || (best && oc.cost >= best.cost)) break;
    const offer = offers[oc.offerIdx]!;
    if (offer.gpu.count < need) continue;
    let cost = oc.cost;
    for (const g of classes) cost = Math.max(cost, g.offers[oc.offerIdx]?.cost ?? Number.POSITIVE_INFINITY);
    if (cost >= limit || (best && cost >= best.cost)) continue;
    let inv = emptyInventory(offer.gpu);
    const slots: SlotAssignment[] = new Array(units.length);
    let fits = true;
    for (const { h, i } of order) {
      const fit = allocate(inv, h.req.request.gpu, h.req.request.id, h.req.request.team);
      if (!fit) {
        fits = false;
        break;
      }
      inv = fit.inventory;
      slots[i] = fit.slot;
    }
    if (fits) best = { offerIdx: oc.offerIdx, zone: oc.zone, cost, inv, slots };
  }
  return best;
}

function weight<R extends PackRequest>(h: Hosted<R>): number {
  const g = h.req.request.gpu;
  return isWholeRequest(g) ? g.count : g.fraction;
}

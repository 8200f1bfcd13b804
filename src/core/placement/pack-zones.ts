// Orders and lists the packer walks many times per cycle: zones by lower bounds on what a unit or a gang costs
// there, a lazily re-keyed heap of them, and candidate lists that shed dead nodes as they are walked.
import type { Candidate, CostClass, Group, NodeState, OfferCost } from './pack-state.js';
import type { PackRequest } from './pack-types.js';

type ZoneBound = readonly [string, number];

/**
 * Zones by what one unit costs at least on a new node there, cheapest first, when `ahead` units of the class may
 * share it (cost / min(units per node, ahead)). Built once per class and distinct lookahead.
 */
export function zoneOrder<R extends PackRequest>(cls: CostClass<R>, ahead: number): readonly ZoneBound[] {
  const key = Math.max(1, Math.min(ahead, cls.maxM));
  let order = cls.zoneOrders.get(key);
  if (!order) {
    const list = [...cls.zoneClasses].map(([zone, cs]) => {
      let lb = Number.POSITIVE_INFINITY;
      for (const c of cs) lb = Math.min(lb, c.cost / Math.min(c.m, key));
      return [zone, lb] as const;
    });
    list.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
    order = list;
    cls.zoneOrders.set(key, order);
  }
  return order;
}

/**
 * Zones by what a gang of n costs at least there, cheapest first: its members on the zone's running nodes of
 * the class (as many as there are, each at least the cheapest one's cost) and the rest on new nodes (at least
 * zoneOrder()'s bound). Nodes opened in this cycle are not counted; the gang looks at their zones first.
 */
export function gangOrder<R extends PackRequest>(
  cls: CostClass<R>,
  ahead: number,
  n: number,
): readonly ZoneBound[] {
  const key = `${Math.max(1, Math.min(ahead, cls.maxM))}/${n}`;
  let order = cls.gangOrders.get(key);
  if (!order) {
    const fresh = new Map(zoneOrder(cls, ahead));
    const zones = new Set([...fresh.keys(), ...cls.existingByZone.keys()]);
    const list = [...zones].map((zone) => {
      const nodes = cls.existingByZone.get(zone) ?? [];
      const on = Math.min(n, nodes.length);
      const rest = n - on;
      const lb =
        on * (nodes[0]?.cost ?? 0) + (rest > 0 ? rest * (fresh.get(zone) ?? Number.POSITIVE_INFINITY) : 0);
      return [zone, lb] as const;
    });
    list.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
    order = list;
    if (cls.gangOrders.size < 256) cls.gangOrders.set(key, order);
  }
  return order;
}

/**
 * A min-heap of zones by a lower bound on a gang's cost there. Bounds only rise during a cycle (nodes fill up,
 * lookaheads shrink), so a stale key is still a valid bound: a zone whose key proves too low is pushed back with
 * its present bound and comes out again in its right place.
 */
export class ZoneHeap {
  private readonly items: [string, number][];

  /** From a list sorted by bound, which is already a heap. */
  constructor(sorted: readonly ZoneBound[]) {
    this.items = sorted.map(([zone, bound]) => [zone, bound]);
  }

  get size(): number {
    return this.items.length;
  }

  peek(): ZoneBound | undefined {
    return this.items[0];
  }

  pop(): ZoneBound | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top && last && this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  push(zone: string, bound: number): void {
    this.items.push([zone, bound]);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.items[parent]![1] <= this.items[i]![1]) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.items[l]![1] < this.items[m]![1]) m = l;
      if (r < n && this.items[r]![1] < this.items[m]![1]) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.items[a]!;
    this.items[a] = this.items[b]!;
    this.items[b] = t;
  }
}

export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Drops nodes known to be dead for the group once a scan has skipped many of them: the scan already paid for
 * them, so the rewrite costs about as much again. (Deaths are permanent within a cycle.)
 */
export function compact<R extends PackRequest>(
  list: (Candidate<R> | NodeState<R>)[] | undefined,
  g: Group<R>,
  skipped: number,
): void {
  if (!list || skipped < 8) return;
  let w = 0;
  for (const x of list) {
    const node = 'node' in x ? x.node : x;
    if (node.alive && !g.dead.has(node)) list[w++] = x;
  }
  list.length = w;
}

/** The first entry not known dead for the group, dropping the dead ones before it (they gather at the front). */
export function firstLive<R extends PackRequest>(
  list: Candidate<R>[] | undefined,
  g: Group<R>,
): Candidate<R> | undefined {
  if (!list) return undefined;
  let k = 0;
  while (k < list.length && (!list[k]!.node.alive || g.dead.has(list[k]!.node))) k++;
  if (k > 0) list.splice(0, k);
  return list[0];
}

/** From a cheapest-first list: the first offer seen for each units-per-node, dropping dominated ones. */
export function cheapestPerM(sorted: readonly OfferCost[]): OfferCost[] {
  const out: OfferCost[] = [];
  for (const oc of sorted) {
    // A later (dearer) offer is only worth keeping if it holds more units than every cheaper one kept.
    if (out.every((k) => oc.m > k.m)) out.push(oc);
  }
  return out;
}

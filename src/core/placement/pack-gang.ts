// Gangs: all members in one zone, on distinct nodes, or none. The packer tries zones in the order of a lower
// bound on the gang's cost there and stops when the bound proves the rest dearer; the bounds live in a heap per
// group and gang size that is corrected as nodes fill up, so later gangs of the group try few zones.
import type { Constraints, Option, Undo } from './pack-greedy.js';
import type { NodeState, ReqState } from './pack-state.js';
import type { PackRequest } from './pack-types.js';
import { firstLive, gangOrder, ZoneHeap } from './pack-zones.js';
import { hasFreeCapacity, roomAfter } from './slices.js';

/** Zones a gang tries at most once it has one that works. */
const ZONE_TRIALS = 64;
/** Zones with nodes its class opened in this cycle that a gang tries first. */
const OPENED_ZONES = 8;

export interface GangHost<R extends PackRequest> {
  best(s: ReqState<R>, c: Constraints<R>, ahead: number): Option<R> | null;
  commit(s: ReqState<R>, unit: number, opt: Option<R>, log: Undo<R>[]): NodeState<R>;
}

export function placeGang<R extends PackRequest>(
  host: GangHost<R>,
  s: ReqState<R>,
  n: number,
  log: Undo<R>[],
): boolean {
  const g = s.group;
  const ahead = Math.max(1, g.remaining - n + 1);
  const tried = new Set<string>();
  let bestZone: string | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  const attempt = (zone: string) => {
    tried.add(zone);
    // Members never share a node, so trying a zone changes nothing: no undo needed.
    const used = new Set<NodeState<R>>();
    let total = 0;
    for (let k = 0; k < n && total < bestCost; k++) {
      const opt = host.best(s, { zone, excludeNodes: used }, ahead);
      if (!opt) return;
      if (opt.kind === 'node') used.add(opt.node);
      total += opt.score;
    }
    if (total < bestCost) {
      bestCost = total;
      bestZone = zone;
    }
  };

  // Zones where the class opened a node that may still have room: a member may cost nothing there.
  let recent = 0;
  for (const [zone, list] of g.openedByZone) {
    const last = list[list.length - 1];
    if (!last?.alive || g.dead.has(last) || !hasFreeCapacity(last.inv)) continue;
    attempt(zone);
    if (++recent >= OPENED_ZONES) break;
  }

  let heap = g.gangHeaps.get(n);
  if (!heap) {
    heap = new ZoneHeap(gangOrder(g.cls, ahead, n));
    g.gangHeaps.set(n, heap);
  }
  const back: [string, number][] = [];
  let trials = 0;
  for (let top = heap.peek(); top; top = heap.peek()) {
    const [zone, bound] = top;
    if (bound >= bestCost || (bestZone !== null && trials >= ZONE_TRIALS)) break;
    heap.pop();
    if (tried.has(zone)) {
      back.push([zone, bound]);
      continue;
    }
    const now = floor(s, n, ahead, zone);
    if (now > bound * (1 + 1e-12)) {
      heap.push(zone, now); // it comes out again in its right place
      continue;
    }
    back.push([zone, now]);
    trials++;
    attempt(zone);
  }
  for (const [zone, bound] of back) heap.push(zone, bound);

  if (bestZone === null) return false;
  const used = new Set<NodeState<R>>();
  for (let k = 0; k < n; k++) {
    const opt = host.best(s, { zone: bestZone, excludeNodes: used }, ahead);
    if (!opt) return false;
    used.add(host.commit(s, k, opt, log));
  }
  return true;
}

/**
 * What the gang costs at least in a zone now, without trying it: members on the zone's cheapest running nodes
 * with room, the rest on new nodes at this lookahead. (Nodes opened in this cycle are tried separately.)
 */
function floor<R extends PackRequest>(s: ReqState<R>, n: number, ahead: number, zone: string): number {
  const g = s.group;
  const { gpu, team } = s.request;
  let fresh = Number.POSITIVE_INFINITY;
  for (const c of g.cls.zoneClasses.get(zone) ?? []) {
    fresh = Math.min(fresh, c.cost / Math.max(1, Math.min(c.m, ahead)));
  }
  let k = 0;
  let total = 0;
  const list = g.existingByZone.get(zone);
  firstLive(list, g);
  for (const e of list ?? []) {
    if (k >= n || e.cost >= fresh) break;
    if (!e.node.alive || g.dead.has(e.node)) continue;
    if (roomAfter(e.node.inv, gpu, team) === null) {
      // Nothing of this request is placed yet, so too full now is too full for the rest of the cycle.
      g.dead.add(e.node);
      continue;
    }
    total += e.cost;
    k++;
  }
  return k >= n ? total : total + (n - k) * fresh;
}

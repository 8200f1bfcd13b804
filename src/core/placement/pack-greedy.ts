// The greedy pass of the packer: one request at a time, each unit to the cheapest place for it now.
// See pack.ts for the whole algorithm and docs/shared-gpus.md for why it is built this way.
import type { Offer } from '../model.js';
import { placeGang } from './pack-gang.js';
import type { Group, NodeState, OfferCost, ReqState } from './pack-state.js';
import type { PackRequest } from './pack-types.js';
import { compact, firstLive, pushTo, zoneOrder } from './pack-zones.js';
import { allocate, emptyInventory, hasFreeCapacity, type NodeGpus, roomAfter } from './slices.js';

export interface Constraints<R extends PackRequest> {
  zone?: string;
  excludeZones?: ReadonlySet<string>;
  excludeNodes?: ReadonlySet<NodeState<R>>;
}

export type Option<R extends PackRequest> =
  | {
      kind: 'node';
      node: NodeState<R>;
      score: number;
      /** The unit's own cost there (on a new node: cost(request, offer)). */
      cost: number;
      /** Whole GPUs left free after; best fit among equal scores leaves the fewest. */
      room: number;
    }
  | { kind: 'offer'; offer: OfferCost; score: number };

export type Undo<R extends PackRequest> =
  | { kind: 'opened'; node: NodeState<R> }
  | { kind: 'used'; node: NodeState<R>; inv: NodeGpus; cost: number; units: number };

/** Nodes of other cost classes that a unit looks at in a zone before it opens a node there. */
const CROSS_SCAN = 16;

export class Greedy<R extends PackRequest> {
  private pending: [Group<R>, NodeState<R>][] = [];
  /** Nodes opened in this cycle that still have room, per zone: where other classes may join them. */
  private readonly roomy = new Map<string, Set<NodeState<R>>>();

  constructor(
    private readonly offers: readonly Offer[],
    private readonly nodes: NodeState<R>[],
  ) {}

  /** Places every unit of a request, or none of them. */
  place(s: ReqState<R>): boolean {
    const n = Math.max(1, s.request.units);
    const log: Undo<R>[] = [];
    this.pending = [];
    const ok = s.request.spread === 'gang' && n > 1 ? placeGang(this, s, n, log) : this.replicas(s, n, log);
    if (!ok) {
      this.rollback(s, log);
      return false;
    }
    for (const [g, node] of this.pending) g.dead.add(node);
    return true;
  }

  private replicas(s: ReqState<R>, n: number, log: Undo<R>[]): boolean {
    const zones = new Set<string>();
    const used = new Set<NodeState<R>>();
    for (let k = 0; k < n; k++) {
      const ahead = s.group.remaining - (n - k - 1);
      const opt =
        (n > 1 ? this.best(s, { excludeZones: zones, excludeNodes: used }, ahead) : null) ??
        (n > 1 ? this.best(s, { excludeNodes: used }, ahead) : null) ??
        this.best(s, {}, ahead);
      if (!opt) return false;
      const node = this.commit(s, k, opt, log);
      zones.add(node.zone);
      used.add(node);
    }
    return true;
  }

  /**
   * The cheapest place for one unit under the constraints (public for pack-gang.ts); `ahead` = units of the
   * group that may yet share a new node.
   */
  best(s: ReqState<R>, c: Constraints<R>, ahead: number): Option<R> | null {
    const g = s.group;
    const { team, gpu } = s.request;
    const allowed = (node: NodeState<R>) =>
      node.alive &&
      !g.dead.has(node) &&
      (c.zone === undefined || node.zone === c.zone) &&
      !c.excludeZones?.has(node.zone) &&
      !c.excludeNodes?.has(node);
    // Too full now means too full for the rest of the cycle, trial or not: capacity only shrinks.
    const unfit = (node: NodeState<R>) => {
      this.pending.push([g, node]);
    };
    let best: Option<R> | null = null;
    const consider = (node: NodeState<R>, score: number, cost: number) => {
      if (best && score > best.score) return;
      const room = roomAfter(node.inv, gpu, team);
      if (room === null) return unfit(node);
      if (!best || score < best.score || (best.kind === 'node' && score === best.score && room < best.room)) {
        best = { kind: 'node', node, score, cost, room };
      }
    };

    // Running nodes: cheapest first, so the first that fits is the one.
    const existing = c.zone !== undefined ? g.existingByZone.get(c.zone) : g.existing;
    firstLive(existing, g);
    let skipped = 0;
    for (const e of existing ?? []) {
      if (!e.node.alive || g.dead.has(e.node)) skipped++;
      else if (allowed(e.node)) consider(e.node, e.cost, e.cost);
      if (best) break;
    }
    // The cheapest nodes fill first, so the dead gather at the front of the list: drop them as they do.
    compact(existing, g, skipped);
    // Nodes opened in this cycle for this cost class: the marginal cost is what the unit adds to the node's.
    const opened = c.zone !== undefined ? g.openedByZone.get(c.zone) : g.opened;
    // Newest first, and a unit that costs nothing more there is placed at once: the node being filled now is
    // the one to fill.
    skipped = 0;
    const list = opened ?? [];
    for (let k = list.length - 1; k >= 0; k--) {
      const node = list[k]!;
      if (!node.alive || g.dead.has(node)) skipped++;
      else if (allowed(node)) {
        const own = g.cls.offers[node.offerIdx]?.cost ?? Number.POSITIVE_INFINITY;
        consider(node, Math.max(0, own - node.cost), own);
        const b = best as Option<R> | null;
        if (b?.kind === 'node' && b.node === node && b.score === 0) break;
      }
    }
    compact(opened, g, skipped);

    let fresh: Option<R> | null = null;
    const offer = (classes: readonly OfferCost[] | undefined) => {
      for (const oc of classes ?? []) {
        const score = oc.cost / Math.max(1, Math.min(oc.m, ahead));
        if (!fresh || score < fresh.score) fresh = { kind: 'offer', offer: oc, score };
      }
    };
    if (c.zone !== undefined) offer(g.cls.zoneClasses.get(c.zone));
    else if (c.excludeZones && c.excludeZones.size > 0) {
      // Zones by a lower bound on the score: stop once the bound passes the best found.
      for (const [zone, lb] of zoneOrder(g.cls, ahead)) {
        const f = fresh as Option<R> | null;
        if (f && lb >= f.score) break;
        if (!c.excludeZones.has(zone)) offer(g.cls.zoneClasses.get(zone));
      }
    } else offer(g.cls.classes);

    // About to open a node in a zone: first, nodes other classes opened there that have room.
    const f = fresh as Option<R> | null;
    if (f?.kind === 'offer' && (!best || f.score < (best as Option<R>).score)) {
      let seen = 0;
      for (const node of this.roomy.get(f.offer.zone) ?? []) {
        if (seen++ >= CROSS_SCAN) break;
        const own = g.cls.offers[node.offerIdx]?.cost;
        if (own === undefined || node.units[0]?.req.group.cls === g.cls) continue;
        if (allowed(node)) consider(node, Math.max(0, own - node.cost), own);
      }
    }
    const b = best as Option<R> | null;
    return f && (!b || f.score < b.score) ? f : b;
  }

  commit(s: ReqState<R>, unit: number, opt: Option<R>, log: Undo<R>[]): NodeState<R> {
    s.group.remaining--;
    if (opt.kind === 'node') {
      const node = opt.node;
      const fit = allocate(node.inv, s.request.gpu, s.request.id, s.request.team);
      if (!fit) throw new Error(`packer: node ${node.idx} was judged to hold a unit but does not`);
      log.push({ kind: 'used', node, inv: node.inv, cost: node.cost, units: node.units.length });
      node.inv = fit.inventory;
      if (node.offerIdx >= 0) node.cost = Math.max(node.cost, opt.cost);
      node.units.push({ req: s, unit, slot: fit.slot, cost: opt.cost });
      this.track(node);
      return node;
    }
    const offer = this.offers[opt.offer.offerIdx]!;
    const fit = allocate(emptyInventory(offer.gpu), s.request.gpu, s.request.id, s.request.team);
    if (!fit) throw new Error(`packer: offer ${opt.offer.offerIdx} was judged to hold a unit but does not`);
    const node: NodeState<R> = {
      idx: this.nodes.length,
      existingId: null,
      zone: opt.offer.zone,
      offerIdx: opt.offer.offerIdx,
      inv: fit.inventory,
      cost: opt.offer.cost,
      units: [{ req: s, unit, slot: fit.slot, cost: opt.offer.cost }],
      alive: true,
    };
    this.nodes.push(node);
    for (const g of s.group.cls.groups) {
      g.opened.push(node);
      pushTo(g.openedByZone, node.zone, node);
    }
    this.track(node);
    log.push({ kind: 'opened', node });
    return node;
  }

  private rollback(s: ReqState<R>, log: Undo<R>[]): void {
    for (const u of log.reverse()) {
      s.group.remaining++;
      if (u.kind === 'opened') {
        u.node.alive = false;
        u.node.units = [];
      } else {
        u.node.inv = u.inv;
        u.node.cost = u.cost;
        u.node.units.length = u.units;
      }
      this.track(u.node);
    }
  }

  /** Keeps `roomy` to the new nodes that are alive and have room. */
  private track(node: NodeState<R>): void {
    if (node.offerIdx < 0) return;
    const room = node.alive && hasFreeCapacity(node.inv);
    const set = this.roomy.get(node.zone);
    if (room) {
      if (set) set.add(node);
      else this.roomy.set(node.zone, new Set([node]));
    } else set?.delete(node);
  }
}

// The exact problem's structure, shared by the MIP writer (mip.ts) and the checker of its answers
// (verify.ts): units, candidate nodes (running nodes and copies of each offer), the GPUs a fractional unit
// may go to on each, and where on such a GPU it may sit (a MIG placement, or an MPS share).
import { MIG_MEMORY_SLICES, profilesFor } from '../../src/core/placement/mig.js';
import { emptyInventory, isWholeRequest, type NodeGpus, usesMig } from '../../src/core/placement/slices.js';
import { type Instance, nodeAccepts, offerAccepts } from './instance.js';

export interface Unit {
  readonly req: number;
  readonly k: number;
}

/** A GPU a fractional unit may take: a free one (which the plan may partition) or one already partitioned. */
export interface Bin {
  /** A free GPU: it counts against whole GPUs once anything sits on it. */
  readonly free: boolean;
  /** The GPU's index on a running node, for a GPU already partitioned; null for a free one. */
  readonly gpu: number | null;
  /** Memory slices already taken by MIG instances (a partitioned MIG GPU). */
  readonly mask: number;
  /** The team of an MPS GPU already shared; null when free. */
  readonly team: string | null;
  /** Compute and memory still free on it. */
  readonly fraction: number;
  readonly memoryGiB: number;
}

export interface Target {
  /** A name part for the LP: n<node> or o<offer>c<copy>. */
  readonly name: string;
  readonly node: number | null;
  readonly offer: number | null;
  readonly copy: number;
  readonly zone: string;
  readonly inv: NodeGpus;
  readonly mig: boolean;
  readonly freeGpus: number;
  readonly bins: Bin[];
}

/** Where on a bin a fractional unit sits: a MIG placement (profile at a start), or an MPS share (null). */
export interface Option {
  readonly bin: number;
  readonly mig: {
    readonly profile: string;
    readonly start: number;
    readonly size: number;
    readonly mask: number;
  } | null;
}

export interface Structure {
  readonly units: Unit[];
  readonly targets: Target[];
  /** [unit][target]: null where the unit may not go; [] for a whole-GPU unit; else its options. */
  readonly options: (Option[] | null)[][];
}

export const EPS = 1e-9;
const bits = (start: number, size: number) => ((1 << size) - 1) << start;
export const zoneOf = (p: { cloud: string; region: string; zone: string | null }) =>
  `${p.cloud}:${p.region}:${p.zone ?? '*'}`;

/**
 * Copies of an offer the optimum needs at most. Take an optimal plan with the fewest nodes. Two of its nodes
 * of one offer whose used GPUs add up to at most the node's GPUs could be merged into one (GPUs side by side:
 * MIG layouts, MPS teams and whole GPUs are all per GPU) at no more cost (the max of two costs is at most
 * their sum), unless a gang has members on both. So at most U / (⌊G/2⌋ + 1) nodes use more than half the GPUs
 * (U: the GPUs all units that may go there could use), and the others, pairwise mergeable, number at most s
 * with s(s − 1)/2 ≤ the gang pairs there are.
 */
function copiesOf(inst: Instance, units: readonly Unit[], o: number): number {
  const g = inst.offers[o]!.gpu.count;
  let feasible = 0;
  let used = 0;
  const gangs = new Set<number>();
  for (const u of units) {
    if (!offerAccepts(inst, u.req, o)) continue;
    feasible++;
    const req = inst.requests[u.req]!;
    used += isWholeRequest(req.gpu) ? req.gpu.count : 1;
    if (req.units > 1) gangs.add(u.req);
  }
  let pairs = 0;
  for (const r of gangs) pairs += (inst.requests[r]!.units * (inst.requests[r]!.units - 1)) / 2;
  let s = 1;
  while (((s + 1) * s) / 2 <= pairs) s++;
  return Math.min(feasible, Math.floor(used / (Math.floor(g / 2) + 1)) + s);
}

/**
 * An offer another one makes useless: same zone and GPU, at least as many GPUs, and for every request that
 * may use it, the other may too at no higher cost. Any node of it can become a node of the other, GPU for
 * GPU, at no more cost, so the optimum needs none of it. (Of two equal offers, the later one goes.)
 */
function dominated(inst: Instance, b: number): boolean {
  const ob = inst.offers[b]!;
  return inst.offers.some((oa, a) => {
    if (a === b || zoneOf(oa) !== zoneOf(ob)) return false;
    if (oa.gpu.model !== ob.gpu.model || oa.gpu.memoryGiB !== ob.gpu.memoryGiB || oa.gpu.count < ob.gpu.count)
      return false;
    let strict = oa.gpu.count > ob.gpu.count;
    for (let r = 0; r < inst.requests.length; r++) {
      if (!offerAccepts(inst, r, b)) continue;
      if (!offerAccepts(inst, r, a) || inst.offerCost[r]![a]! > inst.offerCost[r]![b]!) return false;
      if (inst.offerCost[r]![a]! < inst.offerCost[r]![b]!) strict = true;
    }
    return strict || a < b;
  });
}

function binsOf(inv: NodeGpus, fractionalUnits: number): Bin[] {
  const bins: Bin[] = [];
  let free = 0;
  for (const gpu of inv.gpus) {
    if (gpu.allocations.length === 0) {
      free++;
      continue;
    }
    if (gpu.mode === 'mig') {
      let mask = 0;
      for (const a of gpu.allocations) if (a.mig) mask |= bits(a.mig.start, a.mig.size);
      bins.push({ free: false, gpu: gpu.index, mask, team: null, fraction: 0, memoryGiB: 0 });
    } else if (gpu.mode === 'shared') {
      const f = gpu.allocations.reduce((s, a) => s + a.fraction, 0);
      const m = gpu.allocations.reduce((s, a) => s + a.memoryGiB, 0);
      bins.push({
        free: false,
        gpu: gpu.index,
        mask: 0,
        team: gpu.allocations[0]!.team,
        fraction: 1 - f,
        memoryGiB: inv.memoryGiB - m,
      });
    }
  }
  // Free GPUs are interchangeable: as many as there are fractional units to put on them, at most.
  for (let i = 0; i < Math.min(free, fractionalUnits); i++)
    bins.push({ free: true, gpu: null, mask: 0, team: null, fraction: 1, memoryGiB: inv.memoryGiB });
  return bins;
}

/** MIG placements of the unit on a bin, without those that take a superset of another's memory slices. */
function migOptions(inv: NodeGpus, bin: number, b: Bin, want: { fraction: number; memoryGiB: number }) {
  const all: Option[] = [];
  for (const p of profilesFor(inv.model, inv.memoryGiB, want)) {
    for (const start of p.starts) {
      const mask = bits(start, p.memorySlices);
      if (mask & b.mask || start + p.memorySlices > MIG_MEMORY_SLICES) continue;
      all.push({ bin, mig: { profile: p.name, start, size: p.memorySlices, mask } });
    }
  }
  // A placement that holds another's slices and more is never needed: the other fits wherever it does.
  return all.filter(
    (o, i) =>
      !all.some(
        (q, j) =>
          j !== i && (q.mig!.mask & o.mig!.mask) === q.mig!.mask && (q.mig!.mask !== o.mig!.mask || j < i),
      ),
  );
}

/** `freeBins`: how many of the node's free GPU bins the unit may use (symmetry, see structure()). */
function unitOptions(inst: Instance, u: Unit, t: Target, freeBins: number): Option[] | null {
  const req = inst.requests[u.req]!;
  if (isWholeRequest(req.gpu)) return req.gpu.count <= t.freeGpus ? [] : null;
  const want = req.gpu;
  const out: Option[] = [];
  let free = 0;
  t.bins.forEach((b, i) => {
    if (b.free && free++ >= freeBins) return;
    if (t.mig) out.push(...migOptions(t.inv, i, b, want));
    else if (
      (b.free || b.team === req.team) &&
      want.fraction <= b.fraction + EPS &&
      want.memoryGiB <= b.memoryGiB + EPS
    )
      out.push({ bin: i, mig: null });
  });
  return out.length > 0 ? out : null;
}

export function structure(inst: Instance): Structure {
  const units: Unit[] = inst.requests.flatMap((r, req) =>
    Array.from({ length: r.units }, (_, k) => ({ req, k })),
  );
  const fractional = (ok: (r: number) => boolean) =>
    units.filter((u) => !isWholeRequest(inst.requests[u.req]!.gpu) && ok(u.req)).length;
  const targets: Target[] = [];
  inst.nodes.forEach((n, i) => {
    const inv = n.inventory;
    targets.push({
      name: `n${i}`,
      node: i,
      offer: null,
      copy: 0,
      zone: zoneOf(n),
      inv,
      mig: usesMig(inv),
      freeGpus: inv.gpus.filter((g) => g.allocations.length === 0).length,
      bins: binsOf(
        inv,
        fractional((r) => nodeAccepts(inst, r, i)),
      ),
    });
  });
  inst.offers.forEach((o, i) => {
    const inv = emptyInventory(o.gpu);
    const bins = binsOf(
      inv,
      fractional((r) => offerAccepts(inst, r, i)),
    );
    const copies = dominated(inst, i) ? 0 : copiesOf(inst, units, i);
    for (let c = 0; c < copies; c++) {
      targets.push({
        name: `o${i}c${c}`,
        node: null,
        offer: i,
        copy: c,
        zone: zoneOf(o),
        inv,
        mig: usesMig(inv),
        freeGpus: o.gpu.count,
        bins,
      });
    }
  });
  // Symmetry: copies of an offer, and free GPUs of a node, are interchangeable, so number them by the first
  // unit they hold (in unit order). Then copy k, or free GPU k, holds only units with at least k feasible
  // units before them there: the rank-r unit may use copies and free GPUs 0..r only.
  const options = units.map(() => targets.map((): Option[] | null => null));
  targets.forEach((t, ti) => {
    let rank = 0;
    let fracRank = 0;
    units.forEach((u, ui) => {
      const ok = t.node !== null ? nodeAccepts(inst, u.req, t.node) : offerAccepts(inst, u.req, t.offer!);
      if (!ok) return;
      const r = rank++;
      const whole = isWholeRequest(inst.requests[u.req]!.gpu);
      const fr = whole ? 0 : fracRank++;
      if (t.copy > r) return;
      options[ui]![ti] = unitOptions(inst, u, t, whole ? 0 : fr + 1);
    });
  });
  return { units, targets, options };
}

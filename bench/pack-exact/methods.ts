// The methods measured against the optimum, each giving a plan in the common form (instance.ts):
// - the packer (src/core/placement/pack.ts), fed the instance's fixed costs;
// - first-fit-decreasing, Karpenter-like: units by size, largest first; each on the first node with room
//   (running nodes, then the nodes opened so far, in order), else on a new node of the cheapest offer that
//   holds it;
// - one node per job: every unit on a new node of its cheapest offer, as the scheduler does today.
// Gangs keep their rule in all three: members in one zone, on distinct nodes.
import { type PackTarget, pack } from '../../src/core/placement/pack.js';
import { allocate, emptyInventory, type NodeGpus } from '../../src/core/placement/slices.js';
import { type Instance, nodeAccepts, offerAccepts, type Plan, weight } from './instance.js';

const zoneOf = (p: { cloud: string; region: string; zone: string | null }) =>
  `${p.cloud}:${p.region}:${p.zone ?? '*'}`;

export function packer(inst: Instance): { plan: Plan; totalCost: number } {
  const reqIdx = new Map(inst.requests.map((r, i) => [r, i]));
  const offerIdx = new Map(inst.offers.map((o, i) => [o, i]));
  const nodeIdx = new Map(inst.nodes.map((n, i) => [n.id, i]));
  const cost = (req: (typeof inst.requests)[number], t: PackTarget) => {
    const r = reqIdx.get(req)!;
    return t.kind === 'offer'
      ? inst.offerCost[r]![offerIdx.get(t.offer)!]!
      : inst.nodeCost[r]![nodeIdx.get(t.node.id)!]!;
  };
  const res = pack({ requests: inst.requests, nodes: inst.nodes, offers: inst.offers, cost });
  const byId = new Map(inst.requests.map((r, i) => [r.id, i]));
  const onNodes: { req: number; node: number }[] = [];
  const launched = new Map<string, { offer: number; reqs: number[] }>(
    res.launches.map((l) => [l.launchId, { offer: offerIdx.get(l.offer)!, reqs: [] }]),
  );
  const launches = [...launched.values()];
  for (const a of res.assignments) {
    const req = byId.get(a.requestId)!;
    for (const u of a.units) {
      if (u.where.kind === 'node') onNodes.push({ req, node: nodeIdx.get(u.where.nodeId)! });
      else launched.get(u.where.launchId)!.reqs.push(req);
    }
  }
  const unplaced = res.unplaced.reduce((s, u) => s + inst.requests[byId.get(u.requestId)!]!.units, 0);
  return { plan: { onNodes, launches, unplaced }, totalCost: res.totalCost };
}

/** The offer of least cost for request r that holds one unit, optionally in one zone. */
function cheapestOffer(inst: Instance, r: number, zone: string | null): number | null {
  let best: number | null = null;
  inst.offers.forEach((o, i) => {
    if (zone !== null && zoneOf(o) !== zone) return;
    if (!offerAccepts(inst, r, i)) return;
    if (best === null || inst.offerCost[r]![i]! < inst.offerCost[r]![best]!) best = i;
  });
  return best;
}

export function oneNodePerJob(inst: Instance): Plan {
  const launches: { offer: number; reqs: number[] }[] = [];
  let unplaced = 0;
  inst.requests.forEach((req, r) => {
    const o = cheapestOffer(inst, r, null);
    if (o === null) unplaced += req.units;
    else for (let k = 0; k < req.units; k++) launches.push({ offer: o, reqs: [r] });
  });
  return { onNodes: [], launches, unplaced };
}

interface Bin {
  readonly node: number | null;
  readonly offer: number | null;
  readonly zone: string;
  inv: NodeGpus;
  readonly reqs: number[];
}

export function firstFitDecreasing(inst: Instance): Plan {
  const bins: Bin[] = inst.nodes.map((n, i) => ({
    node: i,
    offer: null,
    zone: zoneOf(n),
    inv: n.inventory,
    reqs: [],
  }));
  const order = inst.requests
    .map((req, r) => ({ req, r }))
    .sort((a, b) => weight(b.req.gpu) - weight(a.req.gpu) || b.req.units - a.req.units || a.r - b.r);
  let unplaced = 0;
  for (const { req, r } of order) {
    const before = { count: bins.length, invs: bins.map((b) => b.inv), reqs: bins.map((b) => b.reqs.length) };
    const used = new Set<Bin>();
    let zone: string | null = null;
    let ok = true;
    for (let k = 0; k < req.units && ok; k++) {
      const fits = (b: Bin) =>
        !used.has(b) &&
        (zone === null || b.zone === zone) &&
        (b.node !== null ? nodeAccepts(inst, r, b.node) : offerAccepts(inst, r, b.offer!)) &&
        allocate(b.inv, req.gpu, req.id, req.team) !== null;
      let bin = bins.find(fits);
      if (!bin) {
        const o = cheapestOffer(inst, r, zone);
        if (o === null) {
          ok = false;
          break;
        }
        const offer = inst.offers[o]!;
        bin = { node: null, offer: o, zone: zoneOf(offer), inv: emptyInventory(offer.gpu), reqs: [] };
        bins.push(bin);
      }
      bin.inv = allocate(bin.inv, req.gpu, req.id, req.team)!.inventory;
      bin.reqs.push(r);
      used.add(bin);
      zone = bin.zone;
    }
    if (ok) continue;
    // A gang that started on a running node in a zone without an offer for it: undo, then all members on new
    // nodes of the cheapest offer.
    bins.length = before.count;
    bins.forEach((b, i) => {
      b.inv = before.invs[i]!;
      b.reqs.length = before.reqs[i]!;
    });
    const o = cheapestOffer(inst, r, null);
    if (o === null) {
      unplaced += req.units;
      continue;
    }
    const offer = inst.offers[o]!;
    for (let k = 0; k < req.units; k++) {
      const inv = allocate(emptyInventory(offer.gpu), req.gpu, req.id, req.team)!.inventory;
      bins.push({ node: null, offer: o, zone: zoneOf(offer), inv, reqs: [r] });
    }
  }
  const onNodes = bins.flatMap((b) => (b.node === null ? [] : b.reqs.map((req) => ({ req, node: b.node! }))));
  const launches = bins.filter((b) => b.offer !== null).map((b) => ({ offer: b.offer!, reqs: b.reqs }));
  return { onNodes, launches, unplaced };
}

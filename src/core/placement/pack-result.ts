// Turns the packer's working state into its answer: assignments per request, launches, new inventories of
// running nodes, and the reasons for what could not be placed.
import type { Offer } from '../model.js';
import type { Hosted, NodeState, ReqState } from './pack-state.js';
import type {
  Launch,
  PackRequest,
  PackUnplaced,
  RequestAssignment,
  UnitAssignment,
  UnitWhere,
} from './pack-types.js';
import { REASON_TEXT, type ReasonCode } from './reasons.js';
import { isWholeRequest, type NodeGpus, roomAfter, type SlotRequest } from './slices.js';

/** What a unit weighs when a new node's cost is shared out: GPUs, or the fraction of one. */
export const demand = (r: SlotRequest) => (isWholeRequest(r) ? r.count : r.fraction);

export function unplacedOf<R extends PackRequest>(s: ReqState<R>): PackUnplaced {
  const { request, group } = s;
  const reasons = { ...group.cls.reasons };
  // Running nodes the request could use but that are full now (for it: MPS GPUs of other teams count as full).
  const busy = group.cls.existing.filter(
    (e) => roomAfter(e.node.inv, request.gpu, request.team) === null,
  ).length;
  if (busy > 0 || Object.keys(reasons).length === 0) reasons.NODE_BUSY = Math.max(1, busy);
  const parts = Object.entries(reasons)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([code, n]) => {
      const text = REASON_TEXT[code as ReasonCode];
      return text ? `${code} ×${n} (${text})` : `${code} ×${n}`;
    });
  return { requestId: request.id, reasons, message: `no capacity fits: ${parts.join('; ')}` };
}

export function collect<R extends PackRequest>(
  nodes: NodeState<R>[],
  reqs: ReqState<R>[],
  offers: readonly Offer[],
) {
  const units = new Map<ReqState<R>, { list: UnitAssignment[]; cost: number }>();
  const inventories = new Map<string, NodeGpus>();
  const launches: Launch[] = [];
  let totalCost = 0;
  const add = (h: Hosted<R>, where: UnitWhere, zone: string, cost: number) => {
    const e = units.get(h.req) ?? { list: [], cost: 0 };
    e.list.push({ unit: h.unit, where, zone, slot: h.slot });
    e.cost += cost;
    units.set(h.req, e);
  };
  for (const node of nodes) {
    if (!node.alive || node.units.length === 0) continue;
    if (node.existingId !== null) {
      inventories.set(node.existingId, node.inv);
      for (const h of node.units) {
        add(h, { kind: 'node', nodeId: node.existingId }, node.zone, h.cost);
        totalCost += h.cost;
      }
      continue;
    }
    const launchId = `launch-${launches.length + 1}`;
    const share = node.units.reduce((sum, h) => sum + demand(h.req.request.gpu), 0);
    for (const h of node.units)
      add(h, { kind: 'launch', launchId }, node.zone, (node.cost * demand(h.req.request.gpu)) / share);
    const requestIds = [...new Set(node.units.map((h) => h.req.request.id))];
    launches.push({
      launchId,
      offer: offers[node.offerIdx]!,
      zone: node.zone,
      inventory: node.inv,
      cost: node.cost,
      requestIds,
    });
    totalCost += node.cost;
  }
  const assignments: RequestAssignment[] = [];
  for (const s of reqs) {
    const e = units.get(s);
    if (!e) continue;
    e.list.sort((a, b) => a.unit - b.unit);
    assignments.push({ requestId: s.request.id, units: e.list, cost: e.cost });
  }
  return { assignments, launches, inventories, totalCost };
}

// One small packing problem and the yardstick every method is measured with. Costs are fixed numbers per
// (request, target), computed once when the instance is built, so the packer, the baselines and the MIP all
// see exactly the same prices.
import { gpuMatches } from '../../src/core/gpus.js';
import type { Offer } from '../../src/core/model.js';
import type { PackNode, PackRequest } from '../../src/core/placement/pack.js';
import {
  allocate,
  emptyInventory,
  isWholeRequest,
  type SlotRequest,
} from '../../src/core/placement/slices.js';

export interface Instance {
  readonly name: string;
  readonly source: 'random' | 'trace';
  readonly requests: readonly PackRequest[];
  readonly offers: readonly Offer[];
  /** Running nodes, with what already runs on them. */
  readonly nodes: readonly PackNode[];
  /** [request][offer]: cost of one unit alone on a new node of the offer; +Infinity where refused. */
  readonly offerCost: readonly (readonly number[])[];
  /** [request][node]: cost of one unit in a free slot of the running node; +Infinity where refused. */
  readonly nodeCost: readonly (readonly number[])[];
}

/**
 * A plan in the common form: which units run on which running node, and which new nodes are opened with whose
 * units on them (request indexes, one entry per unit).
 */
export interface Plan {
  readonly onNodes: readonly { readonly req: number; readonly node: number }[];
  readonly launches: readonly { readonly offer: number; readonly reqs: readonly number[] }[];
  /** Units left unplaced (a method that gives up on a request). */
  readonly unplaced: number;
}

/**
 * The packer's cost semantics (docs/shared-gpus.md, "The packer"), applied to any plan: Σ slot costs on
 * running nodes + Σ over new nodes of the most any of its units would cost alone on it.
 */
export function evaluate(inst: Instance, plan: Plan): number {
  let total = 0;
  for (const { req, node } of plan.onNodes) total += inst.nodeCost[req]![node]!;
  for (const { offer, reqs } of plan.launches) {
    let max = 0;
    for (const r of reqs) max = Math.max(max, inst.offerCost[r]![offer]!);
    total += max;
  }
  return total;
}

export const gpuOk = (r: PackRequest, gpu: { model: string; memoryGiB: number }) =>
  gpuMatches(r.models, r.minMemoryGiB, gpu);

/** May a unit of request r go on a new node of offer o? (GPU accepted, priced, and one unit fits.) */
export function offerAccepts(inst: Instance, r: number, o: number): boolean {
  const req = inst.requests[r]!;
  const offer = inst.offers[o]!;
  return (
    Number.isFinite(inst.offerCost[r]![o]!) &&
    gpuOk(req, offer.gpu) &&
    allocate(emptyInventory(offer.gpu), req.gpu, req.id, req.team) !== null
  );
}

/** May a unit of request r go on running node n at all (GPU accepted, priced)? Room is checked per slot. */
export function nodeAccepts(inst: Instance, r: number, n: number): boolean {
  const req = inst.requests[r]!;
  return Number.isFinite(inst.nodeCost[r]![n]!) && gpuOk(req, inst.nodes[n]!.inventory);
}

/** What a unit weighs: GPUs, or the share of one. */
export const weight = (g: SlotRequest) => (isWholeRequest(g) ? g.count : g.fraction);

export const unitCount = (inst: Instance) => inst.requests.reduce((s, r) => s + r.units, 0);

// How much room a node's GPUs have left, asked without allocating: the packer asks this many times per unit,
// so it must not build inventories. Makes the same choices as allocate() in slices.ts.
import { canPlace, MIG_COMPUTE_SLICES, profilesFor, roomLeft } from './mig.js';
import {
  EPSILON,
  isFree,
  isWholeRequest,
  migPlacements,
  type NodeGpus,
  type SlotRequest,
  usage,
  usesMig,
} from './slices-base.js';

export function canFit(inv: NodeGpus, request: SlotRequest, team: string): boolean {
  return roomAfter(inv, request, team) !== null;
}

/**
 * Free GPUs the node would have left if the request were allocated, without building the new inventory (the
 * packer asks this of many nodes for each unit); null if the request does not fit. Makes the same choices as
 * allocate: a partitioned GPU first, a free one only when none has room.
 */
export function roomAfter(inv: NodeGpus, request: SlotRequest, team: string): number | null {
  let free = 0;
  for (const g of inv.gpus) if (isFree(g)) free++;
  if (isWholeRequest(request)) {
    return Number.isInteger(request.count) && request.count >= 1 && free >= request.count
      ? free - request.count
      : null;
  }
  if (!(request.fraction > 0 && request.fraction <= 1 + EPSILON) || !(request.memoryGiB > 0)) return null;
  if (usesMig(inv)) {
    for (const profile of profilesFor(inv.model, inv.memoryGiB, request)) {
      for (const g of inv.gpus) {
        if (g.mode === 'mig' && !isFree(g) && canPlace(g.allocations, profile)) return free;
      }
      if (free > 0) return free - 1;
    }
    return null;
  }
  if (request.memoryGiB > inv.memoryGiB + EPSILON) return null;
  for (const g of inv.gpus) {
    if (g.mode !== 'shared' || isFree(g) || g.allocations[0]?.team !== team) continue;
    const used = usage(g);
    if (
      used.fraction + request.fraction <= 1 + EPSILON &&
      used.memoryGiB + request.memoryGiB <= inv.memoryGiB + EPSILON
    )
      return free;
  }
  return free > 0 ? free - 1 : null;
}

export interface FreeCapacity {
  /** GPUs with nothing on them: what a whole-GPU job can take. */
  wholeGpus: number;
  /**
   * Compute left, in GPUs: free GPUs count 1, a shared GPU 1 − Σ fraction, a MIG GPU the compute slices still
   * creatable in its free memory slices / 7 (stranded slices are not counted).
   */
  fraction: number;
  /** Memory not allocated, over all GPUs. */
  memoryGiB: number;
}

export function freeCapacity(inv: NodeGpus): FreeCapacity {
  let wholeGpus = 0;
  let fraction = 0;
  let memoryGiB = 0;
  for (const g of inv.gpus) {
    if (isFree(g)) {
      wholeGpus++;
      fraction += 1;
      memoryGiB += inv.memoryGiB;
      continue;
    }
    const used = usage(g);
    memoryGiB += Math.max(0, inv.memoryGiB - used.memoryGiB);
    if (g.mode === 'shared') fraction += Math.max(0, 1 - used.fraction);
    else if (g.mode === 'mig') fraction += roomLeft(migPlacements(g)) / MIG_COMPUTE_SLICES;
  }
  return { wholeGpus, fraction, memoryGiB };
}

/** Is there anything at all on this node that a new request could still use? Cheap: stops at the first room. */
export function hasFreeCapacity(inv: NodeGpus): boolean {
  for (const g of inv.gpus) {
    if (isFree(g)) return true;
    if (g.mode === 'shared' && usage(g).fraction < 1 - EPSILON) return true;
    if (g.mode === 'mig' && roomLeft(migPlacements(g)) > 0) return true;
  }
  return false;
}

/** Free GPUs of a node: what is left for whole-GPU jobs. */
export function freeGpuCount(inv: NodeGpus): number {
  let n = 0;
  for (const g of inv.gpus) if (isFree(g)) n++;
  return n;
}

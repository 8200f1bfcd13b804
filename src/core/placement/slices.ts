// The GPUs of one node and who holds which part of them: whole GPUs, MIG instances, or MPS / time-sliced
// shares. Pure and immutable: allocate and release return a new inventory and leave the old one as it was, so
// that the packer can try a placement and drop it, and a plan can carry the inventory it was made against.
//
// Rules (DESIGN.md, Placement 3):
// - A whole-GPU request takes free GPUs only.
// - A fractional request on a GPU with a MIG table takes a MIG instance: hardware isolation, so teams may mix
//   on one GPU. On any other GPU it takes an MPS / time-sliced share: no isolation, so one team per GPU, and the
//   shares' fractions add up to at most 1 and their memory to at most the GPU's memory.
// - A GPU partitioned for MIG or shared is never handed out whole while anything runs on it. When its last
//   allocation goes, it is free again (the agent turns MIG mode off before giving it whole).
import { gpuInfo } from '../gpus.js';
import {
  MIG_COMPUTE_SLICES,
  type MigPlacement,
  type MigProfile,
  placeProfile,
  profilesFor,
  roomLeft,
} from './mig.js';
import {
  type Allocation,
  EPSILON,
  type GpuSlot,
  isFree,
  isWholeRequest,
  migPlacements,
  type NodeGpus,
  type SlotAssignment,
  type SlotRequest,
  usage,
  usesMig,
} from './slices-base.js';

export type { Allocation, GpuMode, GpuSlot, NodeGpus, SlotAssignment, SlotRequest } from './slices-base.js';
export { isWholeRequest, usesMig } from './slices-base.js';
export {
  canFit,
  type FreeCapacity,
  freeCapacity,
  freeGpuCount,
  hasFreeCapacity,
  roomAfter,
} from './slices-capacity.js';

export function emptyInventory(gpu: { model: string; count: number; memoryGiB: number }): NodeGpus {
  const model = gpuInfo(gpu.model)?.model ?? gpu.model;
  const gpus: GpuSlot[] = [];
  for (let index = 0; index < gpu.count; index++) gpus.push({ index, mode: 'whole', allocations: [] });
  return { model, memoryGiB: gpu.memoryGiB, gpus };
}

export function allocate(
  inv: NodeGpus,
  request: SlotRequest,
  jobId: string,
  team: string,
): { inventory: NodeGpus; slot: SlotAssignment } | null {
  if (isWholeRequest(request)) return allocateWhole(inv, request.count, jobId, team);
  if (!(request.fraction > 0 && request.fraction <= 1 + EPSILON) || !(request.memoryGiB > 0)) return null;
  return usesMig(inv) ? allocateMig(inv, request, jobId, team) : allocateShared(inv, request, jobId, team);
}

function replaceGpu(inv: NodeGpus, gpu: GpuSlot): NodeGpus {
  const gpus = inv.gpus.slice();
  gpus[gpu.index] = gpu;
  return { ...inv, gpus };
}

function allocateWhole(inv: NodeGpus, count: number, jobId: string, team: string) {
  if (!(Number.isInteger(count) && count >= 1)) return null;
  const free = inv.gpus.filter(isFree).slice(0, count);
  if (free.length < count) return null;
  const gpus = inv.gpus.slice();
  const allocation: Allocation = { jobId, team, fraction: 1, memoryGiB: inv.memoryGiB };
  for (const g of free) gpus[g.index] = { index: g.index, mode: 'whole', allocations: [allocation] };
  const slot: SlotAssignment = { kind: 'whole', gpuIndices: free.map((g) => g.index) };
  return { inventory: { ...inv, gpus }, slot };
}

/**
 * The smallest profile that serves the request, on the GPU it fits most tightly; a free GPU is turned to MIG only
 * when no partitioned GPU has room, so that free GPUs stay available to whole-GPU jobs. If the smallest profile
 * has no room anywhere, a larger one is tried (the same service, more of the GPU).
 */
function allocateMig(
  inv: NodeGpus,
  request: { fraction: number; memoryGiB: number },
  jobId: string,
  team: string,
) {
  for (const profile of profilesFor(inv.model, inv.memoryGiB, request)) {
    const hit = bestMigGpu(inv, profile);
    if (!hit) continue;
    const { gpu, placement } = hit;
    const allocation: Allocation = {
      jobId,
      team,
      fraction: profile.computeSlices / MIG_COMPUTE_SLICES,
      memoryGiB: profile.memoryGiB,
      mig: placement,
    };
    const next: GpuSlot = { index: gpu.index, mode: 'mig', allocations: [...gpu.allocations, allocation] };
    const slot: SlotAssignment = {
      kind: 'mig',
      gpuIndices: [gpu.index],
      profile: profile.name,
      profileId: profile.profileId,
      start: placement.start,
      size: placement.size,
      memoryGiB: profile.memoryGiB,
    };
    return { inventory: replaceGpu(inv, next), slot };
  }
  return null;
}

function bestMigGpu(inv: NodeGpus, profile: MigProfile): { gpu: GpuSlot; placement: MigPlacement } | null {
  let best: { gpu: GpuSlot; placement: MigPlacement; room: number } | null = null;
  for (const gpu of inv.gpus) {
    if (gpu.mode !== 'mig' || isFree(gpu)) continue;
    const existing = migPlacements(gpu);
    const placement = placeProfile(inv.model, inv.memoryGiB, existing, profile);
    if (!placement) continue;
    const room = roomLeft([...existing, placement]);
    if (!best || room < best.room) best = { gpu, placement, room };
  }
  if (best) return best;
  const free = inv.gpus.find(isFree);
  if (!free) return null;
  const placement = placeProfile(inv.model, inv.memoryGiB, [], profile);
  return placement ? { gpu: free, placement } : null;
}

/** Best fit among this team's shared GPUs (least compute left after), else a free GPU. */
function allocateShared(
  inv: NodeGpus,
  request: { fraction: number; memoryGiB: number },
  jobId: string,
  team: string,
) {
  if (request.memoryGiB > inv.memoryGiB + EPSILON) return null;
  let best: { gpu: GpuSlot; left: number } | null = null;
  for (const gpu of inv.gpus) {
    if (gpu.mode !== 'shared' || isFree(gpu) || gpu.allocations[0]?.team !== team) continue;
    const used = usage(gpu);
    const left = 1 - used.fraction - request.fraction;
    if (left < -EPSILON || used.memoryGiB + request.memoryGiB > inv.memoryGiB + EPSILON) continue;
    if (!best || left < best.left) best = { gpu, left };
  }
  const gpu = best?.gpu ?? inv.gpus.find(isFree);
  if (!gpu) return null;
  const allocation: Allocation = { jobId, team, fraction: request.fraction, memoryGiB: request.memoryGiB };
  const next: GpuSlot = { index: gpu.index, mode: 'shared', allocations: [...gpu.allocations, allocation] };
  const slot: SlotAssignment = {
    kind: 'shared',
    gpuIndices: [gpu.index],
    fraction: request.fraction,
    memoryGiB: request.memoryGiB,
  };
  return { inventory: replaceGpu(inv, next), slot };
}

/** Everything a job holds on the node goes; a GPU left empty is free (and whole) again. */
export function release(inv: NodeGpus, jobId: string): NodeGpus {
  if (!inv.gpus.some((g) => g.allocations.some((a) => a.jobId === jobId))) return inv;
  const gpus = inv.gpus.map((g): GpuSlot => {
    if (!g.allocations.some((a) => a.jobId === jobId)) return g;
    const allocations = g.allocations.filter((a) => a.jobId !== jobId);
    return { index: g.index, mode: allocations.length === 0 ? 'whole' : g.mode, allocations };
  });
  return { ...inv, gpus };
}

/**
 * The inverse of `allocate`: the inventory with a slot that was handed out earlier (read back from the store)
 * taken again, so that a restarted daemon sees its nodes as full as they are. It trusts the slot (the daemon
 * wrote it from an earlier `allocate`); a slot that no longer fits the GPU's mode is still recorded, since
 * the job does hold it.
 */
export function occupy(inv: NodeGpus, slot: SlotAssignment, jobId: string, team: string): NodeGpus {
  const gpus = inv.gpus.slice();
  for (const i of slot.gpuIndices) {
    const g = gpus[i];
    if (!g) continue;
    const allocation: Allocation =
      slot.kind === 'whole'
        ? { jobId, team, fraction: 1, memoryGiB: inv.memoryGiB }
        : slot.kind === 'mig'
          ? {
              jobId,
              team,
              fraction: gpuShare(slot),
              memoryGiB: slot.memoryGiB,
              mig: { profile: slot.profile, start: slot.start, size: slot.size },
            }
          : { jobId, team, fraction: slot.fraction, memoryGiB: slot.memoryGiB };
    const mode = slot.kind === 'mig' ? 'mig' : slot.kind === 'shared' ? 'shared' : 'whole';
    gpus[i] = { index: i, mode, allocations: [...g.allocations, allocation] };
  }
  return { ...inv, gpus };
}

/** GPUs' worth of compute a slot holds: its count of whole GPUs, a MIG profile's slices / 7, a share's fraction. */
export function gpuShare(slot: SlotAssignment): number {
  if (slot.kind === 'whole') return slot.gpuIndices.length;
  if (slot.kind === 'shared') return slot.fraction;
  const slices = Number(/^(\d+)g\./.exec(slot.profile)?.[1] ?? MIG_COMPUTE_SLICES);
  return slices / MIG_COMPUTE_SLICES;
}

/**
 * A node's GPUs as its jobs hold them, from the slots recorded for them. A job on the node with no slot recorded
 * (placed before slots were kept) holds the whole node; slots of jobs no longer on the node are ignored.
 */
export function heldInventory(
  gpu: { model: string; count: number; memoryGiB: number },
  jobIds: readonly string[],
  slots: readonly { jobId: string; team: string; slot: SlotAssignment }[],
): NodeGpus {
  const empty = emptyInventory(gpu);
  let inv = empty;
  for (const jobId of jobIds) {
    const mine = slots.filter((s) => s.jobId === jobId);
    if (mine.length === 0) {
      return occupy(empty, { kind: 'whole', gpuIndices: empty.gpus.map((g) => g.index) }, jobId, '');
    }
    for (const s of mine) inv = occupy(inv, s.slot, s.jobId, s.team);
  }
  return inv;
}

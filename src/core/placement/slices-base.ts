// The shapes of a node's GPU inventory and the small facts about one GPU that allocation and capacity checks
// share. See slices.ts for the rules.
import { gpuInfo } from '../gpus.js';
import { type MigPlacement, migProfiles } from './mig.js';

export type GpuMode = 'whole' | 'mig' | 'shared';

export interface Allocation {
  readonly jobId: string;
  readonly team: string;
  /** Compute share: 1 for a whole GPU, slices / 7 for MIG, the asked fraction for a shared GPU. */
  readonly fraction: number;
  readonly memoryGiB: number;
  /** The MIG instance, on a GPU in 'mig' mode. */
  readonly mig?: MigPlacement;
}

export interface GpuSlot {
  readonly index: number;
  /** 'whole' with no allocations is a free GPU. */
  readonly mode: GpuMode;
  readonly allocations: readonly Allocation[];
}

export interface NodeGpus {
  readonly model: string;
  /** Memory of one GPU. */
  readonly memoryGiB: number;
  readonly gpus: readonly GpuSlot[];
}

/** What one job (or one gang member, one replica) asks of a node: as in the job spec's resources.gpu. */
export type SlotRequest =
  | { readonly count: number }
  | { readonly fraction: number; readonly memoryGiB: number };

/** What the agent is told: which GPUs, and which slice of them. */
export type SlotAssignment =
  | { readonly kind: 'whole'; readonly gpuIndices: readonly number[] }
  | {
      readonly kind: 'mig';
      readonly gpuIndices: readonly [number];
      readonly profile: string;
      /** NVML GPU-instance profile id and placement start: what the agent creates the instance with. */
      readonly profileId: number;
      readonly start: number;
      readonly size: number;
      readonly memoryGiB: number;
    }
  | {
      readonly kind: 'shared';
      readonly gpuIndices: readonly [number];
      readonly fraction: number;
      readonly memoryGiB: number;
    };

export const EPSILON = 1e-9;

export function isWholeRequest(r: SlotRequest): r is { readonly count: number } {
  return 'count' in r;
}

/** MIG is used where gpus.ts says the part supports it and gpusched has its profile table. */
export function usesMig(inv: Pick<NodeGpus, 'model' | 'memoryGiB'>): boolean {
  return (gpuInfo(inv.model)?.migCapable ?? false) && migProfiles(inv.model, inv.memoryGiB) !== null;
}

export function isFree(g: GpuSlot): boolean {
  return g.allocations.length === 0;
}

export function migPlacements(gpu: GpuSlot): MigPlacement[] {
  const out: MigPlacement[] = [];
  for (const a of gpu.allocations) if (a.mig) out.push(a.mig);
  return out;
}

export function usage(gpu: GpuSlot): { fraction: number; memoryGiB: number } {
  let fraction = 0;
  let memoryGiB = 0;
  for (const a of gpu.allocations) {
    fraction += a.fraction;
    memoryGiB += a.memoryGiB;
  }
  return { fraction, memoryGiB };
}

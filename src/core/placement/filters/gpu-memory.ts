import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** Each GPU has at least the memory asked for (minMemoryGiB for whole GPUs, memoryGiB for a share). */
export const gpuMemory: Filter = (spec, cap) => {
  const g = spec.resources.gpu;
  const need = g.minMemoryGiB ?? g.memoryGiB ?? 0;
  return cap.gpu.memoryGiB < need ? Reason.GPU_MEMORY : null;
};

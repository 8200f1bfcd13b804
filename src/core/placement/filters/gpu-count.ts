import { gpusPerNode } from '../../jobspec.js';
import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** The node has as many GPUs as one member of the job needs. */
export const gpuCount: Filter = (spec, cap) => (cap.gpu.count < gpusPerNode(spec) ? Reason.GPU_COUNT : null);

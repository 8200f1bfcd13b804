import { gpuMatches } from '../../gpus.js';
import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** The GPU model is one the job accepts (A100 takes both memory variants; A10 takes A10G). */
export const gpuModel: Filter = (spec, cap) =>
  gpuMatches(spec.resources.gpu.models, undefined, cap.gpu) ? null : Reason.GPU_MODEL;

import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** Enough vCPUs per node (unknown on the capacity: not refused). */
export const cpus: Filter = (spec, cap) =>
  spec.resources.cpus !== undefined && cap.vcpus !== undefined && cap.vcpus < spec.resources.cpus
    ? Reason.CPU
    : null;

/** Enough host memory per node (unknown on the capacity: not refused). */
export const memory: Filter = (spec, cap) =>
  spec.resources.memoryGiB !== undefined &&
  cap.memoryGiB !== undefined &&
  cap.memoryGiB < spec.resources.memoryGiB
    ? Reason.MEMORY
    : null;

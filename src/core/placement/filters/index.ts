// Feasibility filters, one per file, run in order; the first refusal is the reason reported. The GPU
// checks come first: they refuse most of the catalog for any job, so most offers cost one check.
import type { JobSpec } from '../../jobspec.js';
import type { ReasonCode } from '../reasons.js';
import { cloudAllowed } from './cloud.js';
import { gpuCount } from './gpu-count.js';
import { gpuMemory } from './gpu-memory.js';
import { gpuModel } from './gpu-model.js';
import { cpus, memory } from './host.js';
import { marketAllowed } from './market.js';
import { poolOpen } from './pool-blocked.js';
import { priceCap } from './price-cap.js';
import { regionAllowed } from './region.js';
import type { Capacity, Filter } from './types.js';

export type { Capacity, Filter } from './types.js';

/** Everything but the GPU: the packer checks GPU model, memory and room itself, slot by slot. */
export const HOST_FILTERS: readonly Filter[] = [
  cloudAllowed,
  regionAllowed,
  marketAllowed,
  cpus,
  memory,
  priceCap,
  poolOpen,
];

export const FILTERS: readonly Filter[] = [gpuModel, gpuMemory, gpuCount, ...HOST_FILTERS];

export function firstRefusal(
  spec: JobSpec,
  cap: Capacity,
  now: Date,
  filters: readonly Filter[] = FILTERS,
): ReasonCode | null {
  for (const f of filters) {
    const r = f(spec, cap, now);
    if (r) return r;
  }
  return null;
}

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

export const FILTERS: readonly Filter[] = [
  gpuModel,
  gpuMemory,
  gpuCount,
  cloudAllowed,
  regionAllowed,
  marketAllowed,
  cpus,
  memory,
  priceCap,
  poolOpen,
];

export function firstRefusal(spec: JobSpec, cap: Capacity, now: Date): ReasonCode | null {
  for (const f of FILTERS) {
    const r = f(spec, cap, now);
    if (r) return r;
  }
  return null;
}

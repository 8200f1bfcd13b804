// Prices for the instances: the daemon's cost model (compute at the GPU's speed, interruption overhead on
// spot) with the bundled cost tables, and its non-GPU filters (market, price cap ...) as refusals, as in
// bench/placement.bench.ts. GPU model, memory and count are the packer's own checks and are left to it.
import { loadCostTables } from '../../src/config/cost-tables.js';
import type { JobSpec } from '../../src/core/jobspec.js';
import { type Offer, queuedJob } from '../../src/core/model.js';
import { cloudAllowed } from '../../src/core/placement/filters/cloud.js';
import { cpus, memory } from '../../src/core/placement/filters/host.js';
import { marketAllowed } from '../../src/core/placement/filters/market.js';
import { poolOpen } from '../../src/core/placement/filters/pool-blocked.js';
import { priceCap } from '../../src/core/placement/filters/price-cap.js';
import { regionAllowed } from '../../src/core/placement/filters/region.js';
import { costModel } from '../../src/core/placement/model-cost.js';
import type { Price } from './generate.js';

const FILTERS = [cloudAllowed, regionAllowed, marketAllowed, cpus, memory, priceCap, poolOpen];

export function catalogPrice(now: Date): Price {
  const cost = costModel({ tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 });
  return (spec: JobSpec, offer: Offer) => {
    for (const f of FILTERS) if (f(spec, offer, now)) return Number.POSITIVE_INFINITY;
    const job = queuedJob({ id: spec.name, team: 'bench', spec, submittedAt: now.toISOString() });
    const q = cost(job, offer, 1, now);
    return q.refusal ? Number.POSITIVE_INFINITY : q.totalUsd;
  };
}

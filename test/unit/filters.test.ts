// Each feasibility filter on its own: what it lets through, what it refuses, with which reason.
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/core/jobspec.js';
import { cloudAllowed } from '../../src/core/placement/filters/cloud.js';
import { gpuCount } from '../../src/core/placement/filters/gpu-count.js';
import { gpuMemory } from '../../src/core/placement/filters/gpu-memory.js';
import { gpuModel } from '../../src/core/placement/filters/gpu-model.js';
import { cpus, memory } from '../../src/core/placement/filters/host.js';
import { FILTERS, firstRefusal } from '../../src/core/placement/filters/index.js';
import { marketAllowed } from '../../src/core/placement/filters/market.js';
import { poolOpen } from '../../src/core/placement/filters/pool-blocked.js';
import { priceCap } from '../../src/core/placement/filters/price-cap.js';
import { regionAllowed } from '../../src/core/placement/filters/region.js';
import type { Filter } from '../../src/core/placement/filters/types.js';
import { at, offer, spec, T0 } from '../helpers/builders.js';

const gpu = (g: JobSpec['resources']['gpu']): Partial<JobSpec> => ({ resources: { gpu: g } });
const blocked = (until: string) => ({ score: null, blockedUntil: until, interruptionsPerHour: null });

const cases: [string, Filter, Partial<JobSpec>, Parameters<typeof offer>[0], string | null][] = [
  [
    'an A100 request takes an 80 GB A100',
    gpuModel,
    gpu({ models: ['A100'], count: 1 }),
    { gpu: { model: 'A100', count: 8, memoryGiB: 80 } },
    null,
  ],
  [
    'an A100 request refuses an H100',
    gpuModel,
    gpu({ models: ['A100'], count: 1 }),
    { gpu: { model: 'H100', count: 8, memoryGiB: 80 } },
    'GPU_MODEL',
  ],
  [
    'a request naming no model takes any',
    gpuModel,
    gpu({ count: 1 }),
    { gpu: { model: 'T4', count: 1, memoryGiB: 16 } },
    null,
  ],
  [
    'minMemoryGiB 80 refuses a 40 GB A100',
    gpuMemory,
    gpu({ models: ['A100'], count: 1, minMemoryGiB: 80 }),
    {},
    'GPU_MEMORY',
  ],
  [
    'a 10 GB share fits a 16 GB T4',
    gpuMemory,
    gpu({ fraction: 0.25, memoryGiB: 10 }),
    { gpu: { model: 'T4', count: 1, memoryGiB: 16 } },
    null,
  ],
  [
    '8 GPUs do not fit a 4-GPU node',
    gpuCount,
    gpu({ count: 8 }),
    { gpu: { model: 'A100', count: 4, memoryGiB: 40 } },
    'GPU_COUNT',
  ],
  [
    'a fraction needs one GPU',
    gpuCount,
    gpu({ fraction: 0.5, memoryGiB: 5 }),
    { gpu: { model: 'T4', count: 1, memoryGiB: 16 } },
    null,
  ],
  [
    'constraints.clouds refuses another cloud',
    cloudAllowed,
    { constraints: { clouds: ['gcp'] } },
    { cloud: 'aws' },
    'CLOUD_EXCLUDED',
  ],
  ['no cloud constraint takes any cloud', cloudAllowed, {}, { cloud: 'azure' }, null],
  [
    'regionsExclude refuses that region',
    regionAllowed,
    { constraints: { regionsExclude: ['aws:us-east-1'] } },
    {},
    'REGION_EXCLUDED',
  ],
  [
    'regions allow-list refuses the others',
    regionAllowed,
    { constraints: { regions: ['aws:us-west-2'] } },
    {},
    'REGION_EXCLUDED',
  ],
  [
    'regions allow-list takes its own',
    regionAllowed,
    { constraints: { regions: ['aws:us-east-1'] } },
    {},
    null,
  ],
  ['market: on-demand refuses spot', marketAllowed, { market: 'on-demand' }, { market: 'spot' }, 'MARKET'],
  ['market: auto takes spot', marketAllowed, { market: 'auto' }, { market: 'spot' }, null],
  ['32 vCPUs do not fit 16', cpus, { resources: { gpu: { count: 1 }, cpus: 32 } }, { vcpus: 16 }, 'CPU'],
  [
    '200 GiB do not fit 128',
    memory,
    { resources: { gpu: { count: 1 }, memoryGiB: 200 } },
    { memoryGiB: 128 },
    'MEMORY',
  ],
  [
    'a price cap refuses a dearer node',
    priceCap,
    { constraints: { maxPricePerHour: 5 } },
    { pricePerHour: 10 },
    'PRICE_CAP',
  ],
  [
    'a pool blocked until later is refused',
    poolOpen,
    {},
    { availability: blocked(at(60).toISOString()) },
    'POOL_BLOCKED',
  ],
  ['a block that has run out is not', poolOpen, {}, { availability: blocked(at(-60).toISOString()) }, null],
];

describe('feasibility filters', () => {
  it.each(cases)('%s', (_name, filter, change, o, reason) => {
    expect(filter(spec(change), offer(o), T0)).toBe(reason);
  });

  it('report the first refusal in the chain order (GPU checks first)', () => {
    const s = spec({ resources: { gpu: { models: ['H100'], count: 1 } }, constraints: { clouds: ['gcp'] } });
    expect(firstRefusal(s, offer({ cloud: 'aws' }), T0)).toBe('GPU_MODEL');
    expect(FILTERS[0]).toBe(gpuModel);
  });
});

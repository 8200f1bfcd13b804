// Replay inputs built by hand: a few pools (traced by hand-written traces), a few jobs, the daemon settings of
// the bundled scenarios. For tests whose numbers are worked out on paper.
import { loadCostTables } from '../../src/config/cost-tables.js';
import type { JobSpec } from '../../src/core/jobspec.js';
import { type Offer, poolKey } from '../../src/core/model.js';
import {
  buildMarket,
  type PoolTimeline,
  type RenewalProfile,
  type TracedPool,
} from '../../src/sim/market-model.js';
import type { ReplayInputs, Scenario } from '../../src/sim/scenario.js';
import type { ReplayJob } from '../../src/sim/workload.js';
import { offer } from './builders.js';

export const R0 = Date.parse('2023-02-15T00:00:00Z');
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export const DAEMON_SETTINGS: Scenario['daemon'] = {
  tickSeconds: 300,
  pollSeconds: 300,
  bootSeconds: 300,
  idleNodeSeconds: 300,
  interruptionBlockSeconds: 1800,
  launchFailureBlockSeconds: 180,
  consolidationSeconds: 1800,
};

export function v100(over: Partial<Offer>): Offer {
  return offer({
    cloud: 'aws',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p3.2xlarge',
    gpu: { model: 'V100', count: 1, memoryGiB: 16 },
    vcpus: 8,
    memoryGiB: 61,
    source: 'simulated',
    ...over,
  });
}

/** A traced pool from a list of hours: 1 = sells, 0 = dry (ten-minute ticks). */
export function tracedPool(o: Offer, hours: (0 | 1)[]): TracedPool {
  const data = hours.flatMap((h) => Array<number>(6).fill(h));
  return {
    name: `${o.cloud}:${o.zone}:${o.instanceType}`,
    cloud: o.cloud,
    region: o.region,
    zone: o.zone!,
    instanceType: o.instanceType,
    trace: { gapSeconds: 600, data },
    offsetSeconds: 0,
  };
}

export function trainJob(
  id: string,
  submitAt: number,
  hours: number,
  region: string,
  over: Partial<JobSpec> = {},
): ReplayJob {
  return {
    id,
    source: 'philly',
    team: 'research',
    submitAt,
    deadlineAt: null,
    cancelAt: null,
    spec: {
      name: id,
      team: 'research',
      image: 'replay/test:1',
      resources: { gpu: { models: ['V100'], count: 1 } },
      runtime: { estimateHours: hours },
      data: [{ uri: `s3://data/${id}`, region, sizeGiB: 50 }],
      checkpoint: { dir: `/ckpt/${id}`, graceSeconds: 60, everyMinutes: 30 },
      market: 'auto',
      ...over,
    },
  };
}

export function handInputs(opts: {
  catalog: Offer[];
  traced: TracedPool[];
  jobs: ReplayJob[];
  hours: number;
  profiles?: RenewalProfile[];
  seed?: number;
}): ReplayInputs {
  const end = R0 + opts.hours * HOUR;
  const scenario: Scenario = {
    format: 'gpusched-replay-scenario/1',
    name: 'by-hand',
    description: 'a scenario worked out on paper',
    start: new Date(R0).toISOString(),
    days: opts.hours / 24,
    drainDays: 0,
    seed: opts.seed ?? 1,
    market: { gpuModels: ['V100'], traces: [], traceOffsetSeconds: 0, tracedBucket: 4 },
    workload: {},
    daemon: DAEMON_SETTINGS,
  };
  const market = buildMarket({
    start: R0,
    end,
    catalog: opts.catalog,
    traced: opts.traced,
    profiles: opts.profiles ?? [],
    buckets: new Map(),
    tracedBucket: 4,
    seed: scenario.seed,
  });
  return {
    scenario,
    start: R0,
    arrivalsEnd: end,
    end,
    market,
    jobs: opts.jobs,
    tables: loadCostTables(),
    traced: opts.traced.map((t) => ({
      name: t.name,
      pool: `${t.cloud}/${t.region}/${t.zone}/${t.instanceType}/spot`,
      share: 0,
    })),
  };
}

/** A pool of a hand-made market at a constant price (a V100 pool, any field overridden), dry over `outages` hours. */
export function replayPool(over: Partial<Offer>, outages: readonly [number, number][] = []): PoolTimeline {
  const o = v100(over);
  return {
    key: poolKey(o),
    offer: o,
    driver: o.market === 'spot' ? 'trace' : 'on-demand',
    source: 't',
    outages: outages.map(([from, to]) => ({ from: R0 + from * HOUR, to: R0 + to * HOUR })),
    prices: [{ at: R0, price: o.pricePerHour }],
  };
}

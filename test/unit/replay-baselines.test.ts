// The baselines on a market small enough to follow by hand: a spot pool at home that goes dry after an hour, its
// on-demand pool, and a dearer spot pool in another region of the same cloud.
import { describe, expect, it } from 'vitest';
import { loadCostTables } from '../../src/config/cost-tables.js';
import type { JobSpec } from '../../src/core/jobspec.js';
import {
  type BaselineContext,
  greedyBaseline,
  onDemandBaseline,
  skypilotBaseline,
} from '../../src/sim/baselines.js';
import { MarketTimeline } from '../../src/sim/market-model.js';
import { capacityCost, type PolicyRun } from '../../src/sim/outcome.js';
import type { ReplayJob } from '../../src/sim/workload.js';
import { HOUR, R0, replayPool } from '../helpers/replay.js';

const T0 = R0;
const H = HOUR;
const MIN = 60_000;
const tables = loadCostTables();

const pool = replayPool;

const market = new MarketTimeline(T0, T0 + 24 * H, [
  pool({ market: 'spot', pricePerHour: 1 }, [[1, 3]]),
  pool({ market: 'on-demand', pricePerHour: 3 }),
  pool({ region: 'us-west-2', zone: 'us-west-2a', market: 'spot', pricePerHour: 1.2 }),
]);
const ctx: BaselineContext = {
  market,
  tables,
  bootMs: 5 * MIN,
  end: T0 + 24 * H,
  defaultHome: 'aws:us-east-1',
};

function job(spec: Partial<JobSpec> = {}): ReplayJob {
  return {
    id: 'j',
    source: 'philly',
    team: 't',
    submitAt: T0,
    deadlineAt: T0 + 3 * H,
    cancelAt: null,
    spec: {
      name: 'j',
      image: 'x',
      resources: { gpu: { models: ['V100'], count: 1 } },
      runtime: { estimateHours: 2 },
      data: [{ uri: 's3://d', region: 'aws:us-east-1', sizeGiB: 50 }],
      checkpoint: { dir: '/c', graceSeconds: 60, everyMinutes: 30 },
      ...spec,
    },
  };
}

const total = (r: PolicyRun) =>
  r.capacity.reduce((s, c) => s + capacityCost(market, c), 0) + r.charges.reduce((s, c) => s + c.usd, 0);

describe('on-demand in the home region', () => {
  it('boots, runs its two hours and is never interrupted', () => {
    const r = onDemandBaseline([job()], ctx);
    expect(r.jobs[0]).toMatchObject({ finishedAt: T0 + 2 * H + 5 * MIN, interruptions: 0, gpuHoursLost: 0 });
    expect(total(r)).toBeCloseTo(3 * (2 + 5 / 60), 9);
  });
});

describe('SkyPilot-like', () => {
  const r = skypilotBaseline([job()], ctx);

  it('picks the cheapest spot, finds the reclaim by polling and recovers in the next region', () => {
    // Spot at home ($1) is cheapest (egress between regions of one cloud is not priced in the choice). The pool
    // goes dry at 1 h; the instance goes 2 min later; the 15 s poll finds it then (248 polls after launch).
    expect(r.capacity.map((c) => [c.pool.split('/')[1], c.from - T0, c.to - T0])).toEqual([
      ['us-east-1', 0, H + 2 * MIN],
      ['us-west-2', H + 2 * MIN, 2 * H + 37 * MIN],
    ]);
    expect(r.jobs[0]!.finishedAt).toBe(T0 + 2 * H + 37 * MIN);
    expect(r.interruptions).toBe(1);
  });

  it('resumes from the last periodic checkpoint: 57 min worked, 30 saved, 27 lost', () => {
    expect(r.jobs[0]!.gpuHoursLost).toBeCloseTo(27 / 60, 9);
  });

  it('pays the data and the checkpoint into the other region', () => {
    // 50 GiB data + 16 GiB checkpoint (the GPU's memory) at $0.02/GB, US → US.
    expect(r.charges.map((c) => c.usd)).toEqual([expect.closeTo(66 * 0.02, 9)]);
    expect(total(r)).toBeCloseTo(1 * (62 / 60) + 1.2 * (95 / 60) + 1.32, 9);
  });

  it('misses a deadline it does not know of', () => {
    const tight = skypilotBaseline([{ ...job(), deadlineAt: T0 + 2.5 * H }], ctx);
    expect(tight.jobs[0]!.finishedAt! > T0 + 2.5 * H).toBe(true);
  });
});

describe('greedy spot with on-demand fallback', () => {
  it('falls back to on-demand at home when spot is gone, and stays there', () => {
    const r = greedyBaseline([job()], ctx);
    expect(r.capacity.map((c) => [c.pool.split('/').at(-1), c.from - T0, c.to - T0])).toEqual([
      ['spot', 0, H + 2 * MIN],
      ['on-demand', H + 2 * MIN, 2 * H + 37 * MIN],
    ]);
    expect(r.charges).toEqual([]);
    expect(total(r)).toBeCloseTo(62 / 60 + 3 * (95 / 60), 9);
  });

  it('loses all the work of a job that never checkpoints', () => {
    const r = greedyBaseline([job({ checkpoint: undefined })], ctx);
    expect(r.jobs[0]!.gpuHoursLost).toBeCloseTo(57 / 60, 9);
    expect(r.jobs[0]!.finishedAt).toBe(T0 + H + 2 * MIN + 5 * MIN + 2 * H);
  });
});

describe('a deployment', () => {
  it('serves until deleted, replaced after each reclaim, losing no work', () => {
    const inf = {
      ...job({
        kind: 'inference',
        resources: { gpu: { models: ['V100'], fraction: 0.5, memoryGiB: 8 } },
        data: [],
        runtime: undefined,
        checkpoint: undefined,
      }),
      deadlineAt: null,
      cancelAt: T0 + 4 * H,
    };
    const r = greedyBaseline([inf], ctx);
    expect(r.jobs[0]).toMatchObject({ finishedAt: T0 + 4 * H, gpuHoursLost: 0, interruptions: 1 });
    expect(r.capacity.at(-1)!.to).toBe(T0 + 4 * H);
  });
});

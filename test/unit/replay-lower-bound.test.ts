// The offline lower bound on cases small enough to check by hand.
import { describe, expect, it } from 'vitest';
import { loadCostTables } from '../../src/config/cost-tables.js';
import type { JobSpec } from '../../src/core/jobspec.js';
import type { Offer } from '../../src/core/model.js';
import { cheapestSchedule, lowerBound, OptionTimeline, type Segment } from '../../src/sim/lower-bound.js';
import { MarketTimeline, type PoolTimeline } from '../../src/sim/market-model.js';
import { capacityCost } from '../../src/sim/outcome.js';
import type { ReplayJob } from '../../src/sim/workload.js';
import { HOUR, R0, replayPool } from '../helpers/replay.js';

const T0 = R0;
const H = HOUR;
const tables = loadCostTables();

/** Outages as {from, to} hours, as the bound's cases read best. */
const pool = (over: Partial<Offer>, outages: { from: number; to: number }[] = []) =>
  replayPool(
    over,
    outages.map((o) => [o.from, o.to]),
  );

function job(over: Omit<Partial<ReplayJob>, 'spec'> & { spec?: Partial<JobSpec> } = {}): ReplayJob {
  const { spec, ...rest } = over;
  return {
    id: 'j',
    source: 'philly',
    team: 't',
    submitAt: T0,
    deadlineAt: null,
    cancelAt: null,
    spec: {
      name: 'j',
      image: 'x',
      resources: { gpu: { models: ['V100'], count: 1 } },
      runtime: { estimateHours: 4 },
      data: [{ uri: 's3://d', region: 'aws:us-east-1', sizeGiB: 50 }],
      ...spec,
    },
    ...rest,
  };
}

const spotS = pool({ market: 'spot', pricePerHour: 1 }, [{ from: 2, to: 3 }]);
const odS = pool({ market: 'on-demand', pricePerHour: 3 });

function bound(pools: PoolTimeline[], jobs: ReplayJob[], end = 10) {
  const market = new MarketTimeline(T0, T0 + end * H, pools);
  const run = lowerBound(jobs, { market, tables, end: T0 + end * H, defaultHome: 'aws:us-east-1' });
  const usd =
    run.capacity.reduce((s, c) => s + capacityCost(market, c), 0) +
    run.charges.reduce((s, c) => s + c.usd, 0);
  return { run, usd };
}

describe('the lower bound of one job', () => {
  it('uses spot whenever it sells within the deadline: 4 h of work, spot 4 h of 5 → $4', () => {
    expect(bound([spotS, odS], [job({ deadlineAt: T0 + 5 * H })]).usd).toBeCloseTo(4, 9);
  });

  it('buys on-demand only for what spot cannot do in time: 3.5 h spot + 0.5 h on-demand → $5', () => {
    expect(bound([spotS, odS], [job({ deadlineAt: T0 + 4.5 * H })]).usd).toBeCloseTo(3.5 + 1.5, 9);
  });

  it('waits for cheap capacity when there is no deadline', () => {
    // Spot sells 9 h of the 10: all 4 h on spot.
    expect(bound([spotS, odS], [job()]).usd).toBeCloseTo(4, 9);
  });

  it('prices GPUs by the GPU, as if nodes were packed full, and a fraction of a GPU by its fraction', () => {
    const big = pool({
      instanceType: 'p3.8xlarge',
      market: 'spot',
      pricePerHour: 2,
      gpu: { model: 'V100', count: 4, memoryGiB: 16 },
    });
    const whole = bound([big, odS], [job({ spec: { runtime: { estimateHours: 2 } } })]);
    expect(whole.usd).toBeCloseTo(2 * 0.5, 9);
    expect(whole.run.capacity[0]?.share).toBeCloseTo(0.25, 12);
    const shared = bound(
      [big, odS],
      [
        job({
          spec: {
            resources: { gpu: { models: ['V100'], fraction: 0.25, memoryGiB: 4 } },
            runtime: { estimateHours: 2 },
            data: [],
          },
        }),
      ],
    );
    expect(shared.usd).toBeCloseTo(2 * 0.5 * 0.25, 9);
  });

  it('charges at least the data’s copy when the cheapest place is away from the data', () => {
    const away = pool({ region: 'us-west-2', zone: 'us-west-2a', market: 'spot', pricePerHour: 1 });
    const homeOnly = pool({ market: 'on-demand', pricePerHour: 3 });
    // Home: 2 h × $3 = $6. Away: 2 h × $1 + 50 GiB × $0.02 (US → US) = $3.
    const r = bound([homeOnly, away], [job({ spec: { runtime: { estimateHours: 2 } } })]);
    expect(r.usd).toBeCloseTo(3, 9);
    expect(r.run.charges[0]?.usd).toBeCloseTo(1, 9);
    // With the data elsewhere the copy is dear (internet egress), staying home wins.
    const far = bound(
      [
        homeOnly,
        pool({
          cloud: 'gcp',
          region: 'us-central1',
          zone: 'us-central1-a',
          market: 'spot',
          pricePerHour: 2.9,
        }),
      ],
      [job({ spec: { runtime: { estimateHours: 2 } } })],
    );
    expect(far.usd).toBeCloseTo(6, 9);
  });

  it('serves a deployment on the cheapest share at every instant until it is deleted', () => {
    const r = bound(
      [spotS, odS],
      [
        job({
          cancelAt: T0 + 4 * H,
          spec: {
            kind: 'inference',
            resources: { gpu: { models: ['V100'], fraction: 0.5, memoryGiB: 8 } },
            data: [],
          },
        }),
      ],
    );
    // 3 h on spot at $1, 1 h (the outage) on on-demand at $3, half a GPU: (3 + 3) / 2.
    expect(r.usd).toBeCloseTo(3, 9);
  });

  it('never leaves a job out: a deadline nothing can meet falls back to the horizon', () => {
    const r = bound([spotS, odS], [job({ deadlineAt: T0 + 1 * H })]);
    expect(r.usd).toBeCloseTo(4, 9);
    expect(r.run.stats.infeasibleJobs).toBe(0);
  });
});

describe('the program with GPUs of two speeds', () => {
  it('finds the optimum of a case solved by hand', () => {
    // 6 h to do 10 units: fast does 2/h at $3, slow 1/h at $1. At most one at a time.
    // Slow alone does 6 < 10; x h fast and 6 − x slow: 2x + 6 − x ≥ 10 → x ≥ 4: 4×3 + 2×1 = $14.
    const seg: Segment = {
      from: 0,
      to: 6 * H,
      options: [
        { w: 2, c: 3, pool: 'fast', gpus: 1 },
        { w: 1, c: 1, pool: 'slow', gpus: 1 },
      ],
    };
    const s = cheapestSchedule([seg], 10);
    expect(s.feasible).toBe(true);
    expect(s.usdPerGpu).toBeCloseTo(14, 6);
  });

  it('says when the work cannot be done in the window', () => {
    const seg: Segment = { from: 0, to: H, options: [{ w: 1, c: 1, pool: 'p', gpus: 1 }] };
    expect(cheapestSchedule([seg], 2).feasible).toBe(false);
  });
});

describe('long windows', () => {
  it('walk the segments in price order to the same answer as sorting the window', () => {
    // 5,000 ten-minute segments with prices going up and down.
    const segments: Segment[] = Array.from({ length: 5000 }, (_, i) => ({
      from: i * 600_000,
      to: (i + 1) * 600_000,
      options: i % 7 === 3 ? [] : [{ w: 1, c: 1 + ((i * 37) % 101) / 100, pool: `p${i % 5}`, gpus: 1 }],
    }));
    const t = new OptionTimeline(segments);
    expect(t.speed).toBe(1);
    for (const [from, to, work] of [
      [0, 5000 * 600_000, 3],
      [123_456, 4000 * 600_000, 40.5],
      [10 * 600_000, 4999 * 600_000, 0.01],
    ] as const) {
      const fast = t.cheapest(from, to, work);
      const slow = cheapestSchedule(t.window(from, to), work);
      expect(fast.usdPerGpu).toBeCloseTo(slow.usdPerGpu, 9);
      expect(fast.feasible).toBe(true);
    }
    expect(t.cheapest(0, 3000 * 600_000, 1e6).feasible).toBe(false);
  });
});

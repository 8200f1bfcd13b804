// The scheduler with the cost model and the bundled tables: data locality, GPU speed and deadlines
// change where a job goes, compared with price alone.
import { describe, expect, it } from 'vitest';
import { loadCostTables } from '../../src/config/cost-tables.js';
import { aloneFloor, costModel, nodeTimeFloor } from '../../src/core/placement/model-cost.js';
import { priceTimesHours } from '../../src/core/placement/pricing.js';
import { type Snapshot, schedule } from '../../src/core/schedule.js';
import { deepFreeze } from '../../src/core/validate.js';
import { at, job, offer, spec, T0 } from '../helpers/builders.js';

const cost = costModel({ tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 });
const snap = (j: ReturnType<typeof job>, offers: ReturnType<typeof offer>[]): Snapshot => ({
  pending: [j],
  dependencyStates: new Map(),
  nodes: [],
  offers,
});
const chosen = (s: Snapshot, fn = cost) => {
  const a = schedule(s, T0, { idleNodeSeconds: 60, cost: fn }).actions[0];
  const o = a?.kind === 'launch' ? a.nodes[0]!.offer : null;
  return o ? `${o.cloud}:${o.region}:${o.gpu.model}:${o.market}` : a?.kind;
};

const awsA100 = offer({
  cloud: 'aws',
  region: 'us-east-1',
  market: 'on-demand',
  gpu: { model: 'A100', count: 1, memoryGiB: 40 },
  pricePerHour: 3,
});
const gcpA100 = offer({
  cloud: 'gcp',
  region: 'us-central1',
  zone: 'us-central1-a',
  market: 'on-demand',
  gpu: { model: 'A100', count: 1, memoryGiB: 40 },
  pricePerHour: 3.5,
});

describe('placement by expected cost', () => {
  it('goes to the data when moving it costs more than the price difference (price alone would not)', () => {
    const j = job({
      spec: spec({
        resources: { gpu: { models: ['A100'], count: 1 } },
        data: [{ uri: 'gs://d', region: 'gcp:us-central1', sizeGiB: 1000 }],
      }),
    });
    expect(chosen(snap(j, [awsA100, gcpA100]))).toBe('gcp:us-central1:A100:on-demand');
    expect(chosen(snap(j, [awsA100, gcpA100]), priceTimesHours)).toBe('aws:us-east-1:A100:on-demand');
  });

  it('resumes a moved job where its checkpoint was written unless elsewhere is cheaper by more than copying it', () => {
    const resuming = (bytes: number) =>
      job({
        spec: spec({ resources: { gpu: { models: ['A100'], count: 1 } }, runtime: { estimateHours: 2 } }),
        progress: 0.5,
        checkpoint: { path: 'step-9', step: 9, at: T0.toISOString(), bytes, region: 'gcp:us-central1' },
      });
    // A 200 GiB checkpoint costs more to copy out of GCP than the $0.50/h the AWS offer saves over an hour.
    expect(chosen(snap(resuming(200 * 2 ** 30), [awsA100, gcpA100]))).toBe('gcp:us-central1:A100:on-demand');
    // A small one does not: the cheaper offer wins.
    expect(chosen(snap(resuming(2 ** 30), [awsA100, gcpA100]))).toBe('aws:us-east-1:A100:on-demand');
    const where = cost(resuming(200 * 2 ** 30), awsA100, 1, T0);
    expect(where.parts.checkpointMoveUsd).toBeGreaterThan(10);
    expect(cost(resuming(200 * 2 ** 30), gcpA100, 1, T0).parts.checkpointMoveUsd).toBeUndefined();
  });

  it('takes a dearer GPU that is fast enough to be cheaper per unit of work', () => {
    const h100 = offer({
      market: 'on-demand',
      gpu: { model: 'H100', count: 1, memoryGiB: 80 },
      pricePerHour: 5,
    });
    const j = job({
      spec: spec({
        resources: { gpu: { models: ['A100', 'H100'], count: 1 } },
        runtime: { estimateHours: 10 },
      }),
    });
    expect(chosen(snap(j, [awsA100, h100]))).toBe('aws:us-east-1:H100:on-demand');
  });

  it('refuses capacity that cannot finish before the deadline, and says so', () => {
    const t4 = offer({
      market: 'on-demand',
      gpu: { model: 'T4', count: 1, memoryGiB: 16 },
      pricePerHour: 0.5,
    });
    const j = job({
      spec: spec({
        resources: { gpu: { models: ['A100', 'T4'], count: 1 } },
        runtime: { estimateHours: 20 },
        deadline: at(10 * 3600).toISOString(),
        market: 'on-demand',
      }),
    });
    // The estimate is on the slowest accepted GPU (T4): 20 h there misses a 10 h deadline; the A100 does not.
    expect(chosen(snap(j, [t4, awsA100]))).toBe('aws:us-east-1:A100:on-demand');
    const plan = schedule(snap(j, [t4]), T0, { idleNodeSeconds: 60, cost });
    expect(plan.unplaced[0]?.reasons).toEqual({ DEADLINE: 1 });
  });

  it('waits for spot while a deadline-aware auto job is on its line (Uniform Progress), rather than pay on-demand', () => {
    const j = job({
      spec: spec({ runtime: { estimateHours: 2 }, deadline: at(48 * 3600).toISOString(), market: 'auto' }),
    });
    const plan = schedule(snap(j, [awsA100]), T0, { idleNodeSeconds: 60, cost });
    expect(plan.unplaced[0]?.reasons).toEqual({ DEADLINE_MARKET: 1 });
  });

  it('lets Uniform Progress take on-demand when a deadline leaves no room for spot', () => {
    const spot = offer({ market: 'spot', gpu: { model: 'A100', count: 1, memoryGiB: 40 }, pricePerHour: 1 });
    const tight = job({
      spec: spec({ runtime: { estimateHours: 9.9 }, deadline: at(10 * 3600).toISOString(), market: 'auto' }),
    });
    expect(chosen(snap(tight, [spot, awsA100]))).toBe('aws:us-east-1:A100:on-demand');
    const relaxed = job({
      spec: spec({ runtime: { estimateHours: 2 }, deadline: at(48 * 3600).toISOString(), market: 'auto' }),
    });
    expect(chosen(snap(relaxed, [spot, awsA100]))).toBe('aws:us-east-1:A100:spot');
  });
});

describe('the cost model over time', () => {
  it('answers for a deadline job as a fresh model does at every instant, the deadline refusing spot late', () => {
    const j = job({
      spec: spec({
        resources: { gpu: { models: ['A100'], count: 1 } },
        runtime: { estimateHours: 4 },
        deadline: at(6 * 3600).toISOString(),
      }),
    });
    const model = costModel({ tables: loadCostTables(), restartHours: 5 / 60 });
    const spot = { ...awsA100, market: 'spot' as const };
    for (const s of [0, 3600, 4 * 3600, 5.5 * 3600]) {
      const fresh = costModel({ tables: loadCostTables(), restartHours: 5 / 60 });
      for (const cap of [awsA100, spot]) expect(model(j, cap, 1, at(s))).toEqual(fresh(j, cap, 1, at(s)));
    }
    expect(model(j, spot, 1, at(5.5 * 3600)).refusal).toBeDefined();
    expect(model(j, spot, 1, at(0)).refusal).toBeUndefined();
  });

  it('gives capacity the deadline rules out no price, and the time there (what moves of running jobs read)', () => {
    const j = job({
      spec: spec({
        resources: { gpu: { models: ['A100'], count: 1 } },
        runtime: { estimateHours: 4 },
        deadline: at(6 * 3600).toISOString(),
      }),
    });
    const spot = { ...awsA100, market: 'spot' as const };
    // An hour in with nothing done, the job is behind its line: on-demand is placed, spot refused.
    const placed = cost(j, awsA100, 1, at(3600));
    const late = cost(j, spot, 1, at(3600));
    expect(placed.refusal).toBeUndefined();
    expect(late).toEqual({
      totalUsd: Number.POSITIVE_INFINITY,
      parts: { runtimeHours: placed.parts.runtimeHours, transferHours: placed.parts.transferHours },
      refusal: 'DEADLINE_MARKET',
    });
    // Past the point where even on-demand finishes in time: refused for the deadline itself, on both markets.
    for (const cap of [awsA100, spot])
      expect(cost(j, cap, 1, at(3 * 3600))).toMatchObject({
        totalUsd: Number.POSITIVE_INFINITY,
        parts: { runtimeHours: 4 },
        refusal: 'DEADLINE',
      });
  });
});

describe('the floor under a job alone on an offer', () => {
  const ctx = { tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 };
  const model = costModel(ctx);
  const floorOf = aloneFloor(ctx);
  const market = [
    awsA100,
    gcpA100,
    { ...awsA100, market: 'spot' as const, pricePerHour: 1.2 },
    { ...gcpA100, market: 'spot' as const, pricePerHour: 1.1 },
    offer({
      cloud: 'azure',
      region: 'eastus',
      market: 'on-demand',
      gpu: { model: 'H100', count: 8, memoryGiB: 80 },
      pricePerHour: 30,
    }),
    offer({ market: 'spot', gpu: { model: 'T4', count: 1, memoryGiB: 16 }, pricePerHour: 0.2 }),
  ];
  const jobs = {
    fresh: job({ spec: spec({ resources: { gpu: { models: ['A100', 'H100', 'T4'], count: 1 } } }) }),
    'data elsewhere': job({
      spec: spec({ data: [{ uri: 'gs://b/d', region: 'gcp:us-central1', sizeGiB: 500 }] }),
    }),
    'resumed from another region': job({
      progress: 0.4,
      checkpoint: {
        path: 'step-4',
        step: 4,
        at: T0.toISOString(),
        region: 'gcp:us-central1',
        bytes: 2 ** 34,
      },
      spec: spec({
        runtime: { estimateHours: 6 },
        checkpoint: { dir: '/ckpt', everyMinutes: 30, graceSeconds: 60 },
      }),
    }),
    'no estimate, resumed': job({ progress: 0.5, spec: spec({ runtime: undefined }) }),
    inference: job({ spec: spec({ kind: 'inference', resources: { gpu: { count: 1 } } }) }),
    'a deadline': job({
      spec: spec({ runtime: { estimateHours: 3 }, deadline: at(20 * 3600).toISOString() }),
    }),
  };

  it.each(Object.entries(jobs))('is never above the price of any offer not refused: %s', (_what, j) => {
    const of = floorOf(j);
    for (const o of market) {
      const q = model(j, o, 1, T0);
      if (!q.refusal) expect(of(o)).toBeLessThanOrEqual(q.totalUsd);
    }
  });

  it('under a fresh job on n nodes, the budget estimate’s floor, asked offer after offer, is never above the price', () => {
    const floor = nodeTimeFloor(ctx);
    // Frozen, as the daemon's specs are (the floor keeps a frozen spec's hours per GPU model).
    for (const j of Object.values(jobs)
      .filter((x) => x.progress === 0)
      .map((x) => deepFreeze(x)))
      for (const n of [1, 2])
        for (const o of market) {
          const q = model(j, o, n, T0);
          if (!q.refusal) expect(floor(j.spec, o, n)).toBeLessThanOrEqual(q.totalUsd);
        }
  });

  it.each(Object.entries(jobs))('leaves the plan for a job alone as it was: %s', (_what, j) => {
    const s = snap(j, market);
    const plain = schedule(s, T0, { idleNodeSeconds: 60, cost: model });
    expect(schedule(s, T0, { idleNodeSeconds: 60, cost: model, costFloor: floorOf })).toEqual(plain);
  });
});

import { describe, expect, it } from 'vitest';
import {
  type CostContext,
  DEFAULT_RESTART_HOURS,
  expectedCost,
  migrationCost,
  priceWork,
  transferHours,
  workOn,
} from '../../src/core/cost.js';
import { buildCostTables, type CostTables } from '../../src/core/cost-tables.js';
import { DEFAULT_MONTHLY_FRACTION, monthlyFractionToRate } from '../../src/core/interruptions.js';
import type { JobSpec } from '../../src/core/jobspec.js';
import type { Offer } from '../../src/core/model.js';
import { offer, spec } from '../helpers/builders.js';

// Small tables with round figures, so every expectation below can be checked by hand. The shipped tables
// are tested in cost-tables.test.ts.
function testTables(): CostTables {
  const flat = (source: string, interRegion: number, internet: number) => ({
    source,
    interRegion: { usdPerGB: interRegion },
    internet: { usdPerGB: internet },
  });
  const built = buildCostTables(
    {
      baseline: 'A100',
      models: {
        A100: { speed: 1, basis: 'baseline', source: 'test' },
        H100: { speed: 2.5, basis: 'estimate', source: 'test' },
        T4: { speed: 0.2, basis: 'estimate', source: 'test' },
      },
    },
    {
      asOf: 'test',
      bandwidthGbps: 10,
      clouds: {
        aws: flat('test', 0.02, 0.09),
        gcp: flat('test', 0.02, 0.12),
        azure: flat('test', 0.02, 0.087),
      },
    },
  );
  if (!built.ok) throw new Error(JSON.stringify(built.issues));
  return built.tables;
}

const ctx: CostContext = { tables: testTables() };
const onDemand = (over: Partial<Offer> = {}) => offer({ market: 'on-demand', ...over });
const a100 = { model: 'A100', count: 8, memoryGiB: 40 };
const h100 = { model: 'H100', count: 8, memoryGiB: 80 };
const t4 = { model: 'T4', count: 8, memoryGiB: 16 };
const withData = (region: string, sizeGiB = 100): JobSpec =>
  spec({ data: [{ uri: 's3://acme/c4', region, sizeGiB }] });
const hoursFor100GiB = transferHours(100, 10);
const spotWith = (cloud: Offer['cloud'], rate: number) =>
  offer({
    cloud,
    region: cloud === 'aws' ? 'us-east-1' : cloud === 'gcp' ? 'us-central1' : 'eastus',
    availability: { score: null, blockedUntil: null, interruptionsPerHour: rate },
  });
const checkpointed = (graceSeconds: number, everyMinutes?: number): JobSpec =>
  spec({ checkpoint: { dir: '/ckpt', graceSeconds, ...(everyMinutes ? { everyMinutes } : {}) } });

describe('compute: price × nodes × runtime on the offered GPU', () => {
  it('prices a job on the GPU its estimate was given on at price × estimate', () => {
    const cost = expectedCost(spec(), onDemand({ pricePerHour: 10, gpu: a100 }), 1, ctx);
    expect(cost).toMatchObject({ runtimeHours: 2, transferHours: 0, computeUsd: 20, totalUsd: 20 });
  });

  it('runs a job faster on a faster GPU: the estimate on the slowest accepted GPU scales by the speed ratio', () => {
    const s = spec({
      resources: { gpu: { models: ['A100', 'H100'], count: 8 } },
      runtime: { estimateHours: 10 },
    });
    const cost = expectedCost(s, onDemand({ gpu: h100 }), 1, ctx);
    expect(cost.runtimeHours).toBeCloseTo(4);
    expect(cost.inputs).toMatchObject({ referenceModel: 'A100', offerModel: 'H100', speedRatio: 0.4 });
  });

  it.each([
    ['2.5× faster at 2× the price: cheaper per unit of work', 2.5, 20, 'less'],
    ['exactly 2× faster at 2× the price: the same cost', 2, 20, 'equal'],
    ['2.5× faster at 3× the price: dearer', 2.5, 30, 'more'],
  ])('an H100 %s than an A100', (_what, speed, price, verdict) => {
    const built = buildCostTables(
      {
        ...ctx.tables.speed,
        models: { ...ctx.tables.speed.models, H100: { speed, basis: 'estimate', source: 't' } },
      },
      ctx.tables.egress,
    );
    if (!built.ok) throw new Error('tables');
    const c = { tables: built.tables };
    const s = spec({
      resources: { gpu: { models: ['A100', 'H100'], count: 8 } },
      runtime: { estimateHours: 10 },
    });
    const onA100 = expectedCost(s, onDemand({ pricePerHour: 10, gpu: a100 }), 1, c).totalUsd;
    const onH100 = expectedCost(s, onDemand({ pricePerHour: price, gpu: h100 }), 1, c).totalUsd;
    if (verdict === 'less') expect(onH100).toBeLessThan(onA100);
    else if (verdict === 'equal') expect(onH100).toBeCloseTo(onA100);
    else expect(onH100).toBeGreaterThan(onA100);
  });

  it('reads the estimate on the slowest GPU the job accepts, not the first it names', () => {
    const s = spec({
      resources: { gpu: { models: ['H100', 'T4'], count: 8 } },
      runtime: { estimateHours: 10 },
    });
    const cost = expectedCost(s, onDemand({ gpu: h100 }), 1, ctx);
    expect(cost.inputs.referenceModel).toBe('T4');
    expect(cost.runtimeHours).toBeCloseTo((10 * 0.2) / 2.5);
  });

  it('reads the estimate of a job that accepts any GPU as baseline (A100) hours', () => {
    const s = spec({ resources: { gpu: { count: 1 } }, runtime: { estimateHours: 10 } });
    const cost = expectedCost(s, onDemand({ gpu: t4 }), 1, ctx);
    expect(cost.inputs.referenceModel).toBe('A100');
    expect(cost.runtimeHours).toBeCloseTo(50);
  });

  it('takes a GPU missing from the speed table at the baseline speed, and says so', () => {
    const cost = expectedCost(spec(), onDemand({ gpu: { model: 'L4', count: 1, memoryGiB: 24 } }), 1, ctx);
    expect(cost.inputs).toMatchObject({ offerSpeed: 1, speedFallback: true });
  });

  it('multiplies compute by the gang size: 4 nodes cost 4 times one', () => {
    const one = expectedCost(spec(), onDemand({ pricePerHour: 10 }), 1, ctx);
    const four = expectedCost(spec(), onDemand({ pricePerHour: 10 }), 4, ctx);
    expect(four.computeUsd).toBeCloseTo(4 * one.computeUsd);
    expect(four.runtimeHours).toBe(one.runtimeHours);
  });

  it('prices inference per hour of serving: one hour, whatever the GPU speed', () => {
    const s = spec({
      kind: 'inference',
      replicas: 3,
      runtime: undefined,
      resources: { gpu: { models: ['A100', 'H100'], count: 1 } },
    });
    const cost = expectedCost(s, onDemand({ pricePerHour: 4, gpu: h100 }), 3, ctx);
    expect(cost).toMatchObject({ runtimeHours: 1, computeUsd: 12 });
    expect(cost.inputs.estimateHours).toBeNull();
  });
});

describe('data movement: egress $/GB from the data region to the offer region, plus transfer time', () => {
  it.each([
    ['data in the same region costs nothing and takes no time', 'aws:us-east-1', 0, 0, 'same-region'],
    [
      'data in another region of the same cloud pays that cloud’s inter-region rate',
      'aws:us-west-2',
      2,
      hoursFor100GiB,
      'inter-region',
    ],
    [
      'data in another cloud pays the source cloud’s internet egress',
      'gcp:us-central1',
      12,
      hoursFor100GiB,
      'internet',
    ],
    [
      'data in Azure pays Azure’s internet egress to reach AWS',
      'azure:eastus',
      8.7,
      hoursFor100GiB,
      'internet',
    ],
  ])('%s', (_what, region, usd, hours, kind) => {
    const cost = expectedCost(withData(region), onDemand({ region: 'us-east-1' }), 1, ctx);
    expect(cost.egressUsd).toBeCloseTo(usd);
    expect(cost.transferHours).toBeCloseTo(hours);
    expect(cost.inputs.data[0]?.quote.kind).toBe(kind);
  });

  it('answers each pair of regions as its own, however the questions alternate', () => {
    const regions = ['aws:us-east-1', 'aws:us-west-2', 'gcp:us-central1', 'azure:eastus'];
    const places = [
      onDemand({ region: 'us-east-1' }),
      onDemand({ region: 'us-west-2' }),
      onDemand({ cloud: 'gcp', region: 'us-central1' }),
    ];
    const alone = (r: string, p: Offer) =>
      expectedCost(withData(r), p, 1, { tables: testTables() }).egressUsd;
    const expected = regions.flatMap((r) => places.map((p) => alone(r, p)));
    // One data region to each place in turn, then each region to one place.
    expect(regions.flatMap((r) => places.map((p) => expectedCost(withData(r), p, 1, ctx).egressUsd))).toEqual(
      expected,
    );
    const byPlace = places.flatMap((p) => regions.map((r) => expectedCost(withData(r), p, 1, ctx).egressUsd));
    expect(byPlace).toEqual(places.flatMap((_, j) => regions.map((_, i) => expected[i * places.length + j])));
  });

  it('adds the transfer time to the hours paid for, on every node', () => {
    const cost = expectedCost(withData('aws:us-west-2'), onDemand({ pricePerHour: 10 }), 2, ctx);
    expect(cost.computeUsd).toBeCloseTo(10 * 2 * (2 + hoursFor100GiB));
    expect(cost.totalUsd).toBeCloseTo(cost.computeUsd + 2);
  });

  it('copies a dataset once per job, not once per gang node', () => {
    const cost = expectedCost(withData('aws:us-west-2'), onDemand(), 4, ctx);
    expect(cost.egressUsd).toBeCloseTo(2);
  });

  it('converts GiB at 2^30 bytes and Gbit/s at 10^9 bits: 1000 GiB at 10 Gbit/s take about 14 minutes', () => {
    expect(transferHours(1000, 10) * 60).toBeCloseTo(14.3, 1);
  });
});

describe('interruption overhead (spot only): expected interruptions × (lost work + restart) × price', () => {
  const rate = 0.01;
  const restartOnly = (runtime: number, nodes: number, price: number) =>
    nodes * rate * runtime * DEFAULT_RESTART_HOURS * price * nodes;

  it('is nothing on on-demand', () => {
    const cost = expectedCost(checkpointed(60), onDemand(), 1, ctx);
    expect(cost.interruptionUsd).toBe(0);
    expect(cost.inputs.interruption).toBeNull();
  });

  it('loses no work when the notice covers the checkpoint: AWS 120 s notice, 60 s grace (only the restart)', () => {
    const cost = expectedCost(checkpointed(60, 30), spotWith('aws', rate), 1, ctx);
    expect(cost.inputs.interruption).toMatchObject({
      checkpointOnNotice: true,
      lostHours: 0,
      noticeSeconds: 120,
    });
    expect(cost.interruptionUsd).toBeCloseTo(restartOnly(2, 1, 10));
    expect(cost.interruptionUsd).toBeLessThan(0.01 * cost.computeUsd);
  });

  it('loses half a checkpoint interval when the notice is too short: Azure 30 s notice, 60 s grace', () => {
    const cost = expectedCost(checkpointed(60, 30), spotWith('azure', rate), 1, ctx);
    expect(cost.inputs.interruption).toMatchObject({
      checkpointOnNotice: false,
      lostHours: 0.25,
      noticeSeconds: 30,
    });
    expect(cost.interruptionUsd).toBeCloseTo(1 * rate * 2 * (0.25 + DEFAULT_RESTART_HOURS) * 10);
    expect(cost.interruptionUsd).toBeGreaterThan(restartOnly(2, 1, 10));
  });

  it('keeps the margin: a 30 s GCP notice less 5 s does not cover a 30 s checkpoint', () => {
    const cost = expectedCost(checkpointed(30, 30), spotWith('gcp', rate), 1, ctx);
    expect(cost.inputs.interruption?.checkpointOnNotice).toBe(false);
  });

  it('loses half the run on average when the job never checkpoints', () => {
    const cost = expectedCost(spec({ runtime: { estimateHours: 8 } }), spotWith('aws', rate), 1, ctx);
    expect(cost.inputs.interruption).toMatchObject({ lostHours: 4, graceSeconds: null });
  });

  it('caps the lost work at half the run when the checkpoint interval is longer than the run', () => {
    const cost = expectedCost(checkpointed(600, 600), spotWith('aws', rate), 1, ctx);
    expect(cost.inputs.interruption?.lostHours).toBeCloseTo(1);
  });

  it('grows with the square of a gang: 4 nodes are interrupted 4× as often and each time all 4 wait', () => {
    const one = expectedCost(checkpointed(60, 30), spotWith('azure', rate), 1, ctx);
    const four = expectedCost(checkpointed(60, 30), spotWith('azure', rate), 4, ctx);
    expect(four.interruptionUsd).toBeCloseTo(16 * one.interruptionUsd);
    expect(four.inputs.interruption?.expected).toBeCloseTo(4 * (one.inputs.interruption?.expected ?? 0));
  });

  it('counts the transfer time as exposed to interruptions', () => {
    const s = { ...checkpointed(60, 30), data: [{ uri: 's3://x', region: 'aws:us-west-2', sizeGiB: 100 }] };
    const cost = expectedCost(s, spotWith('aws', rate), 1, ctx);
    expect(cost.inputs.interruption?.expected).toBeCloseTo(rate * (2 + hoursFor100GiB));
  });

  it('uses the pessimistic prior when the offer does not know its pool’s rate', () => {
    const cost = expectedCost(checkpointed(60, 30), offer(), 1, ctx);
    expect(cost.inputs.interruption).toMatchObject({
      rateSource: 'default',
      ratePerNodeHour: monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION),
    });
  });

  it('replaces one inference replica at a time and loses no work', () => {
    const s = spec({ kind: 'inference', replicas: 4, runtime: undefined });
    const cost = expectedCost(s, spotWith('azure', rate), 4, ctx);
    expect(cost.inputs.interruption?.lostHours).toBe(0);
    expect(cost.interruptionUsd).toBeCloseTo(4 * rate * 1 * DEFAULT_RESTART_HOURS * 10);
  });

  it('reports the delay the interruptions add, for the deadline policy', () => {
    const cost = expectedCost(checkpointed(60, 30), spotWith('azure', rate), 1, ctx);
    expect(cost.inputs.interruption?.delayHours).toBeCloseTo(rate * 2 * (0.25 + DEFAULT_RESTART_HOURS));
  });

  it('honours the notice lengths, margin and restart time the caller passes in', () => {
    const c = { ...ctx, noticeSeconds: { azure: 120 }, noticeMarginSeconds: 0, restartHours: 0.5 };
    const cost = expectedCost(checkpointed(60, 30), spotWith('azure', rate), 1, c);
    expect(cost.inputs.interruption).toMatchObject({ checkpointOnNotice: true, restartHours: 0.5 });
  });
});

describe('migration: moving a checkpoint to another region', () => {
  const target = onDemand({ region: 'us-west-2', pricePerHour: 10 });

  it('costs only the restart within one region', () => {
    const m = migrationCost(spec(), 'aws:us-west-2', target, ctx, { checkpointBytes: 50 * 2 ** 30 });
    expect(m).toMatchObject({ egressUsd: 0, transferHours: 0, checkpointSizeKnown: true });
    expect(m.totalUsd).toBeCloseTo(10 * DEFAULT_RESTART_HOURS);
  });

  it('pays egress of the checkpoint and the new nodes while it copies, across regions', () => {
    const m = migrationCost(spec(), 'aws:us-east-1', target, ctx, { checkpointBytes: 50 * 2 ** 30 });
    expect(m.egressUsd).toBeCloseTo(1);
    expect(m.transferHours).toBeCloseTo(transferHours(50, 10));
    expect(m.totalUsd).toBeCloseTo(1 + 10 * (m.transferHours + DEFAULT_RESTART_HOURS));
  });

  it('assumes the checkpoint fills the GPUs’ memory when its size is unknown', () => {
    const m = migrationCost(spec(), 'gcp:us-central1', target, ctx);
    expect(m).toMatchObject({ checkpointSizeKnown: false, checkpointGiB: 8 * 40 });
    expect(m.egressUsd).toBeCloseTo(320 * 0.12);
  });
});

describe('time first, then money (what placement asks, so a deadline can refuse before pricing)', () => {
  it.each([
    ['on-demand, no data', spec(), onDemand({ pricePerHour: 10, gpu: a100 })],
    ['data elsewhere', withData('gcp:us-central1'), onDemand({ region: 'us-east-1' })],
    ['spot with a known rate', checkpointed(60, 30), spotWith('azure', 0.05)],
    ['spot at the prior', checkpointed(60, 30), offer()],
  ])('add up to expectedCost: %s', (_what, s, o) => {
    const whole = expectedCost(s, o, 2, ctx);
    const work = workOn(s, o, ctx);
    expect({ runtimeHours: work.runtimeHours, transferHours: work.transferHours }).toEqual({
      runtimeHours: whole.runtimeHours,
      transferHours: whole.transferHours,
    });
    const money = priceWork(work, o, 2, ctx);
    expect(money).toEqual({
      computeUsd: whole.computeUsd,
      egressUsd: whole.egressUsd,
      interruptionUsd: whole.interruptionUsd,
      totalUsd: whole.totalUsd,
      interruption: whole.inputs.interruption,
    });
  });
});

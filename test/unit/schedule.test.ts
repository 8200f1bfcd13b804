import { describe, expect, it } from 'vitest';
import type { JobState } from '../../src/core/model.js';
import { priceTimesHours } from '../../src/core/placement/pricing.js';
import { type Action, type Snapshot, schedule } from '../../src/core/schedule.js';
import { at, job, node, offer, spec, T0 } from '../helpers/builders.js';

function snap(over: Partial<Snapshot> = {}): Snapshot {
  return { pending: [], dependencyStates: new Map(), nodes: [], offers: [], ...over };
}
const policy = { idleNodeSeconds: 60, cost: priceTimesHours };
const kinds = (actions: Action[]) => actions.map((a) => a.kind);

describe('the first scheduler', () => {
  it('launches the cheapest offer that fits, priced for the whole estimate', () => {
    const cheap = offer({ instanceType: 'p4d.24xlarge', pricePerHour: 9 });
    const dear = offer({ instanceType: 'p4de.24xlarge', pricePerHour: 12 });
    const plan = schedule(snap({ pending: [job()], offers: [dear, cheap] }), T0, policy);
    expect(plan.actions).toEqual([
      {
        kind: 'launch',
        nodes: [{ launchId: 'launch-1', offer: cheap }],
        jobs: [
          {
            jobId: 'job-1',
            expectedCostUsd: 18,
            units: [
              {
                unit: 0,
                where: { kind: 'launch', launchId: 'launch-1' },
                slot: { kind: 'whole', gpuIndices: [0] },
              },
            ],
          },
        ],
      },
    ]);
  });

  it.each([
    ['a GPU model it does not accept', offer({ gpu: { model: 'T4', count: 8, memoryGiB: 16 } }), 'GPU_MODEL'],
    [
      'too little GPU memory',
      offer({ gpu: { model: 'A100', count: 8, memoryGiB: 40 } }),
      'GPU_MEMORY',
      { minMemoryGiB: 80 },
    ],
    ['too few GPUs', offer({ gpu: { model: 'A100', count: 1, memoryGiB: 40 } }), 'GPU_COUNT', { count: 2 }],
    ['an excluded cloud', offer({ cloud: 'azure' }), 'CLOUD_EXCLUDED'],
    ['an excluded region', offer({ region: 'ap-south-1' }), 'REGION_EXCLUDED'],
    ['the wrong market', offer({ market: 'on-demand' }), 'MARKET'],
    [
      'a blocked pool',
      offer({
        availability: { score: null, blockedUntil: at(60).toISOString(), interruptionsPerHour: null },
      }),
      'POOL_BLOCKED',
    ],
    ['a price above the cap', offer({ pricePerHour: 99 }), 'PRICE_CAP'],
  ])('does not place a job on %s, and says why', (_what, o, reason, gpu: object = {}) => {
    const s = spec({
      resources: { gpu: { models: ['A100'], count: 1, ...gpu } },
      market: 'spot',
      constraints: { clouds: ['aws', 'gcp'], regionsExclude: ['aws:ap-south-1'], maxPricePerHour: 50 },
    });
    const plan = schedule(snap({ pending: [job({ spec: s })], offers: [o] }), T0, policy);
    expect(plan.actions).toEqual([]);
    expect(plan.unplaced).toEqual([
      { jobId: 'job-1', reasons: { [reason]: 1 }, message: expect.stringContaining(reason) },
    ]);
  });

  it('says so when no offers are known at all', () => {
    const plan = schedule(snap({ pending: [job()] }), T0, policy);
    expect(plan.unplaced[0]?.reasons).toEqual({ NO_OFFERS: 1 });
  });

  it('launches one node per gang member, all from one offer (one zone)', () => {
    const s = spec({ resources: { gpu: { count: 8 }, nodes: 4 } });
    const plan = schedule(snap({ pending: [job({ spec: s })], offers: [offer()] }), T0, policy);
    expect(plan.actions).toHaveLength(1);
    const launch = plan.actions[0] as Extract<Action, { kind: 'launch' }>;
    expect(launch.nodes.map((n) => n.offer)).toEqual([offer(), offer(), offer(), offer()]);
    expect(launch.jobs).toEqual([expect.objectContaining({ jobId: 'job-1', expectedCostUsd: 80 })]);
    const where = launch.jobs[0]!.units.map((u) =>
      u.where.kind === 'launch' ? u.where.launchId : u.where.nodeId,
    );
    expect(new Set(where).size).toBe(4);
  });

  it('reuses an idle node when it is no dearer than a new one', () => {
    const idle = node({ id: 'node-idle', pricePerHour: 10 });
    const plan = schedule(
      snap({ pending: [job()], nodes: [idle], offers: [offer({ pricePerHour: 10 })] }),
      T0,
      policy,
    );
    expect(plan.actions).toEqual([
      {
        kind: 'assign',
        jobId: 'job-1',
        expectedCostUsd: 20,
        units: [
          { unit: 0, where: { kind: 'node', nodeId: 'node-idle' }, slot: { kind: 'whole', gpuIndices: [0] } },
        ],
      },
    ]);
  });

  it('gives a one-GPU idle node to one job only', () => {
    const a = job({ id: 'a' });
    const b = job({ id: 'b', submittedAt: at(1).toISOString() });
    const small = { gpu: { model: 'A100', count: 1, memoryGiB: 40 }, pricePerHour: 1 };
    const plan = schedule(
      snap({ pending: [a, b], nodes: [node(small)], offers: [offer({ ...small, pricePerHour: 1.1 })] }),
      T0,
      policy,
    );
    expect(kinds(plan.actions)).toEqual(['assign', 'launch']);
  });

  it('places higher priority first, then the earlier submission', () => {
    const low = job({ id: 'low', priority: 10 });
    const high = job({ id: 'high', priority: 90, submittedAt: at(5).toISOString() });
    const small = { gpu: { model: 'A100', count: 1, memoryGiB: 40 }, pricePerHour: 1 };
    const plan = schedule(
      snap({ pending: [low, high], nodes: [node(small)], offers: [offer({ ...small, pricePerHour: 1.1 })] }),
      T0,
      policy,
    );
    expect(plan.actions[0]).toMatchObject({ kind: 'assign', jobId: 'high' });
  });

  it('releases a node idle for longer than the idle time, and keeps a younger one', () => {
    const old = node({ id: 'old', lastBusyAt: at(-120).toISOString() });
    const young = node({ id: 'young', lastBusyAt: at(-10).toISOString() });
    const busy = node({ id: 'busy', lastBusyAt: at(-999).toISOString(), jobIds: ['x'] });
    const plan = schedule(snap({ nodes: [old, young, busy] }), T0, policy);
    expect(plan.actions).toEqual([{ kind: 'terminate', nodeId: 'old', reason: 'idle for 120 s' }]);
  });

  it.each([
    [
      "holds a queued job a budget refuses, with the budget's reason",
      job(),
      'hold',
      'budget: research-monthly spent',
    ],
    [
      'keeps a held job held, its reason following the budget',
      job({ state: 'held', reason: 'budget: old' }),
      null,
      'budget: research-monthly spent',
    ],
  ])('%s', (_what, j, action, reason) => {
    const budget = new Map([[j.id, { kind: 'hold' as const, reason: 'budget: research-monthly spent' }]]);
    const plan = schedule(snap({ pending: [j], offers: [offer()], budget }), T0, policy);
    expect(plan.actions).toEqual(action ? [{ kind: action, jobId: j.id, reason }] : []);
    if (!action) expect(plan.unplaced).toEqual([{ jobId: j.id, reasons: { BUDGET: 1 }, message: reason }]);
  });

  it('releases a job held by a budget once the budget allows it, and places it', () => {
    const j = job({ state: 'held', reason: 'budget: research-monthly spent' });
    const plan = schedule(snap({ pending: [j], offers: [offer()] }), T0, policy);
    expect(kinds(plan.actions)).toEqual(['release', 'launch']);
    expect(plan.actions[0]).toMatchObject({ reason: 'budget allows it again' });
  });

  it('places a spot-only job on spot, though on-demand is cheaper', () => {
    const od = offer({ market: 'on-demand', pricePerHour: 5, instanceType: 'od' });
    const spot = offer({ market: 'spot', pricePerHour: 9, instanceType: 'spot' });
    const budget = new Map([['job-1', { kind: 'spot-only' as const, reason: 'budget: spot only' }]]);
    const plan = schedule(snap({ pending: [job()], offers: [od, spot], budget }), T0, policy);
    expect(plan.actions[0]).toMatchObject({ kind: 'launch', nodes: [{ offer: { instanceType: 'spot' } }] });
  });

  it('releases a drained node as soon as its last job has left, and keeps one still draining', () => {
    const drained = node({ id: 'drained', state: 'draining', lastBusyAt: T0.toISOString() });
    const draining = node({ id: 'draining', state: 'draining', jobIds: ['x'] });
    const plan = schedule(snap({ nodes: [drained, draining] }), T0, policy);
    expect(plan.actions).toEqual([{ kind: 'terminate', nodeId: 'drained', reason: 'drained' }]);
  });

  describe('dependencies', () => {
    const train = { name: 'train', state: 'running' as JobState };
    const evaluate = job({ id: 'eval', dependsOn: ['train-id'] });

    it.each<[JobState, JobState, string]>([
      ['running', 'queued', 'hold'],
      ['queued', 'queued', 'hold'],
      ['succeeded', 'queued', 'launch'],
      ['succeeded', 'held', 'release'],
      ['failed', 'queued', 'fail'],
      ['cancelled', 'held', 'fail'],
    ])('with its dependency %s, a %s job gets %s', (depState, state, kind) => {
      const deps = new Map([['train-id', { ...train, state: depState }]]);
      const plan = schedule(
        snap({ pending: [{ ...evaluate, state }], dependencyStates: deps, offers: [offer()] }),
        T0,
        policy,
      );
      expect(plan.actions[0]?.kind).toBe(kind);
    });

    it('names the dependency that failed', () => {
      const deps = new Map([['train-id', { name: 'train', state: 'failed' as JobState }]]);
      const plan = schedule(snap({ pending: [evaluate], dependencyStates: deps }), T0, policy);
      expect(plan.actions[0]).toEqual({
        kind: 'fail',
        jobId: 'eval',
        reason: 'dependency train (train-id) failed',
      });
    });

    it('does not hold a job that is held already (no event per tick)', () => {
      const deps = new Map([['train-id', train]]);
      const plan = schedule(
        snap({ pending: [{ ...evaluate, state: 'held' }], dependencyStates: deps }),
        T0,
        policy,
      );
      expect(plan.actions).toEqual([]);
    });
  });
});

describe('the offer index', () => {
  it('keeps a pinned memory variant: A100-80GB finds the 80 GB offers among 40 GB ones', () => {
    const s40 = offer({
      instanceType: 'a40',
      gpu: { model: 'A100', count: 8, memoryGiB: 40 },
      pricePerHour: 5,
    });
    const s80 = offer({
      instanceType: 'a80',
      gpu: { model: 'A100', count: 8, memoryGiB: 80 },
      pricePerHour: 9,
    });
    const j = job({ spec: spec({ resources: { gpu: { models: ['A100-80GB'], count: 1 } } }) });
    const plan = schedule(
      { pending: [j], dependencyStates: new Map(), nodes: [], offers: [s40, s80] },
      T0,
      policy,
    );
    expect(plan.actions[0]).toMatchObject({ kind: 'launch', nodes: [{ offer: { instanceType: 'a80' } }] });
  });

  it('counts the offers of other models as GPU_MODEL refusals, as a full scan would', () => {
    const t4 = offer({ gpu: { model: 'T4', count: 1, memoryGiB: 16 } });
    const j = job({ spec: spec({ resources: { gpu: { models: ['H100'], count: 1 } } }) });
    const plan = schedule(
      { pending: [j], dependencyStates: new Map(), nodes: [], offers: [t4, t4, offer()] },
      T0,
      policy,
    );
    expect(plan.unplaced[0]?.reasons).toEqual({ GPU_MODEL: 3 });
  });
});

// The scheduler packs: jobs share new nodes and free slots of running ones when that is cheaper, fractional
// work gets MIG slices or MPS shares, and everything that depends on one launch is one action.
import { describe, expect, it } from 'vitest';
import { priceTimesHours } from '../../src/core/placement/pricing.js';
import { heldInventory } from '../../src/core/placement/slices.js';
import { type Action, type Snapshot, schedule } from '../../src/core/schedule.js';
import { job, node, offer, spec, T0 } from '../helpers/builders.js';

const policy = { idleNodeSeconds: 60, cost: priceTimesHours };
const snap = (over: Partial<Snapshot>): Snapshot => ({
  pending: [],
  dependencyStates: new Map(),
  nodes: [],
  offers: [],
  ...over,
});
type Launch = Extract<Action, { kind: 'launch' }>;
type Assign = Extract<Action, { kind: 'assign' }>;
const launches = (a: Action[]) => a.filter((x): x is Launch => x.kind === 'launch');
const assigns = (a: Action[]) => a.filter((x): x is Assign => x.kind === 'assign');

const eight = offer({ instanceType: 'p4d.24xlarge', pricePerHour: 10 });
const four = offer({
  instanceType: 'half',
  gpu: { model: 'A100', count: 4, memoryGiB: 40 },
  pricePerHour: 6,
});
const gpus = (n: number) => spec({ resources: { gpu: { models: ['A100'], count: n } } });

describe('packing in the scheduler', () => {
  it('puts two 4-GPU jobs on one 8-GPU node when that beats two 4-GPU nodes, as one launch action', () => {
    const a = job({ id: 'a', spec: gpus(4) });
    const b = job({ id: 'b', spec: gpus(4) });
    const plan = schedule(snap({ pending: [a, b], offers: [eight, four] }), T0, policy);
    const [l, ...rest] = launches(plan.actions);
    expect(rest).toEqual([]);
    expect(l!.nodes.map((n) => n.offer.instanceType)).toEqual(['p4d.24xlarge']);
    expect(l!.jobs.map((j) => j.jobId).sort()).toEqual(['a', 'b']);
    const held = l!.jobs.flatMap((j) =>
      j.units.flatMap((u) => (u.slot.kind === 'whole' ? u.slot.gpuIndices : [])),
    );
    expect(held.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The node's cost (10 $/h × 2 h) is shared by GPU: 10 $ each.
    expect(l!.jobs.map((j) => j.expectedCostUsd)).toEqual([10, 10]);
  });

  it('fills free GPUs of a running node at its GPU share of the price', () => {
    const busy = node({
      id: 'busy',
      jobIds: ['other'],
      inventory: heldInventory(
        { model: 'A100', count: 8, memoryGiB: 40 },
        ['other'],
        [{ jobId: 'other', team: 't', slot: { kind: 'whole', gpuIndices: [0, 1, 2, 3] } }],
      ),
    });
    const plan = schedule(
      snap({ pending: [job({ spec: gpus(2) })], nodes: [busy], offers: [four] }),
      T0,
      policy,
    );
    expect(assigns(plan.actions)).toEqual([
      {
        kind: 'assign',
        jobId: 'job-1',
        expectedCostUsd: 5, // 2 of 8 GPUs of a 10 $/h node for 2 h
        units: [
          { unit: 0, where: { kind: 'node', nodeId: 'busy' }, slot: { kind: 'whole', gpuIndices: [4, 5] } },
        ],
      },
    ]);
  });

  it('does not keep a large idle node alive for one small job when a small node is cheaper', () => {
    const idle = node({ id: 'idle-8' });
    const one = offer({
      instanceType: 'one',
      gpu: { model: 'A100', count: 1, memoryGiB: 40 },
      pricePerHour: 2,
    });
    const plan = schedule(snap({ pending: [job()], nodes: [idle], offers: [one] }), T0, policy);
    expect(launches(plan.actions)[0]?.nodes[0]?.offer.instanceType).toBe('one');
    expect(assigns(plan.actions)).toEqual([]);
  });

  it('gives fractional inference replicas MIG slices, spread over zones', () => {
    const zoneB = { ...eight, zone: 'us-east-1b' };
    const s = spec({
      kind: 'inference',
      replicas: 2,
      resources: { gpu: { models: ['A100'], fraction: 0.25, memoryGiB: 8 } },
      runtime: undefined,
    });
    const plan = schedule(snap({ pending: [job({ spec: s })], offers: [eight, zoneB] }), T0, policy);
    const [l] = launches(plan.actions);
    expect(new Set(l!.nodes.map((n) => n.offer.zone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    for (const u of l!.jobs[0]!.units) expect(u.slot).toMatchObject({ kind: 'mig', profile: '2g.10gb' });
  });

  it('gives fractional work on GPUs without MIG an MPS share, one team per GPU', () => {
    const t4 = offer({
      instanceType: 'g4dn',
      gpu: { model: 'T4', count: 1, memoryGiB: 16 },
      pricePerHour: 0.5,
    });
    const frac = (id: string, team: string) =>
      job({ id, team, spec: spec({ resources: { gpu: { models: ['T4'], fraction: 0.5, memoryGiB: 4 } } }) });
    const plan = schedule(
      snap({ pending: [frac('a', 'x'), frac('b', 'x'), frac('c', 'y')], offers: [t4] }),
      T0,
      policy,
    );
    const nodesOf = new Map<string, string>();
    for (const l of launches(plan.actions))
      for (const j of l.jobs) {
        const w = j.units[0]!.where;
        nodesOf.set(j.jobId, w.kind === 'launch' ? w.launchId : w.nodeId);
        expect(j.units[0]!.slot).toMatchObject({ kind: 'shared', fraction: 0.5 });
      }
    expect(nodesOf.get('a')).toBe(nodesOf.get('b'));
    expect(nodesOf.get('c')).not.toBe(nodesOf.get('a'));
  });
});

// Moving running work: consolidation empties a node when its jobs cost less elsewhere even after paying to
// move, and Uniform Progress moves a running deadline job between spot and on-demand.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/core/model.js';
import {
  type ConsolidationPolicy,
  consolidate,
  deadlineMoves,
} from '../../src/core/placement/consolidate.js';
import { priceTimesHours } from '../../src/core/placement/pricing.js';
import { heldInventory } from '../../src/core/placement/slices.js';
import { at, job, node, offer, spec, T0 } from '../helpers/builders.js';

const policy: ConsolidationPolicy = {
  cost: priceTimesHours,
  moveCost: (_job, _from, to) => to.pricePerHour * 0.1, // six minutes of the new node
  minSavingUsd: 1,
  minSavingFraction: 0.15,
  minRunMinutes: 30,
  maxCandidates: 10,
};
const one = { model: 'A100', count: 1, memoryGiB: 40 };
const withCheckpoint = spec({ runtime: { estimateHours: 10 }, checkpoint: { dir: '/ckpt' } });

function runningOn(nodeId: string, over: Partial<Job> = {}): Job {
  return job({
    id: `j-${nodeId}`,
    spec: withCheckpoint,
    state: 'running',
    nodeIds: [nodeId],
    startedAt: at(-3600).toISOString(),
    ...over,
  });
}
const dear = node({ id: 'dear', gpu: one, pricePerHour: 4, jobIds: ['j-dear'], market: 'on-demand' });
const cheapOffer = offer({ gpu: one, pricePerHour: 1, instanceType: 'cheap' });

describe('consolidation', () => {
  it('moves a job off a dear node to a much cheaper offer, and drains the node', () => {
    const r = { job: runningOn('dear'), progress: 0.5, runHours: 1 };
    const moves = consolidate({ running: [r], nodes: [dear], offers: [cheapOffer] }, T0, policy);
    expect(moves).toEqual([
      {
        jobId: 'j-dear',
        nodeId: 'dear',
        drainNode: true,
        reason: expect.stringMatching(/^consolidation: off dear .* saves \$14\.90/),
      },
    ]);
  });

  it.each([
    ['the saving is below the margin', { offers: [offer({ gpu: one, pricePerHour: 3.6 })] }, {}],
    ['the job cannot checkpoint', {}, { spec: spec({ runtime: { estimateHours: 10 } }) }],
    ['the job started too recently', {}, {}, 0.2],
    ['the job has nowhere else to go', { offers: [] }, {}],
  ])('keeps the job where it is when %s', (_why, input: object, over: Partial<Job>, runHours = 1) => {
    const r = { job: runningOn('dear', over), progress: 0.5, runHours };
    const moves = consolidate({ running: [r], nodes: [dear], offers: [cheapOffer], ...input }, T0, policy);
    expect(moves).toEqual([]);
  });

  it('fits the jobs of a half-empty node into free GPUs of another node that runs anyway', () => {
    const gpus8 = { model: 'A100', count: 8, memoryGiB: 40 };
    const busy = node({
      id: 'busy',
      gpu: gpus8,
      jobIds: ['j-busy'],
      inventory: heldInventory(
        gpus8,
        ['j-busy'],
        [{ jobId: 'j-busy', team: 't', slot: { kind: 'whole', gpuIndices: [0, 1, 2, 3] } }],
      ),
    });
    const lonely = node({ id: 'lonely', gpu: one, pricePerHour: 3, jobIds: ['j-lonely'] });
    const running = [
      { job: runningOn('busy'), progress: 0.1, runHours: 1 },
      { job: runningOn('lonely'), progress: 0.1, runHours: 1 },
    ];
    const moves = consolidate({ running, nodes: [busy, lonely], offers: [] }, T0, policy);
    expect(moves.map((m) => [m.jobId, m.nodeId])).toEqual([['j-lonely', 'lonely']]);
  });
});

describe('deadline moves of running jobs (Uniform Progress)', () => {
  const deadlineJob = (progress: number, over: Partial<Job> = {}) => ({
    job: runningOn('n', {
      spec: spec({
        runtime: { estimateHours: 10 },
        checkpoint: { dir: '/c' },
        deadline: at(20 * 3600).toISOString(),
        market: 'auto',
      }),
      submittedAt: at(-10 * 3600).toISOString(),
      ...over,
    }),
    progress,
    runHours: 1,
  });
  const spotNode = node({ id: 'n', gpu: one, market: 'spot', jobIds: ['j-n'] });
  const odNode = node({ id: 'n', gpu: one, market: 'on-demand', jobIds: ['j-n'] });

  it.each([
    ['a spot job behind its line stays: running, it catches up', spotNode, 0.2, null],
    ['a spot job ahead of its line stays', spotNode, 0.5, null],
    ['an on-demand job far ahead goes back to spot', odNode, 0.6, 'spot'],
    ['an on-demand job just ahead stays (hysteresis)', odNode, 0.34, null],
  ])('%s', (_what, n, progress, to) => {
    // 10 of 30 hours gone: the line is at a third of the work.
    const moves = deadlineMoves(
      { running: [deadlineJob(progress)], nodes: [n] },
      T0,
      priceTimesHours,
      5 / 60,
    );
    expect(moves.length).toBe(to ? 1 : 0);
    if (to) expect(moves[0]!.reason).toMatch(/back to spot/);
  });

  it('fires the safety net when the time left only just covers the work left', () => {
    const tight = deadlineJob(0.1, {
      spec: spec({
        runtime: { estimateHours: 10 },
        checkpoint: { dir: '/c' },
        deadline: at(9.1 * 3600).toISOString(),
        market: 'auto',
      }),
    });
    const moves = deadlineMoves({ running: [tight], nodes: [spotNode] }, T0, priceTimesHours, 5 / 60);
    expect(moves).toEqual([expect.objectContaining({ jobId: 'j-n', safetyNet: true })]);
  });

  it('leaves a job without checkpoints where it is: moving would lose its work', () => {
    const r = deadlineJob(0.1, {
      spec: spec({ runtime: { estimateHours: 10 }, deadline: at(20 * 3600).toISOString() }),
    });
    expect(deadlineMoves({ running: [r], nodes: [spotNode] }, T0, priceTimesHours, 5 / 60)).toEqual([]);
  });
});

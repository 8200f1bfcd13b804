import { describe, expect, it } from 'vitest';
import { fairQueue } from '../../src/core/placement/fair-share.js';
import { priceTimesHours } from '../../src/core/placement/pricing.js';
import { schedule } from '../../src/core/schedule.js';
import { at, job, node, offer, T0 } from '../helpers/builders.js';

const j = (id: string, team: string, secondsAfter = 0, priority = 50) =>
  job({ id, team, priority, submittedAt: at(secondsAfter).toISOString() });

function drain(q: ReturnType<typeof fairQueue>, cost = 0): string[] {
  const out: string[] = [];
  for (const next of q.order) {
    out.push(next.id);
    if (cost) q.charge(next, cost);
  }
  return out;
}

describe('weighted fair share', () => {
  it('without usage or weights, serves teams in turn, first come first served within a team', () => {
    const q = fairQueue([j('a1', 'a', 0), j('a2', 'a', 1), j('b1', 'b', 2)], undefined);
    expect(drain(q, 1)).toEqual(['a1', 'b1', 'a2']);
  });

  it('serves first the team that spent least recently, even if it submitted later', () => {
    const usage = new Map([
      ['heavy', 500],
      ['light', 10],
    ]);
    const q = fairQueue([j('h1', 'heavy', 0), j('l1', 'light', 60)], { usage, weights: {} });
    expect(drain(q)).toEqual(['l1', 'h1']);
  });

  it('weighs spend by share: a team of weight 4 may spend 4 times as much before it waits', () => {
    const usage = new Map([
      ['big', 300],
      ['small', 100],
    ]);
    const q = fairQueue([j('s1', 'small', 0), j('b1', 'big', 1)], { usage, weights: { big: 4 } });
    expect(drain(q)).toEqual(['b1', 's1']);
  });

  it('never lets fairness overtake priority', () => {
    const usage = new Map([['heavy', 1e6]]);
    const q = fairQueue([j('l1', 'light', 0, 10), j('h1', 'heavy', 1, 90)], { usage, weights: {} });
    expect(drain(q)).toEqual(['h1', 'l1']);
  });

  it('gives the one idle node to the team below its share', () => {
    const plan = schedule(
      {
        pending: [j('heavy-job', 'heavy', 0), j('light-job', 'light', 60)],
        dependencyStates: new Map(),
        // One GPU: room for one of the two jobs.
        nodes: [node({ id: 'idle', gpu: { model: 'A100', count: 1, memoryGiB: 40 }, pricePerHour: 1 })],
        offers: [offer({ gpu: { model: 'A100', count: 1, memoryGiB: 40 }, pricePerHour: 1.1 })],
        fairShare: { usage: new Map([['heavy', 900]]), weights: {} },
      },
      T0,
      { idleNodeSeconds: 60, cost: priceTimesHours },
    );
    expect(plan.actions).toContainEqual(
      expect.objectContaining({
        kind: 'assign',
        jobId: 'light-job',
        units: [expect.objectContaining({ where: { kind: 'node', nodeId: 'idle' } })],
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  canTransitionJob,
  canTransitionNode,
  IllegalTransition,
  isTerminalJobState,
  jobTransition,
} from '../../src/core/lifecycle.js';
import type { JobState, NodeState } from '../../src/core/model.js';
import { T0 } from '../helpers/builders.js';

describe('the job lifecycle', () => {
  it.each<[JobState, JobState]>([
    ['queued', 'scheduled'],
    ['queued', 'held'],
    ['held', 'queued'],
    ['scheduled', 'provisioning'],
    ['scheduled', 'queued'],
    ['provisioning', 'running'],
    ['running', 'succeeded'],
    ['running', 'failed'],
    ['running', 'queued'],
    ['running', 'checkpointing'],
    ['checkpointing', 'migrating'],
    ['migrating', 'provisioning'],
    ['checkpointing', 'suspended'],
    ['suspended', 'queued'],
    ['running', 'cancelled'],
  ])('allows %s → %s', (from, to) => {
    expect(canTransitionJob(from, to)).toBe(true);
  });

  it.each<[JobState, JobState]>([
    ['queued', 'running'],
    ['queued', 'succeeded'],
    ['held', 'scheduled'],
    ['succeeded', 'queued'],
    ['failed', 'running'],
    ['cancelled', 'queued'],
    ['suspended', 'running'],
    ['provisioning', 'succeeded'],
  ])('refuses %s → %s', (from, to) => {
    expect(canTransitionJob(from, to)).toBe(false);
    expect(() => jobTransition({ id: 'j', state: from }, to, 'x', T0)).toThrow(IllegalTransition);
  });

  it('records every allowed move as an event with its time and reason', () => {
    expect(jobTransition({ id: 'j', state: 'queued' }, 'scheduled', 'placed', T0)).toEqual({
      jobId: 'j',
      at: T0.toISOString(),
      from: 'queued',
      to: 'scheduled',
      reason: 'placed',
    });
  });

  it.each<[JobState, boolean]>([
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['running', false],
    ['suspended', false],
  ])('treats %s as terminal: %s', (state, terminal) => {
    expect(isTerminalJobState(state)).toBe(terminal);
  });
});

describe('the node lifecycle', () => {
  it.each<[NodeState, NodeState, boolean]>([
    ['provisioning', 'ready', true],
    ['ready', 'draining', true],
    ['draining', 'terminating', true],
    ['terminating', 'terminated', true],
    ['ready', 'lost', true],
    ['lost', 'terminated', true],
    ['terminated', 'ready', false],
    ['terminating', 'ready', false],
    ['provisioning', 'draining', false],
  ])('%s → %s allowed: %s', (from, to, ok) => {
    expect(canTransitionNode(from, to)).toBe(ok);
  });
});

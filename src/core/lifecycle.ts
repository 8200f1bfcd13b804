// Job and node state machines. Every change of state goes through `jobTransition`/`nodeTransition`,
// which refuse what the machine does not allow, so a bug elsewhere becomes an error, not a corrupt queue.
import { JOB_STATES, type JobEvent, type JobState, type NodeState } from './model.js';

const JOB_EDGES: Record<JobState, readonly JobState[]> = {
  queued: ['held', 'scheduled', 'cancelled', 'failed'],
  held: ['queued', 'cancelled', 'failed'],
  // scheduled → queued: the launch was rolled back (capacity error, crash before the cloud answered).
  scheduled: ['provisioning', 'queued', 'cancelled', 'failed'],
  provisioning: ['running', 'queued', 'migrating', 'cancelled', 'failed'],
  // running → queued: the node was lost or interrupted and there is nothing to migrate yet.
  running: ['succeeded', 'failed', 'cancelled', 'checkpointing', 'migrating', 'queued'],
  checkpointing: ['running', 'migrating', 'suspended', 'queued', 'cancelled', 'failed'],
  migrating: ['provisioning', 'scheduled', 'queued', 'cancelled', 'failed'],
  suspended: ['queued', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

const NODE_EDGES: Record<NodeState, readonly NodeState[]> = {
  provisioning: ['ready', 'terminating', 'terminated', 'lost'],
  ready: ['draining', 'terminating', 'terminated', 'lost'],
  draining: ['ready', 'terminating', 'terminated', 'lost'],
  terminating: ['terminated', 'lost'],
  terminated: [],
  // A lost node may still exist at the cloud: it is terminated for sure when we find it again.
  lost: ['terminating', 'terminated'],
};

export class IllegalTransition extends Error {
  constructor(
    readonly entity: 'job' | 'node',
    readonly from: string,
    readonly to: string,
  ) {
    super(`illegal ${entity} transition ${from} → ${to}`);
    this.name = 'IllegalTransition';
  }
}

export function canTransitionJob(from: JobState, to: JobState): boolean {
  return JOB_EDGES[from].includes(to);
}

export function canTransitionNode(from: NodeState, to: NodeState): boolean {
  return NODE_EDGES[from].includes(to);
}

export function isTerminalJobState(s: JobState): boolean {
  return JOB_EDGES[s].length === 0;
}

/** The event that records a job's move, or an IllegalTransition. */
export function jobTransition(
  job: { id: string; state: JobState },
  to: JobState,
  reason: string,
  now: Date,
): JobEvent {
  if (!canTransitionJob(job.state, to)) throw new IllegalTransition('job', job.state, to);
  return { jobId: job.id, at: now.toISOString(), from: job.state, to, reason };
}

export function nodeTransition(node: { state: NodeState }, to: NodeState): NodeState {
  if (!canTransitionNode(node.state, to)) throw new IllegalTransition('node', node.state, to);
  return to;
}

/** States in which a job holds capacity (its nodes must not be released under it). */
export const JOB_STATES_ON_NODES: readonly JobState[] = [
  'scheduled',
  'provisioning',
  'running',
  'checkpointing',
  'migrating',
];

/** States of a job not finished yet: it may still run, and spend. */
export const OPEN_JOB_STATES: readonly JobState[] = JOB_STATES.filter((s) => !isTerminalJobState(s));

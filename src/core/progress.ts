// How far a job has got: the share of its work (0..1) saved by its last checkpoint, plus what its current run
// has done since then at its node's speed. Pure; the caller measures hours in the job's own time (the
// simulated cloud's time runs faster than the wall clock).
import { instantMs } from './instants.js';
import type { Job } from './model.js';

/**
 * Progress at an instant of the current run. `runtimeHours` is the whole job's runtime on the node's GPU;
 * `hoursSinceSave` is the run's time since its start or its last checkpoint, whichever is later.
 */
export function progressAt(job: Pick<Job, 'progress'>, runtimeHours: number, hoursSinceSave: number): number {
  if (!(runtimeHours > 0)) return 1;
  return Math.min(1, Math.max(0, job.progress) + Math.max(0, hoursSinceSave) / runtimeHours);
}

/** When the current run last saved its work: its start, or a checkpoint taken during it. */
export function lastSaveAt(job: Pick<Job, 'startedAt' | 'checkpoint'>): Date | null {
  if (!job.startedAt) return null;
  const start = instantMs(job.startedAt);
  const cp = job.checkpoint ? instantMs(job.checkpoint.at) : Number.NEGATIVE_INFINITY;
  return new Date(Math.max(start, cp));
}

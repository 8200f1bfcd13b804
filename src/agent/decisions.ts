// What the agent does with a heartbeat's answer: which jobs to start and stop (reconcile), and what each command
// asks of it. Pure: the agent's loop (agent.ts) carries the decisions out.
//
// The protocol says assignments and commands repeat in every answer while they stand, so each decision must be
// idempotent: a job already running is not started again, a checkpoint order already acted on is not signalled
// again, a stop in progress is not restarted.
import type { Assignment, Command } from '../api/schemas/agent.js';
import { assignmentKey } from './assignment.js';

export type JobState = 'starting' | 'running' | 'exited';

/** What reconcile needs to know of a job this agent has (or had) running. */
export interface JobView {
  readonly jobId: string;
  /** assignmentKey of the run it is. */
  readonly key: string;
  readonly state: JobState;
  /** A stop has been asked (a command, or the job left the node). */
  readonly stopping: boolean;
  /** Exited, and a heartbeat the daemon answered has carried that. */
  readonly exitReported: boolean;
}

export interface ReconcilePlan {
  /** Assigned and not known here: start. */
  readonly start: Assignment[];
  /** Exited here and assigned again as another run (another unit or resume point): forget the old one, start. */
  readonly restart: Assignment[];
  /** Running (or starting) here and no longer assigned: stop. */
  readonly stop: string[];
  /** Exited, reported, and no longer assigned: nothing left to say about it. */
  readonly forget: string[];
  /**
   * Further units of a job already assigned here. The protocol reports one state per job id, and the docker
   * runtime names a container after the job, so one node runs one unit of a job: the lowest.
   */
  readonly duplicates: Assignment[];
}

export function planReconcile(
  assignments: readonly Assignment[],
  jobs: ReadonlyMap<string, JobView>,
): ReconcilePlan {
  const byJob = new Map<string, Assignment>();
  const duplicates: Assignment[] = [];
  for (const a of [...assignments].sort((x, y) => x.unit - y.unit)) {
    if (byJob.has(a.jobId)) duplicates.push(a);
    else byJob.set(a.jobId, a);
  }
  const start: Assignment[] = [];
  const restart: Assignment[] = [];
  for (const a of byJob.values()) {
    const job = jobs.get(a.jobId);
    if (!job) start.push(a);
    // An exited run stays exited while the same run is assigned: the daemon has not taken the exit in yet.
    else if (job.state === 'exited' && job.key !== assignmentKey(a)) restart.push(a);
  }
  const stop: string[] = [];
  const forget: string[] = [];
  for (const job of jobs.values()) {
    if (byJob.has(job.jobId)) continue;
    if (job.state !== 'exited') {
      if (!job.stopping) stop.push(job.jobId);
    } else if (job.exitReported) forget.push(job.jobId);
  }
  return { start, restart, stop, forget, duplicates };
}

/** What a command needs to know of its job. */
export interface CommandJobView {
  readonly state: JobState;
  readonly stopping: boolean;
  /** The job has a checkpoint directory of its own (it can be asked to checkpoint). */
  readonly checkpoints: boolean;
  /** A checkpoint signal has been delivered and its manifest is still awaited. */
  readonly checkpointInFlight: boolean;
  /** The job wrote its checkpoint for the reclaim notice in force, and it was reported. */
  readonly noticeCheckpointDone: boolean;
}

export type CommandAction =
  | { readonly do: 'stop'; readonly graceMs: number }
  /** Deliver the signal, wait for the manifest until `deadline` (ms), report it. */
  | { readonly do: 'checkpoint'; readonly deadline: number }
  /** A checkpoint is being taken: its report answers this order too. */
  | { readonly do: 'join' }
  /** The notice's checkpoint answers the order: report it again (the daemon may not have taken it in). */
  | { readonly do: 'report-again' }
  | { readonly do: 'ignore'; readonly why: string };

/**
 * The key a standing order is remembered under. Not the deadline: the daemon computes it afresh for every
 * answer (never earlier than now), so it moves while the order stands.
 */
export function commandKey(c: Command): string {
  return `${c.kind}|${c.jobId}|${c.reason}`;
}

/** Keys of the orders an answer carries: orders handled earlier and absent now are forgotten. */
export function standingKeys(commands: readonly Command[]): Set<string> {
  return new Set(commands.map(commandKey));
}

export function decideCommand(
  c: Command,
  job: CommandJobView | undefined,
  handled: ReadonlySet<string>,
): CommandAction {
  if (!job) return { do: 'ignore', why: 'the job does not run on this node' };
  if (job.state === 'exited') return { do: 'ignore', why: 'the job has exited' };
  if (c.kind === 'stop') {
    if (job.stopping) return { do: 'ignore', why: 'the job is already stopping' };
    return { do: 'stop', graceMs: Math.max(0, c.graceSeconds * 1000) };
  }
  if (job.stopping) return { do: 'ignore', why: 'the job is stopping (SIGTERM asks it to checkpoint)' };
  if (job.state !== 'running') return { do: 'ignore', why: 'the job has not started yet' };
  if (!job.checkpoints) return { do: 'ignore', why: 'the job has no checkpoint directory' };
  if (handled.has(commandKey(c))) return { do: 'ignore', why: 'this order was already acted on' };
  if (job.checkpointInFlight) return { do: 'join' };
  if (job.noticeCheckpointDone) return { do: 'report-again' };
  const deadline = Date.parse(c.deadline);
  return { do: 'checkpoint', deadline: Number.isNaN(deadline) ? 0 : deadline };
}

// Moving running work, decided on a snapshot. Two reasons to move a job that can checkpoint:
//  - consolidation (Karpenter's, priced): a node whose jobs would cost less elsewhere — in free slots of other
//    nodes or on a cheaper new node — even after paying to move them (checkpoint transfer and restart), by a
//    margin, is emptied: its jobs checkpoint and are placed again, and the node is released;
//  - deadlines (Uniform Progress, core/deadline.ts): a running `market: auto` job with a deadline that falls
//    behind its line leaves spot for on-demand, and one far enough ahead leaves on-demand for spot.
// Pure: the caller gives progress, prices and nodes; the answer is a list of moves with their reasons.
import { decideMarket } from '../deadline.js';
import { instantDate } from '../instants.js';
import { nodesNeeded } from '../jobspec.js';
import type { Job, NodeRecord, Offer } from '../model.js';
import { type Action, type Snapshot, type SnapshotNode, schedule } from '../schedule.js';
import type { CostFn, Priced } from './cost-fn.js';

export interface RunningJob {
  /** A running job (its nodeIds say where). */
  job: Job;
  /** Its progress now (0..1), as if it checkpointed this instant. */
  progress: number;
  /** How long its current run has lasted, in job time (hours). */
  runHours: number;
}

export interface Move {
  jobId: string;
  nodeId: string;
  reason: string;
  /** Consolidation empties the node: it takes no new work and is released once its jobs are gone. */
  drainNode: boolean;
  /** The deadline's safety net fired: the job stays on on-demand until done. */
  safetyNet?: true;
}

export interface ConsolidationPolicy {
  cost: CostFn;
  /** Extra cost of moving a job from its node to a capacity: the checkpoint's transfer, the restart. */
  moveCost: (job: Job, from: NodeRecord, to: Priced) => number;
  /** A move must save at least this much (USD) ... */
  minSavingUsd: number;
  /** ... and this share of what staying costs. */
  minSavingFraction: number;
  /** A job placed less than this long ago stays: its placement gets time to pay off, and nothing thrashes. */
  minRunMinutes: number;
  /** Nodes examined per call, most expensive first (each costs one packing of its jobs). */
  maxCandidates: number;
  /**
   * A floor under a job's part of what any placement costs on a capacity: its GPUs' share of the capacity's
   * price over the hours it has left there (the packer charges a unit its node's cost shared by GPUs, and a
   * node costs at least its dearest unit alone). A candidate that could not save enough even if each of its
   * jobs ran at its lowest floor is not packed: the answer is the same, for a fraction of the work. Absent:
   * every candidate is packed.
   */
  floor?: (job: Job) => (cap: Priced) => number;
  /** The cost function's floor for a job alone on an offer, for the packing of a candidate's jobs (SchedulePolicy). */
  costFloor?: (job: Job) => (offer: Offer) => number;
}

/** Whether a running job may be moved at all: batch work that checkpoints, on one node, running long enough. */
export function movable(r: RunningJob, minRunMinutes: number): boolean {
  const { job } = r;
  if (job.state !== 'running' || !job.spec.checkpoint) return false;
  if ((job.spec.kind ?? 'batch') !== 'batch' || nodesNeeded(job.spec) !== 1) return false;
  return r.runHours * 60 >= minRunMinutes && r.progress < 1;
}

/** At most one node per call: the one whose emptying saves most. Its jobs move; the others stay. */
export function consolidate(
  input: { running: readonly RunningJob[]; nodes: readonly SnapshotNode[]; offers: readonly Offer[] },
  now: Date,
  policy: ConsolidationPolicy,
): Move[] {
  const byNode = new Map<string, RunningJob[]>();
  for (const r of input.running) {
    const id = r.job.nodeIds[0];
    if (id) byNode.set(id, [...(byNode.get(id) ?? []), r]);
  }
  const candidates = input.nodes
    .filter((n) => n.state === 'ready' && n.jobIds.length > 0)
    .filter((n) => {
      const jobs = byNode.get(n.id) ?? [];
      return jobs.length === n.jobIds.length && jobs.every((r) => movable(r, policy.minRunMinutes));
    })
    .sort((a, b) => b.pricePerHour - a.pricePerHour || a.id.localeCompare(b.id))
    .slice(0, policy.maxCandidates);

  let best: { node: SnapshotNode; saving: number; reason: string } | null = null;
  for (const node of candidates) {
    const jobs = (byNode.get(node.id) ?? []).map((r) => ({ ...r.job, progress: r.progress }));
    // Staying: the node runs until its last job is done.
    const stay = Math.max(...jobs.map((j) => node.pricePerHour * hoursLeft(j, node, now, policy.cost)));
    if (policy.floor && !couldSave(jobs, stay, input, policy, policy.floor)) continue;
    const elsewhere = priceElsewhere(jobs, node, input, now, policy);
    if (!elsewhere) continue;
    const saving = stay - elsewhere.total;
    if (saving < policy.minSavingUsd || saving < policy.minSavingFraction * stay) continue;
    if (!best || saving > best.saving) {
      best = {
        node,
        saving,
        reason:
          `consolidation: off ${node.id} (${node.instanceType} $${node.pricePerHour}/h) saves $${saving.toFixed(2)} ` +
          `(stay $${stay.toFixed(2)}, elsewhere $${elsewhere.run.toFixed(2)} + move $${elsewhere.move.toFixed(2)})`,
      };
    }
  }
  if (!best) return [];
  const { node, reason } = best;
  return (byNode.get(node.id) ?? []).map((r) => ({
    jobId: r.job.id,
    nodeId: node.id,
    reason,
    drainNode: true,
  }));
}

/**
 * Whether moving these jobs could save enough: staying, less what they would cost at their floors anywhere
 * (moving itself only adds), must clear both thresholds (with a hair of room for rounding).
 */
function couldSave(
  jobs: readonly Job[],
  stay: number,
  input: { nodes: readonly SnapshotNode[]; offers: readonly Offer[] },
  policy: ConsolidationPolicy,
  floor: (job: Job) => (cap: Priced) => number,
): boolean {
  let least = 0;
  for (const job of jobs) {
    const of = floor(job);
    let lowest = Number.POSITIVE_INFINITY;
    for (const o of input.offers) lowest = Math.min(lowest, of(o));
    for (const n of input.nodes) lowest = Math.min(lowest, of(n));
    least += lowest;
  }
  const most = stay - least + 1e-9 * Math.max(1, stay);
  return most >= policy.minSavingUsd && most >= policy.minSavingFraction * stay;
}

/** Hours the job still needs on this node (the cost model's runtime for the work left). */
function hoursLeft(job: Job, node: SnapshotNode, now: Date, cost: CostFn): number {
  return cost(job, node, 1, now).parts.runtimeHours ?? 0;
}

/** What the jobs would cost placed again without this node, plus moving them; null when one cannot go. */
function priceElsewhere(
  jobs: Job[],
  node: SnapshotNode,
  input: { nodes: readonly SnapshotNode[]; offers: readonly Offer[] },
  now: Date,
  policy: ConsolidationPolicy,
): { run: number; move: number; total: number } | null {
  const snapshot: Snapshot = {
    pending: jobs.map((j) => ({ ...j, state: 'queued', nodeIds: [] })),
    dependencyStates: new Map(),
    nodes: input.nodes.filter((n) => n.id !== node.id),
    offers: input.offers,
  };
  const plan = schedule(snapshot, now, {
    idleNodeSeconds: Number.POSITIVE_INFINITY,
    cost: policy.cost,
    ...(policy.costFloor ? { costFloor: policy.costFloor } : {}),
  });
  if (plan.unplaced.length > 0) return null;
  const byJob = new Map(jobs.map((j) => [j.id, j]));
  let run = 0;
  let move = 0;
  for (const a of plan.actions) {
    const placements = placementsOf(a);
    for (const p of placements.jobs) {
      run += p.expectedCostUsd;
      const w = p.units[0]?.where;
      const to =
        w?.kind === 'launch'
          ? placements.offers.get(w.launchId)
          : input.nodes.find((n) => n.id === (w?.kind === 'node' ? w.nodeId : ''));
      if (to) move += policy.moveCost(byJob.get(p.jobId)!, node, to);
    }
  }
  return { run, move, total: run + move };
}

function placementsOf(a: Action) {
  if (a.kind === 'launch')
    return { jobs: a.jobs, offers: new Map(a.nodes.map((n) => [n.launchId, n.offer as Priced])) };
  if (a.kind === 'assign') return { jobs: [a], offers: new Map<string, Priced>() };
  return { jobs: [], offers: new Map<string, Priced>() };
}

/** A job Uniform Progress may move while it runs: `market: auto` with a deadline, and a checkpoint to move with. */
export function followsItsLine(job: Job): boolean {
  return !!job.spec.deadline && (job.spec.market ?? 'auto') === 'auto' && !!job.spec.checkpoint;
}

/**
 * Uniform Progress for jobs that run: a `market: auto` job with a deadline whose market is no longer the one
 * the policy picks moves (checkpoint, then placement on the other market). Restart and hysteresis are the
 * policy's (core/deadline.ts); a job that cannot checkpoint stays, since moving would lose its work.
 */
export function deadlineMoves(
  input: { running: readonly RunningJob[]; nodes: readonly SnapshotNode[] },
  now: Date,
  cost: CostFn,
  restartHours: number,
): Move[] {
  const moves: Move[] = [];
  for (const r of input.running) {
    const { job } = r;
    if (!followsItsLine(job) || job.state !== 'running') continue;
    const node = input.nodes.find((n) => n.id === job.nodeIds[0]);
    if (node?.state !== 'ready') continue;
    const left = 1 - r.progress;
    if (left <= 0) continue;
    const q = cost({ ...job, progress: r.progress }, node, nodesNeeded(job.spec), now);
    const runtime = (q.parts.runtimeHours ?? 0) / left;
    const decision = decideMarket({
      submittedAt: instantDate(job.submittedAt),
      deadline: instantDate(job.spec.deadline!),
      now,
      workHours: runtime,
      doneHours: runtime * r.progress,
      current: node.market,
      restartHours,
      safetyNetEngaged: job.safetyNet,
    });
    if (decision.market === node.market) continue;
    // Leave spot only for the safety net (or a deadline out of reach). A job running on spot progresses faster
    // than its line, so "behind" here means it booted or waited, and it catches up by running; moving it would
    // cost a checkpoint and a restart, and it would be ahead again and back on spot a cycle later (the replay
    // found that loop: docs/replay.md). Losing spot re-queues it, and placement then sends it on-demand.
    if (node.market === 'spot' && !decision.safetyNet) continue;
    moves.push({
      jobId: job.id,
      nodeId: node.id,
      reason: `deadline: ${decision.reason}`,
      drainNode: false,
      ...(decision.safetyNet ? { safetyNet: true as const } : {}),
    });
  }
  return moves;
}

// The first scheduler: pure. Given a snapshot of jobs, nodes and offers and the time, it returns a Plan —
// what to release from hold, hold, fail, launch, assign and terminate — and, for every job it could not
// place, the reasons. It never calls a cloud, the store or the clock; the scheduler service applies it.
//
// Placement here is deliberately simple (the cheapest feasible offer, one node per job, reuse of an idle
// node when it is cheaper); the placement engine replaces `placeJob` behind the same Plan.

import { nodesNeeded } from './jobspec.js';
import type { Job, JobState, NodeRecord, Offer } from './model.js';
import { poolKey } from './model.js';
import { firstRefusal } from './placement/filters.js';
import { REASON_TEXT, Reason, type ReasonCode } from './placement/reasons.js';

export interface SnapshotNode extends NodeRecord {
  /** Jobs that hold this node now (scheduled … migrating). */
  jobIds: string[];
}

export interface Snapshot {
  /** Jobs in queued or held state: the ones this tick may act on. */
  pending: Job[];
  /** State of every job that a pending job depends on, by id. */
  dependencyStates: ReadonlyMap<string, { name: string; state: JobState }>;
  /** Nodes not yet terminated. */
  nodes: SnapshotNode[];
  offers: Offer[];
}

export interface SchedulePolicy {
  idleNodeSeconds: number;
}

export type Action =
  | { kind: 'release'; jobId: string; reason: string }
  | { kind: 'hold'; jobId: string; reason: string }
  | { kind: 'fail'; jobId: string; reason: string }
  | { kind: 'launch'; jobId: string; offer: Offer; count: number; expectedCostUsd: number }
  | { kind: 'assign'; jobId: string; nodeId: string; expectedCostUsd: number }
  | { kind: 'terminate'; nodeId: string; reason: string };

export interface Unplaced {
  jobId: string;
  /** How many candidates each reason ruled out. */
  reasons: Partial<Record<ReasonCode, number>>;
  /** One line for the job's `reason` field. */
  message: string;
}

export interface Plan {
  actions: Action[];
  unplaced: Unplaced[];
}

/** Hours a job is priced for: its estimate; inference runs open-ended, so its cost is quoted per hour. */
export function pricedHours(job: Job): number {
  return job.spec.runtime?.estimateHours ?? 1;
}

export function schedule(snapshot: Snapshot, now: Date, policy: SchedulePolicy): Plan {
  const actions: Action[] = [];
  const unplaced: Unplaced[] = [];
  const placeable: Job[] = [];

  for (const job of snapshot.pending) {
    const deps = dependencyVerdict(job, snapshot.dependencyStates);
    if (deps.kind === 'fail') actions.push({ kind: 'fail', jobId: job.id, reason: deps.reason });
    else if (deps.kind === 'wait') {
      if (job.state !== 'held') actions.push({ kind: 'hold', jobId: job.id, reason: deps.reason });
    } else {
      if (job.state === 'held')
        actions.push({ kind: 'release', jobId: job.id, reason: 'dependencies succeeded' });
      placeable.push(job);
    }
  }

  // Higher priority first, then first come first served; ids break ties so that plans are reproducible.
  placeable.sort(
    (a, b) =>
      b.priority - a.priority || a.submittedAt.localeCompare(b.submittedAt) || a.id.localeCompare(b.id),
  );

  const idle = snapshot.nodes.filter((n) => n.state === 'ready' && n.jobIds.length === 0);
  const taken = new Set<string>();
  for (const job of placeable) {
    const choice = placeJob(job, snapshot.offers, idle, taken, now);
    if (choice.kind === 'none') {
      unplaced.push({ jobId: job.id, reasons: choice.reasons, message: unplacedMessage(choice.reasons) });
    } else if (choice.kind === 'node') {
      taken.add(choice.nodeId);
      actions.push({ kind: 'assign', jobId: job.id, nodeId: choice.nodeId, expectedCostUsd: choice.cost });
    } else {
      actions.push({
        kind: 'launch',
        jobId: job.id,
        offer: choice.offer,
        count: nodesNeeded(job.spec),
        expectedCostUsd: choice.cost,
      });
    }
  }

  for (const node of idle) {
    if (taken.has(node.id)) continue;
    const idleFor = (now.getTime() - Date.parse(node.lastBusyAt)) / 1000;
    if (idleFor >= policy.idleNodeSeconds) {
      actions.push({ kind: 'terminate', nodeId: node.id, reason: `idle for ${Math.round(idleFor)} s` });
    }
  }
  return { actions, unplaced };
}

type DepVerdict = { kind: 'ok' } | { kind: 'wait'; reason: string } | { kind: 'fail'; reason: string };

function dependencyVerdict(job: Job, states: Snapshot['dependencyStates']): DepVerdict {
  const waiting: string[] = [];
  for (const id of job.dependsOn) {
    const dep = states.get(id);
    if (!dep) return { kind: 'fail', reason: `dependency ${id} does not exist` };
    if (dep.state === 'failed' || dep.state === 'cancelled') {
      return { kind: 'fail', reason: `dependency ${dep.name} (${id}) ${dep.state}` };
    }
    if (dep.state !== 'succeeded') waiting.push(dep.name);
  }
  return waiting.length > 0 ? { kind: 'wait', reason: `waiting for ${waiting.join(', ')}` } : { kind: 'ok' };
}

type Choice =
  | { kind: 'offer'; offer: Offer; cost: number }
  | { kind: 'node'; nodeId: string; cost: number }
  | { kind: 'none'; reasons: Partial<Record<ReasonCode, number>> };

function placeJob(job: Job, offers: Offer[], idle: SnapshotNode[], taken: Set<string>, now: Date): Choice {
  const reasons: Partial<Record<ReasonCode, number>> = {};
  const count = nodesNeeded(job.spec);
  const hours = pricedHours(job);
  let best: Choice | null = null;
  let bestKey = '';

  // An idle node is already paid for boot; only single-node jobs reuse one (a gang launches together).
  if (count === 1) {
    for (const node of idle) {
      if (taken.has(node.id)) continue;
      const refusal = firstRefusal(job.spec, node, now);
      if (refusal) continue; // nodes are reported through the offers they came from
      const cost = node.pricePerHour * hours;
      if (!best || cost < costOf(best) || (cost === costOf(best) && `0${node.id}` < bestKey)) {
        best = { kind: 'node', nodeId: node.id, cost };
        bestKey = `0${node.id}`;
      }
    }
  }
  for (const offer of offers) {
    const refusal = firstRefusal(job.spec, { ...offer, blockedUntil: offer.availability.blockedUntil }, now);
    if (refusal) {
      reasons[refusal] = (reasons[refusal] ?? 0) + 1;
      continue;
    }
    const cost = offer.pricePerHour * count * hours;
    const key = `1${poolKey(offer)}`;
    // Strictly cheaper wins; on a tie an idle node ('0…') beats a launch, then pool keys decide.
    if (!best || cost < costOf(best) || (cost === costOf(best) && key < bestKey)) {
      best = { kind: 'offer', offer, cost };
      bestKey = key;
    }
  }
  if (best) return best;
  if (offers.length === 0) reasons[Reason.NO_OFFERS] = 1;
  return { kind: 'none', reasons };
}

function costOf(c: Choice): number {
  return c.kind === 'none' ? Number.POSITIVE_INFINITY : c.cost;
}

function unplacedMessage(reasons: Partial<Record<ReasonCode, number>>): string {
  const parts = (Object.entries(reasons) as [ReasonCode, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ×${n} (${REASON_TEXT[code]})`);
  return `no capacity fits: ${parts.join('; ')}`;
}

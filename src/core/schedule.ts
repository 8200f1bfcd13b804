// The first scheduler: pure. Given a snapshot of jobs, nodes and offers and the time, it returns a Plan —
// what to release from hold, hold, fail, launch, assign and terminate — and, for every job it could not
// place, the reasons. It never calls a cloud, the store or the clock; the scheduler service applies it.
//
// Placement here is deliberately simple (the cheapest feasible offer, one node per job, reuse of an idle
// node when it is cheaper); the placement engine replaces `placeJob` behind the same Plan.

import { nodesNeeded } from './jobspec.js';
import type { Job, JobState, NodeRecord, Offer } from './model.js';
import { poolKey } from './model.js';
import type { CostFn } from './placement/cost-fn.js';
import { type FairShare, fairQueue } from './placement/fair-share.js';
import { firstRefusal } from './placement/filters/index.js';
import { OfferIndex } from './placement/offer-index.js';
import { REASON_TEXT, Reason, type ReasonCode } from './placement/reasons.js';

export interface SnapshotNode extends NodeRecord {
  /** Jobs that hold this node now (scheduled … migrating). */
  jobIds: string[];
  /** Its pool's availability (interruption rate), when the pool is still offered. */
  availability?: Offer['availability'];
}

export interface Snapshot {
  /** Jobs in queued or held state: the ones this tick may act on. */
  pending: Job[];
  /** State of every job that a pending job depends on, by id. */
  dependencyStates: ReadonlyMap<string, { name: string; state: JobState }>;
  /** Nodes not yet terminated. */
  nodes: SnapshotNode[];
  offers: Offer[];
  /** Teams' recent spend and weights; absent: first come first served within a priority. */
  fairShare?: FairShare;
}

export interface SchedulePolicy {
  idleNodeSeconds: number;
  /** What a placement costs; the scheduler takes the cheapest. */
  cost: CostFn;
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

  // Higher priority first; within a priority the team furthest below its fair share; then first come,
  // first served (ids break ties, so that plans are reproducible).
  const queue = fairQueue(placeable, snapshot.fairShare);

  const idle = snapshot.nodes.filter((n) => n.state === 'ready' && n.jobIds.length === 0);
  const taken = new Set<string>();
  const verdicts = new Map<string, ShapeVerdict>();
  const index = new OfferIndex(snapshot.offers);
  for (const job of queue.order) {
    const key = shapeKey(job);
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = bestOffer(job, index, now, policy.cost);
      verdicts.set(key, verdict);
    }
    const choice = placeJob(job, verdict, idle, taken, now, policy.cost);
    if (choice.kind === 'none') {
      unplaced.push({ jobId: job.id, reasons: choice.reasons, message: unplacedMessage(choice.reasons) });
    } else if (choice.kind === 'node') {
      queue.charge(job, choice.cost);
      taken.add(choice.nodeId);
      actions.push({ kind: 'assign', jobId: job.id, nodeId: choice.nodeId, expectedCostUsd: choice.cost });
    } else {
      queue.charge(job, choice.cost);
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

/** The cheapest feasible offer for one shape of request, and why the others were refused. */
interface ShapeVerdict {
  best: Offer | null;
  /** Its expected cost for a job of this shape. */
  cost: number;
  reasons: Partial<Record<ReasonCode, number>>;
}

/**
 * What decides feasibility and the ranking of offers: two jobs with the same key get the same best offer
 * (offers are not used up within a tick, and cost scales every offer alike by nodes × hours). Queues are
 * full of jobs of a few shapes, so this turns jobs × offers into shapes × offers.
 */
function shapeKey(job: Job): string {
  // Everything in the spec that a filter or the cost function may read; names, images and labels not.
  const s = job.spec;
  return JSON.stringify([
    s.kind,
    s.resources,
    s.replicas,
    s.constraints,
    s.market,
    s.runtime,
    s.data,
    s.checkpoint,
    s.deadline,
  ]);
}

function bestOffer(job: Job, index: OfferIndex, now: Date, cost: CostFn): ShapeVerdict {
  const offers = index.candidates(job.spec.resources.gpu.models);
  const reasons: Partial<Record<ReasonCode, number>> = {};
  // Offers of models the job does not accept are not scanned; they count as what the scan would say.
  const otherModels = index.all.length - offers.length;
  if (otherModels > 0) reasons[Reason.GPU_MODEL] = otherModels;
  const count = nodesNeeded(job.spec);
  let best: Offer | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  let bestKey = '';
  for (const offer of offers) {
    const filtered = firstRefusal(job.spec, offer, now);
    const quote = filtered ? null : cost(job, offer, count, now);
    const refusal = filtered ?? quote?.refusal;
    if (refusal || !quote) {
      const r = refusal as ReasonCode;
      reasons[r] = (reasons[r] ?? 0) + 1;
      continue;
    }
    const c = quote.totalUsd;
    // Cheaper wins; on a tie the pool key decides, so that plans are reproducible.
    if (c < bestCost || (c === bestCost && poolKey(offer) < bestKey)) {
      best = offer;
      bestCost = c;
      bestKey = poolKey(offer);
    }
  }
  if (index.all.length === 0) reasons[Reason.NO_OFFERS] = 1;
  return { best, cost: bestCost, reasons };
}

function placeJob(
  job: Job,
  verdict: ShapeVerdict,
  idle: SnapshotNode[],
  taken: Set<string>,
  now: Date,
  cost: CostFn,
): Choice {
  const count = nodesNeeded(job.spec);
  let best: Choice | null = verdict.best ? { kind: 'offer', offer: verdict.best, cost: verdict.cost } : null;
  // An idle node is already booted and paid for; it wins a tie with a launch. Only single-node jobs
  // reuse one (a gang launches together).
  if (count === 1) {
    for (const node of idle) {
      if (taken.has(node.id) || firstRefusal(job.spec, node, now)) continue;
      const quote = cost(job, node, 1, now);
      if (quote.refusal) continue;
      const c = quote.totalUsd;
      if (!best || c < costOf(best) || (c === costOf(best) && best.kind === 'offer')) {
        best = { kind: 'node', nodeId: node.id, cost: c };
      }
    }
  }
  return best ?? { kind: 'none', reasons: verdict.reasons };
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

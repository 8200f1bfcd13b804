// The scheduler's core: pure. Given a snapshot of jobs, nodes and offers and the time, it returns a Plan —
// what to release from hold, hold, fail, place and terminate — and, for every job it could not place, the
// reasons. It never calls a cloud, the store or the clock; the scheduler service applies the plan.
//
// Steps: dependencies decide who may be placed; fair share orders them; the packer (placement/pack.ts) puts
// every unit into a free slot of a running node or onto new nodes, several jobs sharing a node when that is
// cheaper; idle nodes past their time are released.

import { nodesNeeded } from './jobspec.js';
import type { Job, JobState, NodeRecord, Offer } from './model.js';
import type { CostFn, PriceQuote } from './placement/cost-fn.js';
import { type FairShare, fairQueue } from './placement/fair-share.js';
import { firstRefusal, HOST_FILTERS } from './placement/filters/index.js';
import {
  costGroupOf,
  type PackNode,
  type PackRequest,
  type PackResult,
  type PackTarget,
  pack,
  requestFromJob,
} from './placement/pack.js';
import type { ReasonCode } from './placement/reasons.js';
import { heldInventory, type NodeGpus, type SlotAssignment } from './placement/slices.js';

export interface SnapshotNode extends NodeRecord {
  /** Jobs that hold this node now (scheduled … migrating). */
  jobIds: string[];
  /** Its pool's availability (interruption rate), when the pool is still offered. */
  availability?: Offer['availability'];
  /** Its GPUs and who holds them. Absent: all free when no job holds the node, else all taken. */
  inventory?: NodeGpus;
}

export interface Snapshot {
  /** Jobs in queued or held state: the ones this tick may act on. */
  pending: Job[];
  /** State of every job that a pending job depends on, by id. */
  dependencyStates: ReadonlyMap<string, { name: string; state: JobState }>;
  /** Nodes not yet terminated. */
  nodes: SnapshotNode[];
  offers: readonly Offer[];
  /** Teams' recent spend and weights; absent: first come first served within a priority. */
  fairShare?: FairShare;
  /**
   * What budgets say of pending jobs (the budget port; services/budgets.ts fills it): held until money is
   * there again, or placed on spot only. A job not in the map is unconstrained.
   */
  budget?: ReadonlyMap<string, BudgetVerdict>;
}

export type BudgetVerdict = { kind: 'hold'; reason: string } | { kind: 'spot-only'; reason: string };

export interface SchedulePolicy {
  idleNodeSeconds: number;
  /** What a placement costs; the scheduler takes the cheapest. */
  cost: CostFn;
  /**
   * A floor under cost(job, offer, n, now).totalUsd / n for an offer the cost does not refuse (model-cost.ts
   * aloneFloor): a job placed alone has its offers priced from the lowest floor up (PackInput.floor). Absent:
   * every offer is priced.
   */
  costFloor?: (job: Job) => (offer: Offer) => number;
}

/** Where one unit of a job (a gang member, a replica) goes, and which slot of that node it holds. */
export interface UnitPlacement {
  unit: number;
  /** A running node, or a node this plan launches (its `launchId` in the same action). */
  where: { kind: 'node'; nodeId: string } | { kind: 'launch'; launchId: string };
  slot: SlotAssignment;
}

export interface JobPlacement {
  jobId: string;
  units: UnitPlacement[];
  /** The job's part of the plan's cost (its slots on running nodes, its GPU share of new nodes). */
  expectedCostUsd: number;
  /** Its deadline's safety net fired with this placement: it is to stay on on-demand until done. */
  safetyNet?: true;
}

export interface NewNode {
  launchId: string;
  offer: Offer;
}

export type Action =
  | { kind: 'release'; jobId: string; reason: string }
  | { kind: 'hold'; jobId: string; reason: string }
  | { kind: 'fail'; jobId: string; reason: string }
  /**
   * New nodes and the jobs that go (partly) onto them, all or nothing: a gang's members and the jobs that
   * share a new node stand or fall together, since a launch that fails leaves them all without capacity.
   */
  | { kind: 'launch'; nodes: NewNode[]; jobs: JobPlacement[] }
  /** A job whose every unit fits in free slots of running nodes. */
  | ({ kind: 'assign' } & JobPlacement)
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

/**
 * What fair share charges a team for a job it places within this tick, before the packer prices it: GPU-hours
 * at a reference price. Only the order among teams depends on it (the order in which jobs compete for free slots
 * on running nodes), so a round figure serves; spend from earlier ticks is counted at its real cost.
 */
const FAIR_SHARE_USD_PER_GPU_HOUR = 2;

type SchedNode = PackNode & { record: SnapshotNode };

export function schedule(snapshot: Snapshot, now: Date, policy: SchedulePolicy): Plan {
  const actions: Action[] = [];
  const placeable: Job[] = [];

  const budgetHeld: Unplaced[] = [];
  for (const job of snapshot.pending) {
    const deps = dependencyVerdict(job, snapshot.dependencyStates);
    const budget = snapshot.budget?.get(job.id);
    if (deps.kind === 'fail') actions.push({ kind: 'fail', jobId: job.id, reason: deps.reason });
    else if (deps.kind === 'wait') {
      if (job.state !== 'held') actions.push({ kind: 'hold', jobId: job.id, reason: deps.reason });
    } else if (budget?.kind === 'hold') {
      // Held by a budget: the hold is an event once; after that only its reason follows the budget.
      if (job.state !== 'held') actions.push({ kind: 'hold', jobId: job.id, reason: budget.reason });
      else budgetHeld.push({ jobId: job.id, reasons: { BUDGET: 1 }, message: budget.reason });
    } else {
      if (job.state === 'held') {
        const why = job.reason?.startsWith('budget') ? 'budget allows it again' : 'dependencies succeeded';
        actions.push({ kind: 'release', jobId: job.id, reason: why });
      }
      // Spot only: the budget narrows the job's market for this placement, not its spec.
      placeable.push(budget?.kind === 'spot-only' ? { ...job, spec: { ...job.spec, market: 'spot' } } : job);
    }
  }

  const jobs = new Map(placeable.map((j) => [j.id, j]));
  const nodes: SchedNode[] = snapshot.nodes
    .filter((n) => n.state === 'provisioning' || n.state === 'ready')
    .map((n) => ({
      id: n.id,
      cloud: n.cloud,
      region: n.region,
      zone: n.zone,
      inventory: n.inventory ?? heldInventory(n.gpu, n.jobIds, []),
      record: n,
    }));
  // The packer keeps this order among requests of equal priority and size: fair share, then FIFO.
  const requests = fairOrder(placeable, snapshot.fairShare).map((j) => requestFromJob(j, groupOf(j)));
  // The packer asks refuse() and then, unless it refused, cost() of the same group and target, one pair after
  // the other (pack-index.ts): the last quote is kept for that second call.
  let lastTarget: PackTarget<SchedNode> | null = null;
  let lastGroup = '';
  let lastQuote: PriceQuote | null = null;
  const quote = (r: PackRequest, t: PackTarget<SchedNode>): PriceQuote => {
    if (lastQuote === null || t !== lastTarget || r.group !== lastGroup) {
      const job = jobs.get(r.id)!;
      lastQuote = policy.cost(job, capacityOf(t), nodesNeeded(job.spec), now);
      lastTarget = t;
      lastGroup = r.group!;
    }
    return lastQuote;
  };
  // The packer asks for floors only in a cycle of one request: one floor function, for that job.
  const costFloor = policy.costFloor;
  let floors: { jobId: string; of: (offer: Offer) => number } | null = null;
  const floor = (r: PackRequest, o: Offer): number => {
    if (floors?.jobId !== r.id) floors = { jobId: r.id, of: costFloor!(jobs.get(r.id)!) };
    return floors.of(o);
  };
  const queued = new Map<string, number>();
  for (const r of requests) queued.set(r.group!, (queued.get(r.group!) ?? 0) + r.units);
  const result =
    placeable.length === 0
      ? null
      : pack<PackRequest, SchedNode>({
          requests,
          nodes,
          offers: snapshot.offers,
          cost: (r, t) => unitCost(jobs.get(r.id)!, t, quote(r, t), queued.get(r.group!) ?? 1),
          // The cost model refuses too (a deadline it cannot meet, the other market under Uniform Progress).
          refuse: (r, t) =>
            firstRefusal(jobs.get(r.id)!.spec, capacityOf(t), now, HOST_FILTERS) ??
            quote(r, t).refusal ??
            null,
          ...(costFloor ? { floor } : {}),
        });
  if (result) actions.push(...placements(result, safetyNets(result, jobs, snapshot.nodes, now, policy.cost)));

  const busy = new Set(result ? [...result.inventories.keys()] : []);
  for (const node of snapshot.nodes) {
    if (node.jobIds.length > 0 || busy.has(node.id)) continue;
    // A draining node (emptied by consolidation, or under a reclaim notice) takes no new work: once its jobs
    // are gone there is nothing to wait for.
    if (node.state === 'draining') {
      actions.push({ kind: 'terminate', nodeId: node.id, reason: 'drained' });
      continue;
    }
    if (node.state !== 'ready') continue;
    const idleFor = (now.getTime() - Date.parse(node.lastBusyAt)) / 1000;
    if (idleFor >= policy.idleNodeSeconds) {
      actions.push({ kind: 'terminate', nodeId: node.id, reason: `idle for ${Math.round(idleFor)} s` });
    }
  }
  const unplaced = [
    ...budgetHeld,
    ...(result?.unplaced ?? []).map((u) => ({
      jobId: u.requestId,
      reasons: u.reasons as Unplaced['reasons'],
      message: u.message,
    })),
  ];
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

/** Higher priority first; within a priority the team furthest below its fair share; then first come first served. */
function fairOrder(jobs: readonly Job[], share: FairShare | undefined): Job[] {
  const queue = fairQueue(jobs, share);
  const out: Job[] = [];
  for (const job of queue.order) {
    out.push(job);
    const g = job.spec.resources.gpu;
    const gpuHours =
      (g.count ?? g.fraction ?? 1) * nodesNeeded(job.spec) * (job.spec.runtime?.estimateHours ?? 1);
    queue.charge(job, gpuHours * FAIR_SHARE_USD_PER_GPU_HOUR);
  }
  return out;
}

/**
 * The packer asks once per group: jobs that the cost function and the filters cannot tell apart. The deadline
 * policy also reads when the job was submitted (its straight line from submit to deadline).
 */
function groupOf(job: Job): string {
  const base = costGroupOf(job.spec);
  const moved = job.progress > 0 || job.safetyNet ? `|${job.progress}|${job.safetyNet}` : '';
  return job.spec.deadline ? `${base}|${job.spec.deadline}|${job.submittedAt}${moved}` : `${base}${moved}`;
}

function capacityOf(t: PackTarget<SchedNode>) {
  return t.kind === 'offer' ? t.offer : t.node.record;
}

/**
 * Expected cost of one unit. On an offer: the job's expected cost on that many nodes of it, per node (a gang's
 * interruption risk grows with its size); the packer shares a new node's cost among the units it takes.
 *
 * On a running node that others hold: that, scaled to the unit's share of the node's GPUs — the node runs for
 * its other jobs anyway. On an idle node, the unit is what keeps the node from being released, so it pays the
 * whole node, shared only with the units of its kind queued now that the node could also take (as the packer
 * shares a new node): one small job does not keep a large idle node alive cheaply.
 */
function unitCost(job: Job, t: PackTarget<SchedNode>, quote: PriceQuote, queuedUnits: number): number {
  if (quote.refusal) return Number.POSITIVE_INFINITY;
  const perUnit = quote.totalUsd / nodesNeeded(job.spec);
  if (t.kind === 'offer') return perUnit;
  const g = job.spec.resources.gpu;
  const gpus = Math.max(1, t.node.inventory.gpus.length);
  const share = (g.count ?? g.fraction ?? 1) / gpus;
  if (t.node.record.jobIds.length > 0) return perUnit * share;
  const fit = Math.max(1, Math.floor(1 / share));
  return perUnit * Math.max(share, 1 / Math.min(fit, queuedUnits));
}

/** Placed jobs whose deadline safety net fires now (Uniform Progress); the service records it on the job. */
function safetyNets(
  result: PackResult,
  jobs: ReadonlyMap<string, Job>,
  nodes: readonly SnapshotNode[],
  now: Date,
  cost: CostFn,
): Set<string> {
  const out = new Set<string>();
  const offerOf = new Map(result.launches.map((l) => [l.launchId, l.offer]));
  for (const a of result.assignments) {
    const job = jobs.get(a.requestId);
    if (!job?.spec.deadline || job.safetyNet || (job.spec.market ?? 'auto') !== 'auto') continue;
    const w = a.units[0]?.where;
    const cap = w?.kind === 'launch' ? offerOf.get(w.launchId) : nodes.find((n) => n.id === w?.nodeId);
    if (cap && cost(job, cap, a.units.length, now).parts.safetyNet === 1) out.add(job.id);
  }
  return out;
}

/** The packer's answer as plan actions: launches grouped with every job that touches them, then assignments. */
function placements(result: PackResult, safetyNet: ReadonlySet<string>): Action[] {
  // Union-find over launches: a job with units on several new nodes ties them into one all-or-nothing action.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  const placed = result.assignments.map((a) => ({
    placement: {
      jobId: a.requestId,
      expectedCostUsd: a.cost,
      units: a.units.map((u) => ({ unit: u.unit, where: u.where, slot: u.slot })),
      ...(safetyNet.has(a.requestId) ? { safetyNet: true as const } : {}),
    } satisfies JobPlacement,
    launchIds: a.units.flatMap((u) => (u.where.kind === 'launch' ? [u.where.launchId] : [])),
  }));
  for (const { launchIds } of placed) {
    for (const id of launchIds.slice(1)) parent.set(find(id), find(launchIds[0]!));
  }
  const assigns: Action[] = [];
  const jobsOf = new Map<string, JobPlacement[]>();
  for (const { placement, launchIds } of placed) {
    if (launchIds.length === 0) {
      assigns.push({ kind: 'assign', ...placement });
      continue;
    }
    const root = find(launchIds[0]!);
    jobsOf.set(root, [...(jobsOf.get(root) ?? []), placement]);
  }
  const groups = new Map<string, NewNode[]>();
  for (const l of result.launches) {
    const root = find(l.launchId);
    groups.set(root, [...(groups.get(root) ?? []), { launchId: l.launchId, offer: l.offer }]);
  }
  const launches: Action[] = [...groups].map(([root, nodes]) => ({
    kind: 'launch',
    nodes,
    jobs: jobsOf.get(root) ?? [],
  }));
  return [...assigns, ...launches];
}

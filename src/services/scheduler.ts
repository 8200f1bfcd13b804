// The scheduler service: read a snapshot, ask the core for a plan, apply it. It decides nothing itself.
import type { Logger } from 'pino';
import { JOB_STATES_ON_NODES } from '../core/lifecycle.js';
import { type Job, type JobState, type NodeRecord, type Offer, poolKey } from '../core/model.js';
import {
  type ConsolidationPolicy,
  consolidate,
  deadlineMoves,
  followsItsLine,
  type Move,
  type RunningJob,
} from '../core/placement/consolidate.js';
import type { CostFn } from '../core/placement/cost-fn.js';
import { heldInventory, type NodeGpus } from '../core/placement/slices.js';
import {
  type BudgetVerdict,
  type Plan,
  type SchedulePolicy,
  type Snapshot,
  type SnapshotNode,
  schedule,
} from '../core/schedule.js';
import { deepFreeze } from '../core/validate.js';
import type { SlotRecord } from '../store/slots.js';
import type { Store } from '../store/store.js';
import type { Availability } from './availability.js';
import { PoolAvailability } from './pool-availability.js';
import type { ProgressMeter } from './progress.js';
import type { Provisioner } from './provisioner.js';
import type { Reports } from './reports.js';

export interface SchedulerOptions {
  idleNodeSeconds: number;
  cost: CostFn;
  /** A floor under `cost` for a job alone on an offer (SchedulePolicy.costFloor); absent: every offer is priced. */
  costFloor?: (job: Job) => (offer: Offer) => number;
  fairShareWindowHours: number;
  teamWeights: Readonly<Record<string, number>>;
  restartHours: number;
  /** The budget port: what budgets say of the pending jobs (services/budgets.ts); absent: no budgets. */
  budget?: (pending: readonly Job[], now: Date) => ReadonlyMap<string, BudgetVerdict>;
  /** Moving running work; null: never (deadline moves of running jobs still happen). */
  consolidation: (Omit<ConsolidationPolicy, 'cost'> & { everySeconds: number }) | null;
}

/**
 * How long a job told to checkpoint may take beyond its spec's `checkpoint.graceSeconds` (default 60 s) before
 * it is given up on and resumes from what it saved last: time for the order to reach the agent (heartbeat) and
 * for the report to come back.
 */
const CHECKPOINT_SLACK_SECONDS = 30;

export class Scheduler {
  private lastConsolidation = Number.NEGATIVE_INFINITY;
  private readonly pools = new PoolAvailability();
  private readonly held = new WeakMap<object, { gpu: object; jobs: string; inv: NodeGpus }>();

  constructor(
    private readonly store: Store,
    private readonly provisioner: Provisioner,
    private readonly availability: Availability,
    private readonly reports: Reports,
    private readonly progress: ProgressMeter,
    private readonly opts: SchedulerOptions,
    private readonly log: Logger,
  ) {}

  snapshot(now: Date, pending: Job[] = this.store.jobs.inStates(['queued', 'held'])): Snapshot {
    const dependencyStates = new Map<string, { name: string; state: JobState }>();
    for (const id of new Set(pending.flatMap((j) => j.dependsOn))) {
      const dep = this.store.jobs.get(id);
      if (dep) dependencyStates.set(id, { name: dep.name, state: dep.state });
    }
    const active = this.store.jobs.inStates(JOB_STATES_ON_NODES);
    // With nothing to place, the plan only releases idle nodes: the market (thousands of offers) is not
    // read on every tick of an idle daemon.
    const listed = pending.length > 0 ? this.store.offers.list() : [];
    const offers = pending.length > 0 ? this.availability.annotate(listed, now) : [];
    const slots = this.store.slots.byNode();
    const jobsOn = new Map<string, string[]>();
    for (const j of active)
      for (const id of new Set(j.nodeIds)) jobsOn.set(id, [...(jobsOn.get(id) ?? []), j.id]);
    const nodes: SnapshotNode[] = this.store.nodes.list(['provisioning', 'ready', 'draining']).map((n) => {
      const jobIds = jobsOn.get(n.id) ?? [];
      const availability = this.pools.of(listed, offers, n);
      return {
        ...n,
        jobIds,
        inventory: this.inventoryOf(n, jobIds, slots.get(n.id)),
        ...(availability ? { availability } : {}),
      };
    });
    const since = new Date(now.getTime() - this.opts.fairShareWindowHours * 3_600_000).toISOString();
    // Fair share and budgets order and gate pending jobs: with none, they are not read.
    return {
      pending,
      dependencyStates,
      nodes,
      offers,
      ...(pending.length > 0
        ? { fairShare: { usage: this.store.jobs.spendByTeamSince(since), weights: this.opts.teamWeights } }
        : {}),
      ...(this.opts.budget && pending.length > 0 ? { budget: this.opts.budget(pending, now) } : {}),
    };
  }

  /**
   * A node's GPUs as its jobs hold them (heldInventory), kept per frozen slot list (per GPU for a node without
   * slots) while the same jobs hold it: most nodes are as they were at the last tick.
   */
  private inventoryOf(n: NodeRecord, jobIds: readonly string[], slots: readonly SlotRecord[] | undefined) {
    const key: object = slots ?? n.gpu;
    const jobs = jobIds.join('\u0000');
    const known = this.held.get(key);
    if (known && known.jobs === jobs && known.gpu === n.gpu) return known.inv;
    const inv = heldInventory(n.gpu, jobIds, slots ?? []);
    if (!Object.isFrozen(key)) return inv;
    const frozen = deepFreeze(inv);
    this.held.set(key, { gpu: n.gpu, jobs, inv: frozen });
    return frozen;
  }

  private policy(idleNodeSeconds: number): SchedulePolicy {
    return {
      idleNodeSeconds,
      cost: this.opts.cost,
      ...(this.opts.costFloor ? { costFloor: this.opts.costFloor } : {}),
    };
  }

  async tick(now: Date): Promise<Plan> {
    this.giveUpLateCheckpoints(now);
    const snapshot = this.snapshot(now);
    const plan = schedule(snapshot, now, this.policy(this.opts.idleNodeSeconds));
    await this.apply(plan, now);
    this.move(this.movesFor(snapshot, now), now);
    return plan;
  }

  /**
   * Jobs about to leave a node under a reclaim notice get their replacement planned and launched now, in
   * parallel with their checkpoint (as Karpenter does), not after the node is gone: the new nodes boot while
   * the jobs checkpoint. They are launched as spares, kept until the notice runs out, and the jobs, once
   * queued from their checkpoint, find them the cheapest place to go (booted already, same offer).
   */
  replace(jobIds: readonly string[], nodeId: string, now: Date): void {
    const jobs = jobIds
      .map((id) => this.store.jobs.get(id))
      .filter((j): j is Job => j !== null)
      .map((j) => ({ ...j, state: 'queued' as const, nodeIds: [], progress: this.progress.at(j, now) }));
    if (jobs.length === 0) return;
    const snapshot = { ...this.snapshot(now, jobs), dependencyStates: new Map() };
    const plan = schedule(snapshot, now, this.policy(Number.POSITIVE_INFINITY));
    const notice = this.store.agents.notices(nodeId).at(-1)?.deadline;
    const until = new Date(Math.max(now.getTime() + 120_000, notice ? Date.parse(notice) : 0));
    for (const a of plan.actions) {
      if (a.kind !== 'launch') continue;
      this.provisioner.start(() => this.provisioner.launch({ nodes: a.nodes, jobs: [] }, now, until));
      this.log.info(
        { jobIds, from: nodeId, pools: a.nodes.map((n) => poolKey(n.offer)) },
        'replacement launched',
      );
    }
  }

  /** Running jobs to move now: deadline moves on every tick, consolidation every `everySeconds`. */
  private movesFor(snapshot: Snapshot, now: Date): Move[] {
    const c = this.opts.consolidation;
    const consolidating = c !== null && now.getTime() - this.lastConsolidation >= c.everySeconds * 1000;
    // Where a running job stands is read for the jobs a move may concern: those that follow a deadline's line at
    // every tick, every one when consolidating.
    const running: RunningJob[] = this.store.jobs
      .inStates(['running'])
      .filter((job) => consolidating || followsItsLine(job))
      .map((job) => ({
        job,
        progress: this.progress.at(job, now),
        runHours: consolidating ? this.progress.runHours(job, now) : 0,
      }));
    if (running.length === 0) return [];
    const moves = deadlineMoves(
      { running, nodes: snapshot.nodes },
      now,
      this.opts.cost,
      this.opts.restartHours,
    );
    if (c && consolidating) {
      this.lastConsolidation = now.getTime();
      const offers =
        snapshot.offers.length > 0
          ? snapshot.offers
          : this.availability.annotate(this.store.offers.list(), now);
      const moving = new Set(moves.map((m) => m.jobId));
      const { costFloor } = this.opts;
      for (const m of consolidate({ running, nodes: snapshot.nodes, offers }, now, {
        ...c,
        cost: this.opts.cost,
        ...(costFloor ? { costFloor } : {}),
      }))
        if (!moving.has(m.jobId)) moves.push(m);
    }
    return moves;
  }

  /** Orders the checkpoints: the job turns `checkpointing` (its agent is told), its node drains if it is emptied. */
  private move(moves: Move[], now: Date): void {
    for (const m of moves) {
      try {
        this.store.tx(() => {
          this.store.jobs.transition(
            m.jobId,
            'checkpointing',
            m.reason,
            now,
            m.safetyNet ? { safetyNet: true } : {},
          );
          const node = this.store.nodes.get(m.nodeId);
          if (m.drainNode && node?.state === 'ready') this.store.nodes.transition(m.nodeId, 'draining');
        });
        this.log.info({ jobId: m.jobId, nodeId: m.nodeId, reason: m.reason }, 'moving a running job');
      } catch (err) {
        this.log.warn(
          { jobId: m.jobId, nodeId: m.nodeId, move: m, err: (err as Error).message },
          'move skipped',
        );
      }
    }
  }

  private giveUpLateCheckpoints(now: Date): void {
    for (const job of this.store.jobs.inStates(['checkpointing'])) {
      const limit = (job.spec.checkpoint?.graceSeconds ?? 60) + CHECKPOINT_SLACK_SECONDS;
      if (now.getTime() - Date.parse(job.updatedAt) > limit * 1000)
        this.reports.checkpointMissed(job.id, now);
    }
  }

  private async apply(plan: Plan, now: Date): Promise<void> {
    for (const a of plan.actions) {
      try {
        switch (a.kind) {
          case 'release':
            this.store.jobs.transition(a.jobId, 'queued', a.reason, now);
            break;
          case 'hold':
            this.store.jobs.transition(a.jobId, 'held', a.reason, now);
            break;
          case 'fail':
            this.store.jobs.transition(a.jobId, 'failed', a.reason, now, { finishedAt: now.toISOString() });
            break;
          case 'assign':
            this.provisioner.assign(a, now);
            break;
          // Cloud calls run in the background; their reserve step is done before start() returns.
          case 'launch':
            this.provisioner.start(() => this.provisioner.launch(a, now));
            break;
          case 'terminate':
            this.provisioner.start(() => this.provisioner.terminate(a.nodeId, a.reason, now));
            break;
        }
      } catch (err) {
        // One bad action (a job cancelled meanwhile) must not stop the rest of the plan.
        this.log.warn({ ...actionIds(a), action: a, err: (err as Error).message }, 'plan action skipped');
      }
    }
    for (const u of plan.unplaced) {
      const job = this.store.jobs.get(u.jobId);
      if (job && job.reason !== u.message) this.store.jobs.update(u.jobId, now, { reason: u.message });
    }
  }
}

/** The job and node ids a plan action concerns, as top-level log fields (logs are searched by them). */
function actionIds(a: Plan['actions'][number]): { jobId?: string; jobIds?: string[]; nodeId?: string } {
  switch (a.kind) {
    case 'release':
    case 'hold':
    case 'fail':
      return { jobId: a.jobId };
    case 'assign':
      return { jobId: a.jobId };
    case 'launch':
      return { jobIds: a.jobs.map((j) => j.jobId) };
    case 'terminate':
      return { nodeId: a.nodeId };
  }
}

// The scheduler service: read a snapshot, ask the core for a plan, apply it. It decides nothing itself.
import type { Logger } from 'pino';
import { JOB_STATES_ON_NODES } from '../core/lifecycle.js';
import { type JobState, poolKey } from '../core/model.js';
import type { CostFn } from '../core/placement/cost-fn.js';
import { heldInventory } from '../core/placement/slices.js';
import { type Plan, type Snapshot, type SnapshotNode, schedule } from '../core/schedule.js';
import type { Store } from '../store/store.js';
import type { Availability } from './availability.js';
import type { Provisioner } from './provisioner.js';

export interface SchedulerOptions {
  idleNodeSeconds: number;
  cost: CostFn;
  fairShareWindowHours: number;
  teamWeights: Readonly<Record<string, number>>;
}

export class Scheduler {
  constructor(
    private readonly store: Store,
    private readonly provisioner: Provisioner,
    private readonly availability: Availability,
    private readonly opts: SchedulerOptions,
    private readonly log: Logger,
  ) {}

  snapshot(now: Date): Snapshot {
    const pending = this.store.jobs.inStates(['queued', 'held']);
    const dependencyStates = new Map<string, { name: string; state: JobState }>();
    for (const id of new Set(pending.flatMap((j) => j.dependsOn))) {
      const dep = this.store.jobs.get(id);
      if (dep) dependencyStates.set(id, { name: dep.name, state: dep.state });
    }
    const active = this.store.jobs.inStates(JOB_STATES_ON_NODES);
    // With nothing to place, the plan only releases idle nodes: the market (thousands of offers) is not
    // read on every tick of an idle daemon.
    const offers = pending.length > 0 ? this.availability.annotate(this.store.offers.list(), now) : [];
    // A node is judged by its pool's current interruption rate, as a new node from that pool would be;
    // a block on the pool stops new launches there, not the use of a node already running.
    const byPool = new Map(offers.map((o) => [poolKey(o), { ...o.availability, blockedUntil: null }]));
    const slots = this.store.slots.byNode();
    const nodes: SnapshotNode[] = this.store.nodes.list(['provisioning', 'ready', 'draining']).map((n) => {
      const jobIds = active.filter((j) => j.nodeIds.includes(n.id)).map((j) => j.id);
      return {
        ...n,
        jobIds,
        inventory: heldInventory(n.gpu, jobIds, slots.get(n.id) ?? []),
        ...(byPool.has(poolKey(n)) ? { availability: byPool.get(poolKey(n)) } : {}),
      };
    });
    const since = new Date(now.getTime() - this.opts.fairShareWindowHours * 3_600_000).toISOString();
    return {
      pending,
      dependencyStates,
      nodes,
      offers,
      fairShare: { usage: this.store.jobs.spendByTeamSince(since), weights: this.opts.teamWeights },
    };
  }

  async tick(now: Date): Promise<Plan> {
    const plan = schedule(this.snapshot(now), now, {
      idleNodeSeconds: this.opts.idleNodeSeconds,
      cost: this.opts.cost,
    });
    await this.apply(plan, now);
    return plan;
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
        this.log.warn({ action: a, err: (err as Error).message }, 'plan action skipped');
      }
    }
    for (const u of plan.unplaced) {
      const job = this.store.jobs.get(u.jobId);
      if (job && job.reason !== u.message) this.store.jobs.update(u.jobId, now, { reason: u.message });
    }
  }
}

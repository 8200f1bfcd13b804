// In-process mode plays the node agents: for every node on the simulated cloud it reports what a real
// agent would (the node booted, the job started, the job finished after its estimated runtime in sim
// time, a reclaim notice arrived) through the very same report functions the agent API will call.

import type { CloudName, Job, NodeRecord } from '../../core/model.js';
import { lastSaveAt } from '../../core/progress.js';
import type { Reports } from '../../services/reports.js';
import type { Store } from '../../store/store.js';
import { NOTICE_SECONDS, type SimProvider } from './provider.js';

/** How closely the in-process agents follow the job contract; all off by default (the quickstart). */
export interface SimAgentsOptions {
  /**
   * Report a reclaim notice as a real agent does (the daemon's agent service then orders the checkpoint and
   * launches the replacement at once). Without it a notice only drains the node and its jobs run until it goes.
   */
  notice?: (nodeId: string, notice: { cloud: CloudName; deadline: string }, now: Date) => void;
  /** Jobs write a checkpoint every `checkpoint.everyMinutes` of job time while they run. */
  periodicCheckpoints?: boolean;
  /** A checkpoint ordered takes the job's `checkpoint.graceSeconds` (default 60) of job time, not none. */
  checkpointTakesGrace?: boolean;
}

export class SimAgents {
  constructor(
    private readonly store: Store,
    private readonly provider: SimProvider,
    private readonly reports: Reports,
    private readonly timeScale: number,
    /** How long the job runs on this node's GPU (its estimate is on the slowest GPU it accepts). */
    private readonly runtimeHours: (job: Job, node: NodeRecord) => number,
    private readonly opts: SimAgentsOptions = {},
  ) {}

  async tick(now: Date): Promise<void> {
    const instances = new Map((await this.provider.list()).map((i) => [i.nodeId, i]));
    // Before notices: a job told to checkpoint now has its last periodic checkpoint on record.
    if (this.opts.periodicCheckpoints) this.periodicCheckpoints(now);
    for (const node of this.store.nodes.list(['provisioning', 'ready', 'draining'])) {
      if (node.provider !== this.provider.name) continue;
      const inst = instances.get(node.id);
      if (!inst || inst.state === 'terminated') continue; // the reconciler handles vanished instances
      let state = node.state;
      if (state === 'provisioning' && inst.state === 'running' && node.providerId) {
        this.reports.nodeReady(node.id, now);
        state = 'ready';
      }
      // A notice drains the node; one that comes while the node still boots is acted on once it is up.
      if (inst.interruptedAt && state === 'ready') {
        if (this.opts.notice) {
          const goes = Date.parse(inst.interruptedAt) + (NOTICE_SECONDS[inst.cloud] * 1000) / this.timeScale;
          this.opts.notice(node.id, { cloud: inst.cloud, deadline: new Date(goes).toISOString() }, now);
        } else this.reports.notice(node.id, 'spot reclaim notice', now);
      }
    }
    this.runJobs(now);
  }

  /**
   * Starts jobs whose nodes are all ready, checkpoints jobs told to (at once: a simulated job saves instantly),
   * and finishes batch jobs whose sim runtime has passed.
   */
  private runJobs(now: Date): void {
    for (const job of this.store.jobs.inStates(['provisioning', 'running', 'checkpointing'])) {
      const nodes = job.nodeIds.map((id) => this.store.nodes.get(id));
      if (nodes.some((n) => !n || n.provider !== this.provider.name)) continue;
      if (job.state === 'provisioning') {
        if (nodes.every((n) => n?.state === 'ready')) this.reports.jobStarted(job.id, now);
        continue;
      }
      if (job.state === 'checkpointing') {
        const step = (job.checkpoint?.step ?? 0) + 1;
        // Saved when the order came plus the time a checkpoint takes; not yet when that is still ahead.
        const takes = ((job.spec.checkpoint?.graceSeconds ?? 60) * 1000) / this.timeScale;
        const savedAt = this.opts.checkpointTakesGrace ? new Date(Date.parse(job.updatedAt) + takes) : now;
        if (savedAt > now) continue;
        this.reports.checkpointed(job.id, { path: `step-${step}`, step, at: savedAt.toISOString() }, now);
        continue;
      }
      const node = nodes[0];
      if ((job.spec.kind ?? 'batch') === 'inference' || !job.spec.runtime || !job.startedAt || !node)
        continue;
      // What is left of its runtime after what its last checkpoint saved (a moved job resumes from there).
      const hours = this.runtimeHours(job, node) * (1 - job.progress);
      // The process ends exactly when its sim runtime is up, not at the tick that notices it: the run is
      // billed to that instant, as an agent reporting the exit time would.
      const endsAt = lastSaveAt(job)!.getTime() + (hours * 3_600_000) / this.timeScale;
      if (endsAt <= now.getTime()) this.reports.jobExited(job.id, 0, new Date(endsAt));
    }
  }

  /** Running jobs record the last periodic checkpoint they wrote by now (every `checkpoint.everyMinutes`). */
  private periodicCheckpoints(now: Date): void {
    for (const job of this.store.jobs.inStates(['running'])) {
      const every = job.spec.checkpoint?.everyMinutes;
      const node = job.nodeIds[0] ? this.store.nodes.get(job.nodeIds[0]) : null;
      if (every === undefined || !node || node.provider !== this.provider.name || !job.spec.runtime) continue;
      if ((job.spec.kind ?? 'batch') === 'inference' || !job.startedAt) continue;
      const since = lastSaveAt(job)!.getTime();
      const endsAt = since + (this.runtimeHours(job, node) * (1 - job.progress) * 3_600_000) / this.timeScale;
      const period = (every * 60_000) / this.timeScale;
      const at = since + Math.floor((Math.min(now.getTime(), endsAt) - since) / period) * period;
      if (at <= since || at >= endsAt) continue;
      const step = (job.checkpoint?.step ?? 0) + 1;
      this.reports.checkpointed(job.id, { path: `step-${step}`, step, at: new Date(at).toISOString() }, now);
    }
  }
}

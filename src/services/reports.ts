// What a node's agent reports, applied to the store: the node is ready, a job started or exited, a
// reclaim notice came, the node is gone. In-process simulation and (later) the agent API both call
// these, so there is one code path for what happens on a node.
import type { Logger } from 'pino';
import type { Checkpoint, Job, NodeRecord } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { Store } from '../store/store.js';
import { jobRunCost, nodeCost, type Providers } from './billing.js';
import type { ProgressMeter } from './progress.js';

export interface ReportsOptions {
  /** How long a pool stays blocked after one of its nodes was interrupted. */
  interruptionBlockSeconds: number;
  /** Closes a run that ends now and returns its cost: the spend ledger's closeRun; default: billing alone. */
  closeRun?: (job: Job, now: Date) => number;
}

export class Reports {
  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    private readonly progress: ProgressMeter,
    private readonly opts: ReportsOptions,
    private readonly log: Logger,
  ) {}

  nodeReady(nodeId: string, now: Date): void {
    const at = now.toISOString();
    this.store.nodes.transition(nodeId, 'ready', { readyAt: at, lastBusyAt: at });
    this.log.info({ nodeId }, 'node ready');
  }

  jobStarted(jobId: string, now: Date): void {
    this.store.tx(() => {
      const job = this.store.jobs.transition(jobId, 'running', 'started on its nodes', now, {
        startedAt: now.toISOString(),
      });
      for (const id of job.nodeIds) this.store.nodes.update(id, { lastBusyAt: now.toISOString() });
    });
    this.log.info({ jobId }, 'job running');
  }

  /** The job's process ended: 0 is success. Its run is billed and its nodes become idle. */
  jobExited(jobId: string, exitCode: number, now: Date): void {
    this.store.tx(() => {
      const job = this.mustGet(jobId);
      const cost = this.currentRunCost(job, now);
      const to = exitCode === 0 ? 'succeeded' : 'failed';
      this.store.jobs.transition(jobId, to, exitCode === 0 ? 'exited 0' : `exited ${exitCode}`, now, {
        finishedAt: now.toISOString(),
        addCostUsd: cost,
      });
      for (const id of job.nodeIds) this.store.nodes.update(id, { lastBusyAt: now.toISOString() });
      this.log.info({ jobId, state: to, runCostUsd: cost }, 'job finished');
    });
  }

  /**
   * The job wrote a checkpoint (its `latest.json` changed). While it runs, this is a periodic checkpoint: it is
   * recorded with the progress it saved, and the job runs on. When the job was told to checkpoint (it is
   * `checkpointing`: a notice, a consolidation, a deadline move), the checkpoint is what it resumes from: its
   * run is billed, its slots are given back and it is queued again to be placed for the work left — or, when a
   * budget ordered the checkpoint (`suspend` at the limit), it stops there (`suspended`) until the budget allows.
   */
  checkpointed(jobId: string, written: Checkpoint, now: Date): Job {
    return this.store.tx(() => {
      const job = this.mustGet(jobId);
      if (job.state !== 'running' && job.state !== 'checkpointing')
        throw new Error(`job ${jobId} is ${job.state}: no checkpoint expected`);
      const node = job.nodeIds[0] ? this.store.nodes.get(job.nodeIds[0]) : null;
      const checkpoint: Checkpoint = node ? { ...written, region: `${node.cloud}:${node.region}` } : written;
      // A manifest older than the last one recorded is a stale read of latest.json: nothing new saved.
      if (job.checkpoint && checkpoint.step < job.checkpoint.step) return job;
      const saved = new Date(Math.min(Date.parse(checkpoint.at), now.getTime()));
      const progress = this.progress.at(job, saved);
      const pct = `${(progress * 100).toFixed(1)}%`;
      if (job.state === 'running') {
        this.store.jobs.update(jobId, now, { checkpoint, progress });
        this.log.info({ jobId, step: checkpoint.step, progress }, 'periodic checkpoint');
        return this.mustGet(jobId);
      }
      const cost = this.currentRunCost(job, now);
      // Told to checkpoint for a budget suspension: the checkpoint stops the job until the budget allows it.
      const suspendedBy = this.store.budgets.suspendedBy(jobId);
      if (suspendedBy !== null) {
        for (const id of job.nodeIds) this.store.nodes.update(id, { lastBusyAt: now.toISOString() });
        const why = `suspended by budget ${suspendedBy}: checkpoint at step ${checkpoint.step} (${pct} done); resumes when the budget allows`;
        const suspended = this.store.jobs.transition(jobId, 'suspended', why, now, {
          checkpoint,
          progress,
          nodeIds: [],
          startedAt: null,
          addCostUsd: cost,
        });
        this.log.info({ jobId, step: checkpoint.step, policy: suspendedBy }, 'checkpointed; suspended');
        return suspended;
      }
      this.store.jobs.transition(
        jobId,
        'migrating',
        `checkpoint at step ${checkpoint.step} (${pct} done)`,
        now,
        {
          checkpoint,
          progress,
        },
      );
      for (const id of job.nodeIds) this.store.nodes.update(id, { lastBusyAt: now.toISOString() });
      const moved = this.store.jobs.transition(jobId, 'queued', `resumes from step ${checkpoint.step}`, now, {
        nodeIds: [],
        startedAt: null,
        addCostUsd: cost,
      });
      this.log.info({ jobId, step: checkpoint.step, progress, runCostUsd: cost }, 'checkpointed; moving');
      return moved;
    });
  }

  /**
   * A job told to checkpoint did not deliver in time (its grace period and the margin are over): it leaves its
   * nodes and resumes from what it last saved; the work since is lost.
   */
  checkpointMissed(jobId: string, now: Date): void {
    this.store.tx(() => {
      const job = this.mustGet(jobId);
      if (job.state !== 'checkpointing') return;
      const cost = this.currentRunCost(job, now);
      const from = job.checkpoint ? `step ${job.checkpoint.step}` : 'the start';
      for (const id of job.nodeIds) this.store.nodes.update(id, { lastBusyAt: now.toISOString() });
      // A budget suspension stops the job all the same, resuming later from what it last saved.
      const suspendedBy = this.store.budgets.suspendedBy(jobId);
      const to = suspendedBy ? 'suspended' : 'queued';
      const why = suspendedBy
        ? `suspended by budget ${suspendedBy}: no checkpoint in time, resumes from ${from}`
        : `no checkpoint in time: resumes from ${from}`;
      this.store.jobs.transition(jobId, to, why, now, {
        nodeIds: [],
        startedAt: null,
        addCostUsd: cost,
      });
    });
    this.log.warn({ jobId }, 'checkpoint missed; resuming from the last one saved');
  }

  /** A reclaim notice: the node drains and its pool is blocked, so nothing new lands there. */
  notice(nodeId: string, reason: string, now: Date): void {
    const node = this.store.nodes.get(nodeId);
    if (!node || node.state === 'draining' || node.state === 'terminating' || node.state === 'terminated')
      return;
    const until = new Date(now.getTime() + this.opts.interruptionBlockSeconds * 1000).toISOString();
    this.store.tx(() => {
      this.store.nodes.transition(nodeId, 'draining', { interruptedAt: now.toISOString() });
      this.store.offers.blockPool(poolKey(node), until, `interrupted: ${reason}`);
    });
    this.log.warn({ nodeId, pool: poolKey(node), blockedUntil: until }, 'interruption notice');
  }

  /**
   * The node is gone (reclaimed, or vanished at the cloud). Its jobs go back to the queue with their
   * run so far billed; the node is closed with its cost.
   */
  nodeLost(nodeId: string, reason: string, now: Date): void {
    this.store.tx(() => {
      const node = this.store.nodes.get(nodeId);
      if (!node || node.state === 'terminated') return;
      for (const job of this.jobsOn(nodeId)) {
        const cost = this.currentRunCost(job, now);
        this.store.jobs.transition(
          job.id,
          'queued',
          `node ${nodeId} lost: ${reason}; ${this.lostWork(job, node, now)}`,
          now,
          {
            nodeIds: [],
            startedAt: null,
            addCostUsd: cost,
          },
        );
      }
      if (node.state !== 'lost') this.store.nodes.transition(nodeId, 'lost');
      this.store.agents.revokeNode(nodeId, now);
      const terminatedAt = now.toISOString();
      const costUsd = nodeCost(this.providers, { ...node, terminatedAt }, now);
      this.store.nodes.transition(nodeId, 'terminated', { terminatedAt, costUsd });
    });
    this.log.warn({ nodeId, reason }, 'node lost');
  }

  /** What a job loses with its node: the work since its last checkpoint, said in its event. */
  private lostWork(job: Job, node: NodeRecord, now: Date): string {
    const from = job.checkpoint ? `step ${job.checkpoint.step}` : 'the start';
    if (job.state !== 'running' && job.state !== 'checkpointing') return `resumes from ${from}`;
    const lostHours =
      Math.max(0, this.progress.at(job, now) - job.progress) * this.progress.runtimeOn(job, node);
    return `resumes from ${from}, losing ${(lostHours * 60).toFixed(1)} min of work`;
  }

  jobsOn(nodeId: string): Job[] {
    return this.store.jobs.onNode(nodeId);
  }

  private currentRunCost(job: Job, now: Date): number {
    if (this.opts.closeRun) return this.opts.closeRun(job, now);
    return jobRunCost(this.store, this.providers, job, now);
  }

  private mustGet(jobId: string): Job {
    const job = this.store.jobs.get(jobId);
    if (!job) throw new Error(`job ${jobId} not found`);
    return job;
  }
}

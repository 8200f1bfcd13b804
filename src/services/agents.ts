// The daemon's side of the agent protocol (docs/agent-protocol.md): registration, heartbeats (job states in,
// assignments and commands out), notices, checkpoints and output. Everything an agent reports goes through
// Reports, the same path the in-process simulation uses, so there is one code path for what happens on a node.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type {
  AgentJobState,
  Assignment,
  CheckpointBody,
  Command,
  HeartbeatBody,
  HeartbeatReply,
  LogsBody,
  NoticeBody,
  RegisterBody,
  RegisterReply,
} from '../api/schemas/agent.js';
import { isTerminalJobState } from '../core/lifecycle.js';
import type { Job } from '../core/model.js';
import type { Store } from '../store/store.js';
import { ApiError } from './jobs.js';
import type { Reports } from './reports.js';

export interface AgentServiceOptions {
  heartbeatSeconds: number;
  nodeLostSeconds: number;
  /** The agent keeps this much of a notice in reserve (costModel.noticeMarginSeconds). */
  noticeMarginSeconds: number;
}

/** A job that does not say: the checkpoint signal and how long a checkpoint may take (job contract). */
const DEFAULT_SIGNAL = 'SIGUSR1';
const DEFAULT_GRACE_SECONDS = 60;

export class AgentService {
  /** Gang members that reported running, by job, until the whole gang does (rebuilt from heartbeats). */
  private readonly running = new Map<string, Set<string>>();

  constructor(
    private readonly store: Store,
    private readonly reports: Reports,
    private readonly opts: AgentServiceOptions,
    /** Called on a preempt notice with the jobs that must move: plans and launches their replacement now. */
    private readonly replace: (jobIds: string[], nodeId: string, now: Date) => void,
    private readonly log: Logger,
  ) {}

  /** The bootstrap token is spent; the node is ready and gets its session token. */
  register(bootstrapToken: string, body: RegisterBody, now: Date): RegisterReply {
    const nodeId = this.store.agents.nodeOf(bootstrapToken, 'bootstrap', now);
    if (!nodeId) throw new ApiError(401, 'unauthorized', 'unknown, expired or spent bootstrap token');
    if (nodeId !== body.nodeId)
      throw new ApiError(403, 'forbidden', `this bootstrap token is for node ${nodeId}, not ${body.nodeId}`);
    const token = this.store.tx(() => {
      if (!this.store.agents.spend(bootstrapToken, now))
        throw new ApiError(401, 'unauthorized', 'bootstrap token already spent');
      const node = this.store.nodes.get(nodeId);
      if (!node || node.state === 'terminated' || node.state === 'terminating' || node.state === 'lost')
        throw new ApiError(409, 'conflict', `node ${nodeId} is ${node?.state ?? 'unknown'}`);
      if (node.state === 'provisioning') this.reports.nodeReady(nodeId, now);
      this.store.agents.seen(nodeId, now, body.telemetry, body.agentVersion);
      return this.store.agents.issue(nodeId, 'session', now, null);
    });
    this.log.info({ nodeId, agentVersion: body.agentVersion, runtime: body.runtime }, 'agent registered');
    return { nodeId, token, heartbeatSeconds: this.opts.heartbeatSeconds };
  }

  /** The node a session token speaks for, or 401. Any call is a sign of life, not only heartbeats. */
  authenticate(token: string, now: Date): string {
    const nodeId = this.store.agents.nodeOf(token, 'session', now);
    if (!nodeId) throw new ApiError(401, 'unauthorized', 'unknown or revoked node token');
    this.store.agents.seen(nodeId, now, undefined);
    return nodeId;
  }

  heartbeat(nodeId: string, body: HeartbeatBody, now: Date): HeartbeatReply {
    if (body.telemetry) this.store.agents.seen(nodeId, now, body.telemetry);
    for (const s of body.jobs) this.applyJobState(nodeId, s, now);
    return this.orders(nodeId, body.jobs, now);
  }

  /**
   * A reclaim notice relayed by the agent (which has already told its jobs to checkpoint). A preempt drains the
   * node, blocks its pool, turns its checkpointing jobs to `checkpointing` and launches their replacement at
   * once; a rebalance recommendation or maintenance notice is recorded only.
   */
  notice(nodeId: string, body: NoticeBody, now: Date): { commands: Command[] } {
    this.store.agents.recordNotice({
      nodeId,
      cloud: body.cloud,
      kind: body.kind,
      deadline: body.deadline,
      receivedAt: now.toISOString(),
      ...(body.raw !== undefined ? { raw: body.raw } : {}),
    });
    if (body.kind !== 'preempt') {
      this.log.info({ nodeId, kind: body.kind }, 'notice recorded');
      return { commands: [] };
    }
    const goes = body.deadline ? ` (node goes at ${body.deadline})` : '';
    const moving: string[] = [];
    this.store.tx(() => {
      this.reports.notice(nodeId, `${body.cloud} ${body.kind} notice${goes}`, now);
      for (const job of this.store.jobs.onNode(nodeId)) {
        if (job.state !== 'running' || !job.spec.checkpoint) continue;
        this.store.jobs.transition(job.id, 'checkpointing', `reclaim notice on ${nodeId}${goes}`, now);
        moving.push(job.id);
      }
    });
    if (moving.length > 0) this.replace(moving, nodeId, now);
    return { commands: this.commands(nodeId, now) };
  }

  checkpoint(nodeId: string, body: CheckpointBody, now: Date): void {
    const job = this.ownJob(nodeId, body.jobId);
    this.reports.checkpointed(
      job.id,
      {
        path: body.path,
        step: body.step,
        at: body.at,
        ...(body.bytes !== undefined ? { bytes: body.bytes } : {}),
      },
      now,
    );
  }

  output(nodeId: string, body: LogsBody): void {
    // A node speaks for the jobs placed on it, and for jobs that just left it to move (their last lines come
    // after the checkpoint that moved them).
    const jobs = new Map<string, boolean>();
    const mayWrite = (jobId: string) => {
      if (!jobs.has(jobId)) {
        const job = this.store.jobs.get(jobId);
        jobs.set(
          jobId,
          !!job && (job.nodeIds.includes(nodeId) || job.state === 'queued' || job.state === 'suspended'),
        );
      }
      return jobs.get(jobId)!;
    };
    const logs = [];
    const metrics = [];
    for (const item of body.items) {
      if (!mayWrite(item.jobId)) continue;
      if ('text' in item) logs.push(item);
      else metrics.push(item);
    }
    this.store.output.addLogs(logs);
    this.store.output.addMetrics(metrics);
    if (body.dropped) this.log.warn({ nodeId, dropped: body.dropped }, 'agent dropped output lines');
  }

  /** Nodes whose agent went silent are lost: their jobs resume elsewhere from their last checkpoint. */
  tick(now: Date): void {
    const before = new Date(now.getTime() - this.opts.nodeLostSeconds * 1000);
    for (const nodeId of this.store.agents.silentSince(before)) {
      this.reports.nodeLost(nodeId, `no heartbeat for ${this.opts.nodeLostSeconds} s`, now);
      this.store.agents.revokeNode(nodeId, now);
    }
  }

  private applyJobState(nodeId: string, s: AgentJobState, now: Date): void {
    const job = this.store.jobs.get(s.jobId);
    if (!job?.nodeIds.includes(nodeId)) return;
    const at = s.at ? new Date(Math.min(Date.parse(s.at), now.getTime())) : now;
    if (s.state === 'running' && job.state === 'provisioning') {
      // A gang runs when every member runs: members report on their own heartbeats.
      const members = this.running.get(job.id) ?? new Set<string>();
      members.add(nodeId);
      this.running.set(job.id, members);
      if (job.nodeIds.every((n) => members.has(n))) {
        this.running.delete(job.id);
        this.reports.jobStarted(job.id, at);
      }
    }
    if (s.state === 'exited' && (job.state === 'running' || job.state === 'checkpointing'))
      this.reports.jobExited(job.id, s.exitCode ?? 1, at);
  }

  private orders(nodeId: string, reported: readonly AgentJobState[], now: Date): HeartbeatReply {
    const jobs = this.store.jobs.onNode(nodeId);
    const assigned = new Set(jobs.map((j) => j.id));
    const stops: Command[] = reported
      .filter((s) => s.state !== 'exited' && !assigned.has(s.jobId))
      .map((s): Command => {
        // A job that moved resumes elsewhere from its checkpoint: what this run does now is thrown away, and
        // a graceful stop would only let it write one more checkpoint into the directory the new run uses.
        const job = this.store.jobs.get(s.jobId);
        return job !== null && !isTerminalJobState(job.state)
          ? { kind: 'stop', jobId: s.jobId, reason: 'moved to another node', graceSeconds: 0 }
          : { kind: 'stop', jobId: s.jobId, reason: 'no longer placed on this node', graceSeconds: 30 };
      });
    return {
      assignments: jobs.flatMap((j) => this.assignments(j, nodeId)),
      commands: [...this.commands(nodeId, now), ...stops],
      heartbeatSeconds: this.opts.heartbeatSeconds,
    };
  }

  /** Checkpoint orders for the node's jobs that are `checkpointing`, with the time they have. */
  private commands(nodeId: string, now: Date): Command[] {
    const notice = this.store.agents
      .notices(nodeId)
      .filter((n) => n.kind === 'preempt')
      .at(-1);
    return this.store.jobs
      .onNode(nodeId)
      .filter((j) => j.state === 'checkpointing')
      .map((j) => {
        const grace = (j.spec.checkpoint?.graceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
        const byGrace = Date.parse(j.updatedAt) + grace;
        const byNotice = notice?.deadline
          ? Date.parse(notice.deadline) - this.opts.noticeMarginSeconds * 1000
          : Number.POSITIVE_INFINITY;
        const deadline = new Date(Math.max(now.getTime(), Math.min(byGrace, byNotice)));
        return {
          kind: 'checkpoint',
          jobId: j.id,
          reason: j.reason ?? 'checkpoint',
          deadline: deadline.toISOString(),
        };
      });
  }

  /** What the agent runs for each unit of the job on this node. */
  private assignments(job: Job, nodeId: string): Assignment[] {
    const spec = job.spec;
    const cp = spec.checkpoint;
    return this.store.slots
      .forJob(job.id)
      .filter((s) => s.nodeId === nodeId)
      .map((s) => ({
        jobId: job.id,
        unit: s.unit,
        slot: s.slot as Assignment['slot'],
        ...(spec.image ? { image: spec.image } : {}),
        ...(spec.command ? { command: [...spec.command] } : {}),
        env: { ...(spec.env ?? {}) },
        ...(cp ? { checkpointDir: cp.dir } : {}),
        ...(cp && job.checkpoint ? { resumeFrom: join(cp.dir, job.checkpoint.path) } : {}),
        checkpointSignal: cp?.signal ?? DEFAULT_SIGNAL,
        checkpointGraceSeconds: cp?.graceSeconds ?? DEFAULT_GRACE_SECONDS,
        ...(cp?.everyMinutes !== undefined ? { checkpointEveryMinutes: cp.everyMinutes } : {}),
      }));
  }

  private ownJob(nodeId: string, jobId: string): Job {
    const job = this.store.jobs.get(jobId);
    if (!job?.nodeIds.includes(nodeId))
      throw new ApiError(404, 'not_found', `job ${jobId} is not placed on node ${nodeId}`);
    return job;
  }
}

// One job run on this node, from start to exit: the runtime's handle, the job's state for heartbeats, its output
// on its way to the daemon, and its checkpoints (asked for with its signal, or written on its own) reported as
// the job's `latest.json` changes. The agent (agent.ts) owns one per job and decides when to start, signal and
// stop; this file carries that out and keeps the job's facts.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AgentJobState, Assignment } from '../api/schemas/agent.js';
import { assignmentKey, exitCodeOf, isUrlSignal, type JobDirectories, logsBody } from './assignment.js';
import type { CheckpointManifest } from './checkpoint.js';
import { type AgentClient, AgentHttpError } from './client.js';
import type { CommandJobView, JobState, JobView } from './decisions.js';
import type { AgentEvent, CheckpointCause } from './events.js';
import { readManifest, sameManifest, waitForNewManifest } from './manifests.js';
import { OutputBatcher } from './output.js';
import type { Runtime, WorkloadAssignment, WorkloadHandle } from './runtime/types.js';
import { deliverCheckpointSignal, settledWithin } from './signal.js';

/** The longest a notice's checkpoint waits for the notice to reach the daemon before it is reported. */
export const REPORT_AFTER_NOTICE_MAX_MS = 2_000;

export interface JobContext {
  readonly runtime: Runtime;
  readonly client: AgentClient;
  readonly log: Logger;
  readonly emit: (e: AgentEvent) => void;
  /** Something changed that the daemon should hear of soon (started, exited): an early heartbeat. */
  readonly changed: () => void;
  readonly fetch: typeof fetch;
  /** How often to look at latest.json while a checkpoint is awaited. */
  readonly checkpointPollMs: number;
  readonly outputFlushMs: number;
}

export interface CheckpointRequest {
  readonly cause: Exclude<CheckpointCause, 'periodic' | 'exit'>;
  readonly reason: string;
  /** Give up waiting for the manifest at this time (ms since the epoch). */
  readonly waitUntil: number;
  /** For a notice: when it was seen (performance.now()), to time notice → signal. */
  readonly noticeSeenHr?: number;
  /** Report only after this settles (the notice's POST, so the daemon knows the job is to move). */
  readonly reportAfter?: Promise<unknown>;
}

export interface CheckpointOutcome {
  readonly delivered: boolean;
  readonly manifest: CheckpointManifest | null;
}

export class JobRun {
  readonly jobId: string;
  readonly key: string;
  readonly log: Logger;
  private state: JobState = 'starting';
  private at: string | undefined;
  private exitCode: number | undefined;
  private handle: WorkloadHandle | undefined;
  private stopGraceMs: number | undefined;
  private silentExit = false;
  private readonly batcher: OutputBatcher;
  /** The newest manifest the daemon has (or is being sent); the job's baseline at start. */
  private reported: CheckpointManifest | null = null;
  private inFlight: Promise<CheckpointOutcome> | undefined;
  /** The checkpoint written for the reclaim notice in force. */
  private noticeManifest: CheckpointManifest | null = null;
  /** It wrote a checkpoint because it was told to (a notice, an order): the job moves on with that one. */
  movedWithCheckpoint = false;
  /** Ends every wait for a manifest: the job has exited (it writes no more), or the agent shuts down. */
  private readonly waits = new AbortController();
  /** A heartbeat the daemon answered carried `exited`. */
  exitReported = false;
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    readonly assignment: Assignment,
    readonly dirs: JobDirectories,
    readonly workload: WorkloadAssignment,
    private readonly ctx: JobContext,
  ) {
    this.jobId = assignment.jobId;
    this.key = assignmentKey(assignment);
    this.log = ctx.log.child({ jobId: this.jobId });
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
    this.batcher = new OutputBatcher({
      flushMs: ctx.outputFlushMs,
      send: async (batch) => {
        // One retry here; a batch that still fails goes back in the buffer for the next flush.
        await ctx.client.logs(logsBody(this.jobId, batch), { retries: 1 });
      },
    });
  }

  get checkpoints(): boolean {
    return this.dirs.checkpoints;
  }

  get stopping(): boolean {
    return this.stopGraceMs !== undefined;
  }

  get running(): boolean {
    return this.state === 'running' && this.handle !== undefined;
  }

  view(): JobView & CommandJobView {
    return {
      jobId: this.jobId,
      key: this.key,
      state: this.state,
      stopping: this.stopping,
      exitReported: this.exitReported,
      checkpoints: this.checkpoints,
      checkpointInFlight: this.inFlight !== undefined,
      noticeCheckpointDone: this.noticeManifest !== null,
    };
  }

  /** The job's line in a heartbeat; null for a run the agent stopped because it is going itself. */
  heartbeatState(): AgentJobState | null {
    if (this.silentExit && this.state === 'exited') return null;
    return {
      jobId: this.jobId,
      state: this.state,
      ...(this.state === 'exited' && this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
      ...(this.at !== undefined ? { at: this.at } : {}),
    };
  }

  /** Prepares the checkpoint directory and starts the workload. Never rejects: a failed start is an exit. */
  async start(): Promise<void> {
    this.at = new Date().toISOString();
    try {
      // The runtimes do not create it; a bucket mount or shared volume is already there and this is a no-op.
      await mkdir(this.dirs.checkpointDir, { recursive: true });
      if (this.checkpoints) this.reported = await this.readManifest();
      this.handle = await this.ctx.runtime.start(this.workload, { onLine: this.batcher.onLine });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // 127 as a shell says "command not found"; 126 for every other reason it could not be started.
      this.finish(err.code === 'ENOENT' ? 127 : 126, new Date());
      this.log.error({ err: err.message }, 'job could not be started');
      this.ctx.emit({ type: 'job-start-failed', jobId: this.jobId, error: err.message });
      return;
    }
    this.state = 'running';
    this.at = new Date().toISOString();
    this.log.info({ pid: this.handle.pid, resumeFrom: this.dirs.resumeFrom }, 'job started');
    this.ctx.emit({ type: 'job-started', jobId: this.jobId, at: Date.now(), pid: this.handle.pid });
    this.ctx.changed();
    void this.handle.exited.then((exit) => this.onExit(exitCodeOf(exit)));
    // Asked to stop while it was starting (unassigned, or the agent shuts down).
    if (this.stopGraceMs !== undefined) void this.handle.stop(this.stopGraceMs);
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`. `silent`: the agent is going, and the exit is not the job's end
   * (heartbeatState is then null): the daemon resumes the job from the checkpoint it wrote on its way out.
   */
  stop(graceMs: number, why: string, silent = false): void {
    if (this.stopping || this.state === 'exited') return;
    this.silentExit = silent;
    this.stopGraceMs = graceMs;
    this.log.info({ graceMs, why }, 'stopping job');
    if (this.handle) void this.handle.stop(graceMs);
  }

  /**
   * Delivers the checkpoint signal now, then waits for a newer `latest.json` until `waitUntil` and reports it.
   * A second request while one is in flight shares its outcome. Never rejects.
   */
  checkpoint(req: CheckpointRequest): Promise<CheckpointOutcome> {
    this.inFlight ??= this.takeCheckpoint(req).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The manifest of a checkpoint taken for the notice, reported again (an order for it came late). */
  async reportNoticeCheckpointAgain(): Promise<void> {
    if (this.noticeManifest) await this.report(this.noticeManifest, 'command', true);
  }

  /** The periodic look at latest.json: the job's own checkpoints, reported as they appear. */
  async poll(): Promise<void> {
    if (!this.checkpoints || this.state === 'exited' || this.inFlight) return;
    const m = await this.readManifest();
    if (m && !sameManifest(m, this.reported)) await this.report(m, 'periodic');
  }

  private async takeCheckpoint(req: CheckpointRequest): Promise<CheckpointOutcome> {
    const handle = this.handle;
    if (!handle || !this.checkpoints) return { delivered: false, manifest: null };
    // The manifest before the signal: only another one answers it. Read first, since a quick job may write the
    // new one before a read after the signal would see the old.
    const before = await this.readManifest();
    const signal = this.assignment.checkpointSignal;
    const signalledAt = Date.now();
    const delivered = await deliverCheckpointSignal(handle, signal, {
      jobId: this.jobId,
      reason: req.reason,
      fetch: this.ctx.fetch,
    }).catch((e: Error) => {
      this.log.warn({ err: e.message }, 'could not deliver the checkpoint signal');
      return false;
    });
    const hr = performance.now();
    const latencyMs = req.noticeSeenHr !== undefined ? hr - req.noticeSeenHr : undefined;
    this.log.info(
      { signal: isUrlSignal(signal) ? 'url' : signal, delivered, cause: req.cause, latencyMs },
      delivered ? 'checkpoint signal delivered' : 'checkpoint signal not delivered',
    );
    this.ctx.emit({
      type: 'checkpoint-signal',
      jobId: this.jobId,
      cause: req.cause,
      delivered,
      at: Date.now(),
      ...(latencyMs !== undefined ? { noticeToSignalMs: latencyMs } : {}),
    });
    if (!delivered) return { delivered, manifest: null };
    const manifest = await waitForNewManifest({
      dir: this.dirs.checkpointDir,
      before,
      notBefore: signalledAt,
      until: req.waitUntil,
      pollMs: this.ctx.checkpointPollMs,
      signal: this.waits.signal,
      onInvalid: (e) => this.log.warn({ err: e.message }, 'unusable checkpoint manifest'),
    });
    if (!manifest) {
      this.log.warn(
        { waitedUntil: new Date(req.waitUntil).toISOString() },
        'no checkpoint within the window',
      );
      this.ctx.emit({ type: 'checkpoint-missed', jobId: this.jobId, cause: req.cause });
      return { delivered, manifest };
    }
    if (req.cause === 'notice') this.noticeManifest = manifest;
    this.movedWithCheckpoint = true;
    // Not for long: a daemon slow to take the notice must not keep the checkpoint from it. Reported first, it is
    // taken as a periodic one, and the checkpoint order that follows the notice is answered with it again.
    if (req.reportAfter) await settledWithin(req.reportAfter, REPORT_AFTER_NOTICE_MAX_MS);
    // The job's last lines first: once the checkpoint moves it, its node may be gone within a second.
    if (req.cause === 'notice') await settledWithin(this.batcher.flush(), 2_000);
    await this.report(manifest, req.cause, req.cause === 'notice');
    return { delivered, manifest };
  }

  /**
   * Sends a manifest once (unless `force`: the same again). On a failure other than "not on this node" the
   * next look sends it again.
   */
  private async report(m: CheckpointManifest, cause: CheckpointCause, force = false): Promise<void> {
    if (!force && sameManifest(m, this.reported)) return;
    const previous = this.reported;
    this.reported = m;
    try {
      await this.ctx.client.checkpoint({
        jobId: this.jobId,
        step: m.step,
        path: m.path,
        at: new Date(m.at).toISOString(),
        ...(m.bytes !== undefined ? { bytes: m.bytes } : {}),
      });
    } catch (e) {
      const gone = e instanceof AgentHttpError && e.status === 404;
      if (!gone && this.reported === m) this.reported = previous;
      // 404: the job has left this node (moved after its checkpoint); what it wrote since is not the daemon's.
      if (gone) this.log.info({ step: m.step }, 'checkpoint not recorded: the job is no longer on this node');
      else this.log.warn({ err: (e as Error).message, step: m.step }, 'checkpoint not reported');
      return;
    }
    this.log.info({ step: m.step, path: m.path, cause }, 'checkpoint reported');
    this.ctx.emit({ type: 'checkpoint-reported', jobId: this.jobId, step: m.step, path: m.path, cause });
  }

  private readManifest(): Promise<CheckpointManifest | null> {
    return readManifest(this.dirs.checkpointDir, (e) =>
      this.log.debug({ err: e.message }, 'checkpoint manifest unreadable'),
    );
  }

  private async onExit(code: number): Promise<void> {
    const exitedAt = new Date();
    // The output first (bounded: a daemon that is down must not hold the exit back), then any checkpoint the
    // job wrote on its way out (SIGTERM), then the exit itself.
    await settledWithin(this.batcher.close(), 5_000);
    this.waits.abort();
    await this.inFlight;
    if (this.checkpoints) {
      const m = await this.readManifest();
      if (m && !sameManifest(m, this.reported)) await this.report(m, 'exit');
    }
    this.finish(code, exitedAt);
    this.log.info({ exitCode: code }, 'job exited');
    this.ctx.emit({ type: 'job-exited', jobId: this.jobId, exitCode: code, at: exitedAt.getTime() });
  }

  private finish(code: number, at: Date): void {
    this.state = 'exited';
    this.exitCode = code;
    this.at = at.toISOString();
    this.ctx.changed();
    this.markDone();
  }

  /** Stops waiting for manifests (the agent shuts down). */
  abortWaits(): void {
    this.waits.abort();
  }
}

// The node agent: `gpusched agent` on every node (docs/agent.md, "The agent process"; the protocol is
// docs/agent-protocol.md). It registers, then pulls: a heartbeat every few seconds carries telemetry and the
// jobs' states in, and brings assignments and commands out. It runs what it is assigned, stops what is not,
// forwards output, reports checkpoints as `latest.json` changes, and watches the cloud's metadata server every
// second. On a reclaim notice it acts at once and locally (notices.ts): the daemon is told in parallel.
import pino, { type Logger } from 'pino';
import type { Assignment, Command, HeartbeatReply, RegisterBody } from '../api/schemas/agent.js';
import type { AgentDeps, AgentOptions } from './agent-options.js';
import { gpuSelectionFor, jobDirectories, migUuids, protocolTelemetry, toWorkload } from './assignment.js';
import { AgentClient, AgentHttpError, abortableSleep } from './client.js';
import { commandKey, decideCommand, planReconcile, standingKeys } from './decisions.js';
import type { AgentEvent } from './events.js';
import { HeartbeatLoop } from './heartbeat.js';
import { readInstanceId } from './instance.js';
import { JobRun } from './job.js';
import { type AckingWatcher, handleNotice } from './notices.js';
import { connect } from './register.js';
import { createRuntime, type Runtime } from './runtime/index.js';
import { settledWithin } from './signal.js';
import { collect, type NodeTelemetry } from './telemetry.js';
import { createNoticeWatcher, DEFAULT_METADATA_ENDPOINTS, watch } from './watchers/index.js';

export type { AgentDeps, AgentOptions } from './agent-options.js';

/** Runs the agent until `options.signal` aborts. Rejects only when the daemon refuses to register the node. */
export async function runAgent(options: AgentOptions, deps: AgentDeps = {}): Promise<void> {
  const agent = new Agent(options, deps);
  await agent.run();
}

class Agent {
  private readonly log: Logger;
  private readonly client: AgentClient;
  private readonly runtime: Runtime;
  private readonly watcher: AckingWatcher;
  private readonly fetch: typeof fetch;
  private readonly jobs = new Map<string, JobRun>();
  private readonly handled = new Set<string>();
  private readonly warned = new Set<string>();
  /** Ends the loops (the agent's own signal, or a fatal error). */
  private readonly stop = new AbortController();
  private telemetry: NodeTelemetry | undefined;
  private heartbeatMs = 5_000;
  private readonly heartbeats: HeartbeatLoop;

  constructor(
    private readonly o: AgentOptions,
    private readonly deps: AgentDeps,
  ) {
    this.log = (deps.logger ?? pino({ name: 'gpusched-agent' })).child({ nodeId: o.nodeId });
    this.fetch = deps.fetch ?? ((input, init) => fetch(input, init));
    this.client = new AgentClient({
      ...deps.client,
      baseUrl: o.daemonUrl,
      token: o.token,
      fetch: this.fetch,
    });
    this.runtime = deps.runtime ?? createRuntime({ kind: o.runtime });
    this.watcher =
      deps.watcher ??
      createNoticeWatcher(o.cloud, {
        endpoint: this.endpoint,
        ...(o.vmName !== undefined ? { vmName: o.vmName } : {}),
      });
    if (o.heartbeatSeconds !== undefined) this.heartbeatMs = o.heartbeatSeconds * 1000;
    this.heartbeats = new HeartbeatLoop({
      beat: (urgent) => this.beat(urgent),
      intervalMs: () => this.heartbeatMs,
      log: this.log,
      signal: this.stop.signal,
      onError: (e) => {
        if (e instanceof AgentHttpError && e.status === 401) this.revoked();
      },
    });
  }

  private get endpoint(): string {
    return this.o.metadataEndpoint ?? DEFAULT_METADATA_ENDPOINTS[this.o.cloud];
  }

  emit(e: AgentEvent): void {
    try {
      this.deps.onEvent?.(e);
    } catch {
      // A listener's failure is not the agent's.
    }
  }

  async run(): Promise<void> {
    const outer = this.o.signal;
    const onAbort = () => this.stop.abort();
    if (outer?.aborted) return;
    outer?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.refreshTelemetry();
      const connected = await connect({
        client: this.client,
        bootstrapToken: this.o.token,
        session: this.deps.session,
        log: this.log,
        signal: this.stop.signal,
        emit: (e) => this.emit(e),
        firstBeat: () => this.beat(false),
        body: () => this.registerBody(),
      });
      if (connected === null) return;
      if (typeof connected === 'number' && this.o.heartbeatSeconds === undefined)
        this.heartbeatMs = connected * 1000;
      const loops = [
        this.heartbeats.run(),
        this.manifestLoop(),
        watch(this.watcher, {
          intervalMs: this.o.noticePollMs ?? 1000,
          signal: this.stop.signal,
          onNotice: (n) => handleNotice(this, n),
          onError: (err, info) =>
            this.log.warn({ err: err.message, ...info }, `metadata ${info.source} failed`),
          onRecovered: (failures) => this.log.info({ failures }, 'metadata endpoint answers again'),
        }),
      ];
      await new Promise<void>((resolve) => {
        if (this.stop.signal.aborted) resolve();
        this.stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.all(loops);
      await this.shutdown();
    } finally {
      outer?.removeEventListener('abort', onAbort);
    }
  }

  private async registerBody(): Promise<RegisterBody> {
    const instanceId = this.o.instanceId ?? (await readInstanceId(this.o.cloud, this.endpoint, this.fetch));
    return {
      nodeId: this.o.nodeId,
      cloud: this.o.cloud,
      agentVersion: this.o.agentVersion,
      runtime: this.o.runtime,
      ...(instanceId ? { instanceId } : {}),
      ...(this.telemetry ? { telemetry: protocolTelemetry(this.telemetry) } : {}),
    };
  }

  /** Asks for a heartbeat now (a job started or exited; `urgent`: a notice, which waits for no telemetry). */
  kick(urgent = false): void {
    this.heartbeats.kick(urgent);
  }

  private async beat(urgent: boolean): Promise<void> {
    if (!urgent) await this.refreshTelemetry();
    const runs = [...this.jobs.values()];
    const states = runs.flatMap((j) => j.heartbeatState() ?? []);
    const reply = await this.client.heartbeat(
      { ...(this.telemetry ? { telemetry: protocolTelemetry(this.telemetry) } : {}), jobs: states },
      { retries: urgent ? 2 : 1, signal: this.stop.signal },
    );
    const carried = new Set(states.filter((s) => s.state === 'exited').map((s) => s.jobId));
    for (const run of runs) if (carried.has(run.jobId)) run.exitReported = true;
    this.apply(reply);
  }

  private apply(reply: HeartbeatReply): void {
    if (this.o.heartbeatSeconds === undefined && reply.heartbeatSeconds > 0)
      this.heartbeatMs = reply.heartbeatSeconds * 1000;
    const standing = standingKeys(reply.commands);
    for (const key of this.handled) if (!standing.has(key)) this.handled.delete(key);
    if (this.stop.signal.aborted) return;
    this.reconcile(reply.assignments);
    this.commands(reply.commands);
  }

  private reconcile(assignments: readonly Assignment[]): void {
    const views = new Map([...this.jobs].map(([id, j]) => [id, j.view()]));
    const plan = planReconcile(assignments, views);
    for (const a of plan.duplicates)
      this.warnOnce(
        `dup|${a.jobId}|${a.unit}`,
        { jobId: a.jobId, unit: a.unit },
        'a second unit of a job on one node: only the lowest runs here',
      );
    for (const id of plan.forget) this.jobs.delete(id);
    for (const id of plan.stop) {
      const j = this.jobs.get(id);
      // A job that left with the checkpoint it was told to write goes at once: anything it did since is thrown
      // away, and a graceful stop would only let it write a stale checkpoint where the new run keeps its own.
      if (j?.movedWithCheckpoint) j.stop(0, 'moved with its checkpoint');
      else j?.stop((this.o.unassignedGraceSeconds ?? 30) * 1000, 'no longer assigned to this node');
    }
    for (const a of [...plan.restart, ...plan.start]) this.startJob(a);
  }

  private startJob(a: Assignment): void {
    const taken = new Set(
      [...this.jobs.values()]
        .filter((j) => j.view().state !== 'exited')
        .flatMap((j) => migUuids(j.workload.gpus)),
    );
    const choice = gpuSelectionFor(a.slot, this.telemetry?.gpus ?? [], taken);
    if (choice.note) this.log.warn({ jobId: a.jobId }, choice.note);
    const dirs = jobDirectories(a, {
      checkpointRoot: this.o.checkpointRoot,
      scratchRoot: this.o.scratchRoot,
    });
    const run = new JobRun(a, dirs, toWorkload(a, dirs, choice.gpus), {
      runtime: this.runtime,
      client: this.client,
      log: this.log,
      emit: (e) => this.emit(e),
      changed: () => this.kick(),
      fetch: this.fetch,
      checkpointPollMs: this.o.checkpointPollMs ?? 200,
      outputFlushMs: this.o.outputFlushMs ?? 1000,
    });
    this.jobs.set(a.jobId, run);
    void run.start();
  }

  /** Carries out the orders of an answer (a heartbeat's, or the notice's). */
  commands(commands: readonly Command[]): void {
    for (const c of commands) {
      const job = this.jobs.get(c.jobId);
      const action = decideCommand(c, job?.view(), this.handled);
      if (action.do === 'ignore') {
        this.log.debug({ jobId: c.jobId, command: c.kind, why: action.why }, 'command ignored');
        continue;
      }
      if (!job) continue;
      this.log.info({ jobId: c.jobId, command: c.kind, reason: c.reason, action: action.do }, 'command');
      if (action.do === 'stop') job.stop(action.graceMs, c.reason);
      else {
        this.handled.add(commandKey(c));
        if (action.do === 'checkpoint')
          void job.checkpoint({ cause: 'command', reason: c.reason, waitUntil: action.deadline });
        else if (action.do === 'report-again') void job.reportNoticeCheckpointAgain();
      }
    }
  }

  /** Jobs a notice concerns: running, able to checkpoint, not on their way out. */
  checkpointingJobs(): JobRun[] {
    return [...this.jobs.values()].filter((j) => j.running && j.checkpoints && !j.stopping);
  }

  /** Jobs running that cannot checkpoint (an Azure event is not acknowledged early while they run). */
  otherRunningJobs(): JobRun[] {
    return [...this.jobs.values()].filter((j) => j.view().state !== 'exited' && !j.checkpoints);
  }

  get logger(): Logger {
    return this.log;
  }
  get agentClient(): AgentClient {
    return this.client;
  }
  get noticeWatcher(): AckingWatcher {
    return this.watcher;
  }
  get options(): AgentOptions {
    return this.o;
  }

  private async manifestLoop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      await abortableSleep(this.o.manifestPollMs ?? 1000, this.stop.signal);
      for (const job of this.jobs.values()) await job.poll().catch(() => {});
    }
  }

  private async refreshTelemetry(): Promise<void> {
    this.telemetry = await (this.deps.collectTelemetry ?? (() => collect({ timeoutMs: 3000 })))().catch(
      () => this.telemetry,
    );
  }

  /** The daemon refuses the session token: the node was declared lost or terminated, its jobs moved on. */
  private revoked(): void {
    const live = [...this.jobs.values()].filter((j) => j.view().state !== 'exited' && !j.stopping);
    if (live.length === 0) return;
    this.log.error(
      'the daemon no longer accepts this node; stopping its jobs (they run elsewhere now, and two runs must not write one checkpoint directory)',
    );
    // At once: their work since the checkpoint they moved with is thrown away, and a graceful stop would let
    // them write one more checkpoint into the directory the new run uses.
    for (const j of live) j.stop(0, 'node token revoked');
  }

  private warnOnce(key: string, fields: object, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, msg);
  }

  /**
   * Stops every job with grace (SIGTERM: the job contract asks a job to checkpoint then), waits for them, and
   * reports what they wrote on the way out as checkpoints. Their exits are not reported: the node (or this
   * agent) going is not the jobs' end, and the daemon resumes them from those checkpoints (on this node after a
   * restart of the agent, elsewhere once the node is lost). Exits of jobs that ended on their own, or by a stop
   * command, go in one last heartbeat.
   */
  private async shutdown(): Promise<void> {
    const graceMs = (this.o.shutdownGraceSeconds ?? 20) * 1000;
    const live = [...this.jobs.values()].filter((j) => j.view().state !== 'exited');
    this.log.info({ jobs: live.length, graceMs }, 'agent stopping: stopping its jobs');
    for (const j of live) j.stop(graceMs, 'agent stopping', true);
    await settledWithin(Promise.all(live.map((j) => j.done)), graceMs + 10_000);
    for (const j of this.jobs.values()) j.abortWaits();
    const exits = [...this.jobs.values()]
      .flatMap((j) => (j.exitReported ? [] : (j.heartbeatState() ?? [])))
      .filter((s) => s.state === 'exited');
    if (exits.length > 0)
      await this.client
        .heartbeat({ jobs: exits }, { retries: 1, timeoutMs: 3000 })
        .catch((e: Error) => this.log.warn({ err: e.message }, 'last heartbeat failed'));
    this.log.info('agent stopped');
    this.emit({ type: 'stopped' });
  }
}

// Jobs and their events. Every state change goes through `transition`, which writes the new state and
// its event in one transaction and refuses moves the lifecycle does not allow.
//
// Open jobs (every state but the final ones) are also kept in memory, deep-frozen, in submission order: the
// control loop reads them many times a tick (scheduler, agents, progress, budgets) and writes a few of them, so
// reads come from memory and each write, once in the database, is applied to the copy as well. The database is
// the record: a rollback (Outbox.onRollback) drops the copy, and the next read loads it again. Only this
// process writes the database (docs/architecture.md), and only this repository writes the fields of a Job.

import type { JobSpec } from '../core/jobspec.js';
import {
  isTerminalJobState,
  JOB_STATES_ON_NODES,
  jobTransition,
  OPEN_JOB_STATES,
} from '../core/lifecycle.js';
import type { Checkpoint, Job, JobEvent, JobState } from '../core/model.js';
import { deepFreeze } from '../core/validate.js';
import type { Db } from './db.js';
import { Outbox } from './outbox.js';
import { SlotRepo } from './slots.js';

interface JobRow {
  seq: number;
  id: string;
  name: string;
  team: string;
  kind: string;
  state: JobState;
  reason: string | null;
  priority: number;
  spec: string;
  labels: string;
  depends_on: string;
  node_ids: string;
  submitted_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  cost_usd: number;
  expected_cost_usd: number | null;
  checkpoint: string | null;
  progress: number;
  safety_net: number;
}

function toJob(r: JobRow): Job {
  return toJobWith(r, JSON.parse(r.spec) as JobSpec);
}

function toJobWith(r: JobRow, spec: JobSpec): Job {
  return {
    id: r.id,
    name: r.name,
    team: r.team,
    spec,
    state: r.state,
    reason: r.reason,
    priority: r.priority,
    submittedAt: r.submitted_at,
    updatedAt: r.updated_at,
    dependsOn: JSON.parse(r.depends_on) as string[],
    nodeIds: JSON.parse(r.node_ids) as string[],
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    costUsd: r.cost_usd,
    expectedCostUsd: r.expected_cost_usd,
    checkpoint: r.checkpoint ? (JSON.parse(r.checkpoint) as Checkpoint) : null,
    progress: r.progress,
    safetyNet: r.safety_net === 1,
  };
}

export interface JobListQuery {
  team?: string;
  state?: JobState;
  /** All must match. */
  labels?: { key: string; value: string }[];
  limit: number;
  /** Return jobs older than this sequence number (newest first). */
  beforeSeq?: number;
}

/** Fields a transition may set at the same time as the state. */
export interface JobPatch {
  nodeIds?: string[];
  startedAt?: string | null;
  finishedAt?: string | null;
  addCostUsd?: number;
  expectedCostUsd?: number | null;
  checkpoint?: Checkpoint | null;
  progress?: number;
  safetyNet?: boolean;
}

export class JobRepo {
  /** Open jobs by id, in submission order (see the header); null until read, and after a rollback. */
  private open: Map<string, Job> | null = null;

  constructor(
    private readonly db: Db,
    /** Hears each state change after it commits (the event bus); the store shares one with NodeRepo. */
    readonly outbox: Outbox = new Outbox(db),
    /** The slots, which a job gives back when it leaves its nodes. */
    private readonly slots: SlotRepo = new SlotRepo(db, outbox),
  ) {
    outbox.onRollback(() => {
      this.open = null;
    });
  }

  private openJobs(): Map<string, Job> {
    if (!this.open) {
      const rows = this.db
        .prepare(
          `SELECT * FROM jobs WHERE state IN (${OPEN_JOB_STATES.map(() => '?').join(',')}) ORDER BY seq`,
        )
        .all(...OPEN_JOB_STATES) as JobRow[];
      this.open = new Map(rows.map((r) => [r.id, this.frozen(r)]));
    }
    return this.open;
  }

  /** The row as a deep-frozen job (later writes patch it and share its frozen spec: a spec never changes). */
  private frozen(r: JobRow): Job {
    const job = toJobWith(r, deepFreeze(JSON.parse(r.spec)) as JobSpec);
    Object.freeze(job.dependsOn);
    Object.freeze(job.nodeIds);
    if (job.checkpoint) Object.freeze(job.checkpoint);
    return Object.freeze(job);
  }

  /** After a write to the row: the in-memory copy follows it (a new job comes last: its seq is the highest). */
  private refresh(id: string): void {
    if (!this.open) return;
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (r && !isTerminalJobState(r.state)) this.open.set(id, this.frozen(r));
    else this.open.delete(id);
  }

  insert(job: Job): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, name, team, kind, state, reason, priority, spec, labels, depends_on, node_ids,
           submitted_at, updated_at, cost_usd)
         VALUES (@id, @name, @team, @kind, @state, @reason, @priority, @spec, @labels, @dependsOn, '[]',
           @submittedAt, @submittedAt, 0)`,
      )
      .run({
        id: job.id,
        name: job.name,
        team: job.team,
        kind: job.spec.kind ?? 'batch',
        state: job.state,
        reason: job.reason,
        priority: job.priority,
        spec: JSON.stringify(job.spec),
        labels: JSON.stringify(job.spec.labels ?? {}),
        dependsOn: JSON.stringify(job.dependsOn),
        submittedAt: job.submittedAt,
      });
    this.refresh(job.id);
    const event: JobEvent = {
      jobId: job.id,
      at: job.submittedAt,
      from: null,
      to: job.state,
      reason: 'submitted',
    };
    const seq = this.addEvent(event);
    this.outbox.push({ kind: 'job', ...event, seq, job: this.get(job.id)! });
    this.outbox.settle();
  }

  /** The job (deep-frozen while it is open). */
  get(id: string): Job | null {
    const cached = this.openJobs().get(id);
    if (cached) return cached;
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  /** The newest job of a team with this name (dependsOn may name jobs). */
  findByName(team: string, name: string): Job | null {
    const r = this.db
      .prepare('SELECT * FROM jobs WHERE team = ? AND name = ? ORDER BY seq DESC LIMIT 1')
      .get(team, name) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  list(q: JobListQuery): { jobs: Job[]; lastSeq: number | null; more: boolean } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit + 1 };
    if (q.team !== undefined) {
      where.push('team = @team');
      params.team = q.team;
    }
    if (q.state !== undefined) {
      where.push('state = @state');
      params.state = q.state;
    }
    q.labels?.forEach((l, i) => {
      where.push(
        `EXISTS (SELECT 1 FROM json_each(jobs.labels) WHERE key = @lkey${i} AND value = @lvalue${i})`,
      );
      params[`lkey${i}`] = l.key;
      params[`lvalue${i}`] = l.value;
    });
    if (q.beforeSeq !== undefined) {
      where.push('seq < @before');
      params.before = q.beforeSeq;
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    const rows = this.db.prepare(sql).all(params) as JobRow[];
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    return { jobs: page.map(toJob), lastSeq: page.length ? page[page.length - 1]!.seq : null, more };
  }

  /** Jobs in these states, in submission order (deep-frozen when every state is an open one). */
  inStates(states: readonly JobState[]): Job[] {
    if (states.every((s) => !isTerminalJobState(s))) {
      const out: Job[] = [];
      for (const job of this.openJobs().values()) if (states.includes(job.state)) out.push(job);
      return out;
    }
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY seq`)
      .all(...states) as JobRow[];
    return rows.map(toJob);
  }

  /** Jobs that hold the node now. */
  onNode(nodeId: string): Job[] {
    return this.inStates(JOB_STATES_ON_NODES).filter((j) => j.nodeIds.includes(nodeId));
  }

  /**
   * Each team's spend on jobs active since `since` (finished after it, or not finished): accrued cost of
   * finished runs. The measure behind fair share; runs in progress count once they end.
   */
  spendByTeamSince(since: string): Map<string, number> {
    // Open jobs (never finished: only a move to a final state stamps finished_at) from memory; the finished
    // ones through the finished_at index, not a scan of every job ever run (this is read at every tick).
    const spend = new Map<string, number>();
    const rows = this.db
      .prepare(
        'SELECT team, SUM(cost_usd) AS spend FROM jobs INDEXED BY jobs_finished_at WHERE finished_at >= ? GROUP BY team',
      )
      .all(since) as { team: string; spend: number }[];
    for (const r of rows) spend.set(r.team, r.spend);
    for (const j of this.openJobs().values()) spend.set(j.team, (spend.get(j.team) ?? 0) + j.costUsd);
    return spend;
  }

  /** Jobs that name this one in dependsOn. */
  dependents(id: string): Job[] {
    const rows = this.db
      .prepare('SELECT * FROM jobs WHERE EXISTS (SELECT 1 FROM json_each(jobs.depends_on) WHERE value = ?)')
      .all(id) as JobRow[];
    return rows.map(toJob);
  }

  events(jobId: string): JobEvent[] {
    const rows = this.db
      .prepare('SELECT at, from_state, to_state, reason FROM job_events WHERE job_id = ? ORDER BY seq')
      .all(jobId) as { at: string; from_state: JobState | null; to_state: JobState; reason: string }[];
    return rows.map((r) => ({ jobId, at: r.at, from: r.from_state, to: r.to_state, reason: r.reason }));
  }

  /**
   * Moves a job to `to` if the lifecycle allows it from the state it is in *now* (read inside the
   * transaction, so a concurrent change cannot be overwritten). Returns the updated job.
   */
  transition(id: string, to: JobState, reason: string, now: Date, patch: JobPatch = {}): Job {
    return this.outbox.run(() => {
      const job = this.get(id);
      if (!job) throw new Error(`job ${id} not found`);
      const event = jobTransition(job, to, reason, now);
      this.applyPatch(id, { ...patch }, { state: to, reason, updatedAt: event.at });
      const seq = this.addEvent(event);
      // A job that leaves its nodes gives its slots back in the same transaction, so no slot outlives its job.
      if (!JOB_STATES_ON_NODES.includes(to)) this.slots.removeJob(id);
      const updated = this.get(id)!;
      this.outbox.push({ kind: 'job', ...event, seq, job: updated });
      return updated;
    });
  }

  /** Changes fields without a state change (a queued job's reason, accrued cost). */
  update(id: string, now: Date, patch: JobPatch & { reason?: string | null }): void {
    const { reason, ...rest } = patch;
    this.applyPatch(id, rest, { updatedAt: now.toISOString(), ...(reason !== undefined ? { reason } : {}) });
  }

  private applyPatch(
    id: string,
    patch: JobPatch,
    base: { state?: JobState; reason?: string | null; updatedAt: string },
  ): void {
    const sets: string[] = ['updated_at = @updatedAt'];
    const params: Record<string, unknown> = { id, updatedAt: base.updatedAt };
    const set = (col: string, key: string, value: unknown) => {
      sets.push(`${col} = @${key}`);
      params[key] = value;
    };
    if (base.state !== undefined) set('state', 'state', base.state);
    if (base.reason !== undefined) set('reason', 'reason', base.reason);
    if (patch.nodeIds !== undefined) set('node_ids', 'nodeIds', JSON.stringify(patch.nodeIds));
    if (patch.startedAt !== undefined) set('started_at', 'startedAt', patch.startedAt);
    if (patch.finishedAt !== undefined) set('finished_at', 'finishedAt', patch.finishedAt);
    if (patch.expectedCostUsd !== undefined) set('expected_cost_usd', 'expected', patch.expectedCostUsd);
    if (patch.checkpoint !== undefined) {
      set('checkpoint', 'checkpoint', patch.checkpoint ? JSON.stringify(patch.checkpoint) : null);
    }
    if (patch.progress !== undefined) set('progress', 'progress', patch.progress);
    if (patch.safetyNet !== undefined) set('safety_net', 'safetyNet', patch.safetyNet ? 1 : 0);
    if (patch.addCostUsd !== undefined) {
      sets.push('cost_usd = cost_usd + @addCost');
      params.addCost = patch.addCostUsd;
    }
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = @id`).run(params);
    const cached = this.open?.get(id);
    if (!cached) {
      this.refresh(id);
      return;
    }
    // The copy follows the row without reading it back: the same fields, JSON columns through JSON as stored.
    const next: Job = { ...cached, updatedAt: base.updatedAt };
    if (base.state !== undefined) next.state = base.state;
    if (base.reason !== undefined) next.reason = base.reason;
    if (patch.nodeIds !== undefined) next.nodeIds = Object.freeze(JSON.parse(params.nodeIds as string));
    if (patch.startedAt !== undefined) next.startedAt = patch.startedAt;
    if (patch.finishedAt !== undefined) next.finishedAt = patch.finishedAt;
    if (patch.expectedCostUsd !== undefined) next.expectedCostUsd = patch.expectedCostUsd;
    if (patch.checkpoint !== undefined)
      next.checkpoint = patch.checkpoint ? Object.freeze(JSON.parse(params.checkpoint as string)) : null;
    if (patch.progress !== undefined) next.progress = patch.progress;
    if (patch.safetyNet !== undefined) next.safetyNet = patch.safetyNet;
    if (patch.addCostUsd !== undefined) next.costUsd = cached.costUsd + patch.addCostUsd;
    if (isTerminalJobState(next.state)) this.open!.delete(id);
    else this.open!.set(id, Object.freeze(next));
  }

  /** Writes the event; returns its job_events.seq. */
  private addEvent(e: JobEvent): number {
    return Number(
      this.db
        .prepare('INSERT INTO job_events (job_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)')
        .run(e.jobId, e.at, e.from, e.to, e.reason).lastInsertRowid,
    );
  }
}

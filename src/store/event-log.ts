// Reading the history behind GET /v1/events: job state changes (job_events) and alerts after a cursor, so that
// a client that reconnects with Last-Event-ID gets what it missed. Read-only; the rows are written by JobRepo
// and AlertRepo.
import type { StoredAlert } from '../alerts/notifier.js';
import type { JobState } from '../core/model.js';
import type { Db } from './db.js';

export interface JobEventRow {
  readonly seq: number;
  readonly jobId: string;
  readonly team: string;
  readonly name: string;
  readonly at: string;
  readonly from: JobState | null;
  readonly to: JobState;
  readonly reason: string;
}

export interface AlertRow {
  readonly id: number;
  readonly kind: StoredAlert['kind'];
  readonly policy: string;
  readonly team: string | null;
  readonly summary: string;
  readonly createdAt: string;
  readonly alert: StoredAlert;
}

/** Where the history stands: the newest job event and alert. */
export interface HistoryCursor {
  readonly jobSeq: number;
  readonly alertId: number;
}

export interface AfterQuery {
  /** Only this team's (a team caller, or an admin's ?team=); absent: all. */
  readonly team?: string | undefined;
  /** Only this job's. */
  readonly jobId?: string | undefined;
  /** At most this many rows, oldest first. */
  readonly limit: number;
}

export class EventLog {
  constructor(private readonly db: Db) {}

  cursor(): HistoryCursor {
    const r = this.db
      .prepare(
        `SELECT (SELECT COALESCE(MAX(seq), 0) FROM job_events) AS job_seq,
                (SELECT COALESCE(MAX(id), 0) FROM alerts) AS alert_id`,
      )
      .get() as { job_seq: number; alert_id: number };
    return { jobSeq: r.job_seq, alertId: r.alert_id };
  }

  jobEventsAfter(seq: number, q: AfterQuery): JobEventRow[] {
    const where = ['e.seq > @seq'];
    if (q.team !== undefined) where.push('j.team = @team');
    if (q.jobId !== undefined) where.push('e.job_id = @jobId');
    const rows = this.db
      .prepare(
        `SELECT e.seq, e.job_id, e.at, e.from_state, e.to_state, e.reason, j.team, j.name
         FROM job_events e JOIN jobs j ON j.id = e.job_id
         WHERE ${where.join(' AND ')} ORDER BY e.seq LIMIT @limit`,
      )
      .all({ seq, team: q.team, jobId: q.jobId, limit: q.limit }) as {
      seq: number;
      job_id: string;
      at: string;
      from_state: JobState | null;
      to_state: JobState;
      reason: string;
      team: string;
      name: string;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      jobId: r.job_id,
      team: r.team,
      name: r.name,
      at: r.at,
      from: r.from_state,
      to: r.to_state,
      reason: r.reason,
    }));
  }

  alertsAfter(id: number, q: Omit<AfterQuery, 'jobId'>): AlertRow[] {
    const where = ["id > @id AND status <> 'skipped'"];
    if (q.team !== undefined) where.push('team = @team');
    const rows = this.db
      .prepare(
        `SELECT id, kind, policy, team, summary, created_at, payload FROM alerts
         WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`,
      )
      .all({ id, team: q.team, limit: q.limit }) as {
      id: number;
      kind: StoredAlert['kind'];
      policy: string;
      team: string | null;
      summary: string;
      created_at: string;
      payload: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      policy: r.policy,
      team: r.team,
      summary: r.summary,
      createdAt: r.created_at,
      alert: JSON.parse(r.payload) as StoredAlert,
    }));
  }

  /** Failures (moves to `failed`) at or after `from` (ISO), oldest first: the input of the failing-job anomaly. */
  failuresSince(from: string): FailureRow[] {
    return (
      this.db
        .prepare(
          `SELECT e.job_id, j.team, j.name, e.at, e.reason FROM job_events e JOIN jobs j ON j.id = e.job_id
           WHERE e.to_state = 'failed' AND e.at >= ? ORDER BY e.seq`,
        )
        .all(from) as { job_id: string; team: string; name: string; at: string; reason: string }[]
    ).map((r) => ({ jobId: r.job_id, team: r.team, name: r.name, at: r.at, reason: r.reason }));
  }
}

/** A job's failure as job_events has it. */
export interface FailureRow {
  readonly jobId: string;
  readonly team: string;
  readonly name: string;
  readonly at: string;
  readonly reason: string;
}

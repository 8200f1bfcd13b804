// The budget ledger's tables (migration 0005_budget_ledger.sql): spend rows per job, node and interval; what
// budgets know of each job (its estimate at submission, whether a budget admitted it, which policy is
// suspending it); and the drift between the ledger and a cloud's billing.
import type { SpendPiece } from '../core/ledger.js';
import type { Db } from './db.js';

/** What budgets know of one job (columns of the jobs table). */
export interface JobBudget {
  /** Its expected cost and price per hour, estimated at submission; null when nothing could run it then. */
  readonly estimateUsd: number | null;
  readonly usdPerHour: number | null;
  /** False while a budget refuses it: it is held and commits nothing. */
  readonly admitted: boolean;
  /** The policy that ordered its suspension checkpoint, while it is being or stays suspended. */
  readonly suspendedBy: string | null;
}

/** Spend of jobs with one team and label set, in a window. */
export interface SpendGroup {
  readonly team: string;
  readonly labels: Record<string, string>;
  readonly usd: number;
}

export interface DriftRecord {
  readonly policy: string;
  readonly periodKey: string;
  readonly cloud: string;
  readonly fromDay: string;
  readonly toDay: string;
  readonly ledgerUsd: number;
  readonly billedUsd: number;
  readonly checkedAt: string;
}

interface JobBudgetRow {
  id: string;
  budget_estimate_usd: number | null;
  budget_usd_per_hour: number | null;
  budget_admitted: number;
  suspended_by: string | null;
}

function toBudget(r: JobBudgetRow): JobBudget {
  return {
    estimateUsd: r.budget_estimate_usd,
    usdPerHour: r.budget_usd_per_hour,
    admitted: r.budget_admitted === 1,
    suspendedBy: r.suspended_by,
  };
}

/** Σ usd × the share of the row inside [@start, @end): rows cut by a boundary count pro rata. */
const PRORATED = 'SUM(s.usd * (MIN(s.to_ms, @end) - MAX(s.from_ms, @start)) * 1.0 / (s.to_ms - s.from_ms))';

export class BudgetRepo {
  constructor(private readonly db: Db) {}

  /** Where the run's ledger ends: the end of its last row (epoch ms), null before its first accrual. */
  accruedTo(jobId: string, runStart: string): number | null {
    const r = this.db
      .prepare('SELECT MAX(to_ms) AS at FROM spend WHERE job_id = ? AND run_start = ?')
      .get(jobId, runStart) as { at: number | null };
    return r.at;
  }

  /**
   * Appends a piece of a run. It extends the run's last row on the same node when it follows on at the same
   * price and share and does not open a period, so a steady run is a handful of rows, not one per tick.
   */
  append(jobId: string, runStart: string, cloud: string, p: SpendPiece): void {
    if (p.to <= p.from) return;
    if (!p.opensPeriod) {
      const extended = this.db
        .prepare(
          `UPDATE spend SET to_ms = @to, hours = hours + @hours, usd = usd + @usd
           WHERE id = (SELECT id FROM spend WHERE job_id = @jobId AND run_start = @runStart AND node_id = @nodeId
                       ORDER BY to_ms DESC LIMIT 1)
             AND to_ms = @from AND price_per_hour = @price AND share = @share`,
        )
        .run({
          jobId,
          runStart,
          nodeId: p.nodeId,
          from: p.from,
          to: p.to,
          hours: p.hours,
          usd: p.usd,
          price: p.pricePerHour,
          share: p.share,
        });
      if (extended.changes > 0) return;
    }
    this.db
      .prepare(
        `INSERT INTO spend (job_id, run_start, node_id, cloud, from_ms, to_ms, price_per_hour, share, hours, usd)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(jobId, runStart, p.nodeId, cloud, p.from, p.to, p.pricePerHour, p.share, p.hours, p.usd);
  }

  /**
   * Cuts the run's rows back to `at` (an agent may report an end earlier than the last accrual): later rows go,
   * a row across `at` keeps its part before it.
   */
  trimRun(jobId: string, runStart: string, at: number): void {
    this.db
      .prepare('DELETE FROM spend WHERE job_id = ? AND run_start = ? AND from_ms >= ?')
      .run(jobId, runStart, at);
    this.db
      .prepare(
        `UPDATE spend SET hours = hours * (@at - from_ms) * 1.0 / (to_ms - from_ms),
           usd = usd * (@at - from_ms) * 1.0 / (to_ms - from_ms), to_ms = @at
         WHERE job_id = @jobId AND run_start = @runStart AND to_ms > @at`,
      )
      .run({ jobId, runStart, at });
  }

  /** What the run cost, all its rows together. */
  runTotal(jobId: string, runStart: string): number {
    const r = this.db
      .prepare('SELECT COALESCE(SUM(usd), 0) AS usd FROM spend WHERE job_id = ? AND run_start = ?')
      .get(jobId, runStart) as { usd: number };
    return r.usd;
  }

  /** Spend in [start, end) by team and label set (the inputs of policy scopes). */
  spentByGroup(start: number, end: number): SpendGroup[] {
    const rows = this.db
      .prepare(
        `SELECT j.team AS team, j.labels AS labels, ${PRORATED} AS usd
         FROM spend s JOIN jobs j ON j.id = s.job_id
         WHERE s.to_ms > @start AND s.from_ms < @end GROUP BY j.team, j.labels`,
      )
      .all({ start, end }) as { team: string; labels: string; usd: number }[];
    return rows.map((r) => ({
      team: r.team,
      labels: JSON.parse(r.labels) as Record<string, string>,
      usd: r.usd,
    }));
  }

  /** Spend of one cloud's nodes in [start, end), by node and by the team and labels of the jobs. */
  spentByNode(cloud: string, start: number, end: number): (SpendGroup & { nodeId: string })[] {
    const rows = this.db
      .prepare(
        `SELECT s.node_id AS nodeId, j.team AS team, j.labels AS labels, ${PRORATED} AS usd
         FROM spend s JOIN jobs j ON j.id = s.job_id
         WHERE s.cloud = @cloud AND s.to_ms > @start AND s.from_ms < @end GROUP BY s.node_id, j.team, j.labels`,
      )
      .all({ cloud, start, end }) as { nodeId: string; team: string; labels: string; usd: number }[];
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string> }));
  }

  /** The clouds the ledger has spend on in [start, end). */
  cloudsWithSpend(start: number, end: number): string[] {
    return (
      this.db
        .prepare('SELECT DISTINCT cloud FROM spend WHERE to_ms > ? AND from_ms < ? ORDER BY cloud')
        .all(start, end) as { cloud: string }[]
    ).map((r) => r.cloud);
  }

  // ---- what budgets know of jobs

  setJob(jobId: string, b: Omit<JobBudget, 'suspendedBy'>): void {
    this.db
      .prepare(
        'UPDATE jobs SET budget_estimate_usd = ?, budget_usd_per_hour = ?, budget_admitted = ? WHERE id = ?',
      )
      .run(b.estimateUsd, b.usdPerHour, b.admitted ? 1 : 0, jobId);
  }

  setAdmitted(jobId: string, admitted: boolean): void {
    this.db.prepare('UPDATE jobs SET budget_admitted = ? WHERE id = ?').run(admitted ? 1 : 0, jobId);
  }

  setSuspendedBy(jobId: string, policy: string | null): void {
    this.db.prepare('UPDATE jobs SET suspended_by = ? WHERE id = ?').run(policy, jobId);
  }

  /** The policy suspending the job, if one is. */
  suspendedBy(jobId: string): string | null {
    const r = this.db.prepare('SELECT suspended_by FROM jobs WHERE id = ?').get(jobId) as
      | { suspended_by: string | null }
      | undefined;
    return r?.suspended_by ?? null;
  }

  /** What budgets know of one job. */
  forJob(jobId: string): JobBudget | null {
    const r = this.db
      .prepare(
        'SELECT id, budget_estimate_usd, budget_usd_per_hour, budget_admitted, suspended_by FROM jobs WHERE id = ?',
      )
      .get(jobId) as JobBudgetRow | undefined;
    return r ? toBudget(r) : null;
  }

  /** What budgets know of the jobs in these states, by job id. */
  jobsIn(states: readonly string[]): Map<string, JobBudget> {
    const rows = this.db
      .prepare(
        `SELECT id, budget_estimate_usd, budget_usd_per_hour, budget_admitted, suspended_by FROM jobs
         WHERE state IN (${states.map(() => '?').join(',')})`,
      )
      .all(...states) as JobBudgetRow[];
    return new Map(rows.map((r) => [r.id, toBudget(r)]));
  }

  // ---- reconciliation

  putDrift(d: DriftRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO budget_drift (policy, period_key, cloud, from_day, to_day, ledger_usd, billed_usd, checked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.policy, d.periodKey, d.cloud, d.fromDay, d.toDay, d.ledgerUsd, d.billedUsd, d.checkedAt);
  }

  drift(policy: string, periodKey: string): DriftRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM budget_drift WHERE policy = ? AND period_key = ? ORDER BY cloud')
        .all(policy, periodKey) as {
        policy: string;
        period_key: string;
        cloud: string;
        from_day: string;
        to_day: string;
        ledger_usd: number;
        billed_usd: number;
        checked_at: string;
      }[]
    ).map((r) => ({
      policy: r.policy,
      periodKey: r.period_key,
      cloud: r.cloud,
      fromDay: r.from_day,
      toDay: r.to_day,
      ledgerUsd: r.ledger_usd,
      billedUsd: r.billed_usd,
      checkedAt: r.checked_at,
    }));
  }
}

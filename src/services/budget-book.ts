// Each policy's numbers now: spent (the ledger's rows in the period, plus what running jobs spent since their
// last accrual), committed (what the scope's admitted jobs are still expected to cost), the scope's price per
// hour of running jobs (the burn rate), the forecast to the end of the period, and its state. Read inside the
// caller's transaction, so that an admission decides on the numbers it then changes.
import {
  type BudgetState,
  budgetState,
  type Forecast,
  forecastSpend,
  type PeriodWindow,
  periodWindow,
} from '../core/budget.js';
import { overlapShare } from '../core/ledger.js';
import { JOB_STATES_ON_NODES, OPEN_JOB_STATES } from '../core/lifecycle.js';
import type { Job, JobState } from '../core/model.js';
import { scopeMatches } from '../policies/match.js';
import type { Policy } from '../policies/schema.js';
import type { JobBudget } from '../store/budgets.js';
import type { Store } from '../store/store.js';
import { RUN_STATES, type SpendLedger } from './ledger.js';
import type { ProgressMeter } from './progress.js';

export interface PolicyFigures {
  readonly policy: Policy;
  readonly window: PeriodWindow;
  spentUsd: number;
  committedUsd: number;
  /** What the scope's jobs on nodes cost per hour now. */
  runningUsdPerHour: number;
  readonly forecast: Forecast;
  readonly state: BudgetState;
}

/** A job as budgets see it: the job, what budgets know of it, and what it is still expected to cost. */
export interface BookJob {
  readonly job: Job;
  readonly budget: JobBudget;
  /** Its expected cost from now (estimate × work left; for a running job, see committedIn). */
  readonly remainingUsd: number;
}

export class BudgetBook {
  constructor(
    private readonly store: Store,
    private readonly ledger: SpendLedger,
    private readonly progress: ProgressMeter,
  ) {}

  /**
   * The open jobs (all that may still spend; suspended ones commit nothing until resumed) with what budgets know
   * of them; `exclude` leaves one out (a job being admitted).
   */
  jobs(now: Date, exclude?: string): BookJob[] {
    const known = this.store.budgets.jobsIn(OPEN_JOB_STATES);
    return this.store.jobs
      .inStates(OPEN_JOB_STATES)
      .filter((job) => job.id !== exclude)
      .map((job) => {
        const budget = known.get(job.id) ?? NO_BUDGET;
        return { job, budget, remainingUsd: this.remaining(job, budget, now) };
      });
  }

  /** Every policy's figures at `now`, by name. */
  figures(policies: readonly Policy[], now: Date, exclude?: string): Map<string, PolicyFigures> {
    const out = new Map<string, PolicyFigures>();
    // Without budgets there is nothing to count: a daemon with no policies pays nothing for them per tick.
    if (policies.length === 0) return out;
    const jobs = this.jobs(now, exclude);
    const running = jobs.filter((j) => isRunning(j.job));
    const tails = running.map((j) => ({ job: j.job, pieces: this.ledger.tail(j.job, now) }));
    const onNodes = jobs.filter((j) => JOB_STATES_ON_NODES.includes(j.job.state) && j.job.nodeIds.length > 0);
    const rates = new Map(onNodes.map((j) => [j.job.id, this.ledger.usdPerHour(j.job, now)]));
    const groups = new Map<string, ReturnType<Store['budgets']['spentByGroup']>>();

    for (const policy of policies) {
      const window = periodWindow(now, policy.period, policy.timezone);
      const start = window.start.getTime();
      const end = window.end.getTime();
      const key = `${start}|${end}`;
      if (!groups.has(key)) groups.set(key, this.store.budgets.spentByGroup(start, end));
      const inScope = (j: { team: string; spec?: Job['spec']; labels?: Record<string, string> }) =>
        scopeMatches(policy.scope, { team: j.team, labels: j.labels ?? j.spec?.labels });

      let spent = 0;
      for (const g of groups.get(key) ?? []) if (inScope(g)) spent += g.usd;
      for (const t of tails) {
        if (!inScope(t.job)) continue;
        for (const p of t.pieces) spent += p.usd * overlapShare(p.from, p.to, start, end);
      }
      let committed = 0;
      let perHour = 0;
      for (const j of jobs) {
        if (!inScope(j.job)) continue;
        committed += this.committedIn(j, now, window.end, rates.get(j.job.id));
        perHour += rates.get(j.job.id) ?? 0;
      }
      const forecast = forecastSpend({ window, now, accruedUsd: spent, committedUsd: committed });
      const state = budgetState({
        limitUsd: policy.limitUsd,
        accruedUsd: spent,
        committedUsd: committed,
        forecastUsd: forecast.usd,
        thresholds: policy.alerts.thresholds,
      });
      out.set(policy.name, {
        policy,
        window,
        spentUsd: spent,
        committedUsd: committed,
        runningUsdPerHour: perHour,
        forecast,
        state,
      });
    }
    return out;
  }

  /**
   * What an admitted job is still expected to cost within the period ending at `end`: a running job, its price
   * per hour × the hours it has left (its runtime on its GPU × the work left), at most until the period ends;
   * any other, its expected cost for the work left. A job a budget refused, or suspended, commits nothing.
   */
  committedIn(j: BookJob, now: Date, end: Date, usdPerHour?: number): number {
    if (!j.budget.admitted || j.job.state === 'suspended') return 0;
    if (!isRunning(j.job)) return j.remainingUsd;
    const toEnd = this.ledger.billableHours(j.job, now, end) ?? 0;
    const rate = usdPerHour ?? this.ledger.usdPerHour(j.job, now);
    return rate * Math.min(this.hoursLeft(j.job, now), toEnd);
  }

  /** The expected cost of the work the job has left, when it is not running. */
  private remaining(job: Job, budget: JobBudget, now: Date): number {
    // A placed job's quote is for the work left at placement, which is what it still has to do.
    if (JOB_STATES_ON_NODES.includes(job.state) && !job.startedAt && job.expectedCostUsd !== null)
      return job.expectedCostUsd;
    const left = 1 - Math.min(1, Math.max(0, this.progress.at(job, now)));
    return (budget.estimateUsd ?? job.expectedCostUsd ?? 0) * left;
  }

  /** Provider hours a running batch job has left; an inference deployment runs on (until the period ends). */
  private hoursLeft(job: Job, now: Date): number {
    if ((job.spec.kind ?? 'batch') === 'inference' || !job.spec.runtime) return Number.POSITIVE_INFINITY;
    const node = this.store.nodes.get(job.nodeIds[0] ?? '');
    if (!node) return 0;
    const left = 1 - Math.min(1, Math.max(0, this.progress.at(job, now)));
    return this.progress.runtimeOn(job, node) * left;
  }
}

/** A job whose run is billed now. */
export function isRunning(job: Job): boolean {
  return job.startedAt !== null && (RUN_STATES as readonly JobState[]).includes(job.state);
}

const NO_BUDGET: JobBudget = { estimateUsd: null, usdPerHour: null, admitted: true, suspendedBy: null };

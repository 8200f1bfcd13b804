// The budget tick, run by the control loop before the scheduler: it accrues the ledger (every `ledgerSeconds`),
// applies `suspend` to the scopes whose money is spent (checkpoint, then stop their running jobs), resumes the
// suspended jobs a budget allows again (a new period, a raised limit), and raises the alerts each policy owes,
// once per threshold per period (the alert store's unique key makes that hold across restarts).
import type { Logger } from 'pino';
import { alertsDue } from '../alerts/budget-alerts.js';
import type { StoredAlert } from '../alerts/notifier.js';
import { at, usd } from '../core/budget.js';
import type { Job } from '../core/model.js';
import { policiesFor, scopeMatches } from '../policies/match.js';
import type { Policy } from '../policies/schema.js';
import type { Store } from '../store/store.js';
import type { Alerts } from './alerts.js';
import type { BudgetBook, PolicyFigures } from './budget-book.js';
import { type Budgets, isBudgetReason } from './budgets.js';
import type { SpendLedger } from './ledger.js';

export interface EnforcerDeps {
  readonly store: Store;
  readonly ledger: SpendLedger;
  readonly book: BudgetBook;
  readonly budgets: Budgets;
  readonly policies: () => readonly Policy[];
  readonly alerts: Alerts;
  /** Wall seconds between accruals of the ledger (spent is exact in between: it adds the unwritten part). */
  readonly ledgerSeconds: number;
  readonly log: Logger;
}

export class BudgetEnforcer {
  private lastAccrual = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: EnforcerDeps) {}

  tick(now: Date): void {
    const { store, ledger, book } = this.deps;
    if (now.getTime() - this.lastAccrual >= this.deps.ledgerSeconds * 1000) {
      ledger.accrue(now);
      this.lastAccrual = now.getTime();
    }
    const policies = this.deps.policies();
    const figures = book.figures(policies, now);
    for (const policy of policies) {
      const f = figures.get(policy.name)!;
      const affected =
        policy.action === 'suspend' && f.state === 'exceeded' ? this.suspend(policy, f, now) : undefined;
      this.raiseAlerts(
        policy,
        f,
        now,
        affected ?? (policy.action === 'block-new' ? this.held(policy) : undefined),
      );
    }
    store.tx(() => this.resume(policies, figures, now));
  }

  /**
   * The scope's money is spent: its running jobs are told to checkpoint, and marked, so that the checkpoint
   * stops them (`suspended`, services/reports.ts) instead of moving them. Returns how many of the scope's jobs
   * are suspended or being suspended.
   */
  private suspend(policy: Policy, f: PolicyFigures, now: Date): number {
    const { store } = this.deps;
    const reason = `budget ${policy.name} reached its limit (${usd(f.spentUsd)} spent of ${usd(policy.limitUsd)}): checkpointing to suspend until the period ends ${at(f.window.end, f.window.timezone)}`;
    let count = 0;
    for (const job of store.jobs.inStates(['running', 'checkpointing', 'suspended'])) {
      if (!inScope(policy, job)) continue;
      const by = store.budgets.suspendedBy(job.id);
      if (job.state === 'suspended') {
        if (by === policy.name) count++;
        continue;
      }
      count++;
      if (by !== null) continue;
      store.tx(() => {
        store.budgets.setSuspendedBy(job.id, policy.name);
        if (job.state === 'running') store.jobs.transition(job.id, 'checkpointing', reason, now);
      });
      this.deps.log.warn({ jobId: job.id, policy: policy.name }, 'suspending a job: its budget is spent');
    }
    return count;
  }

  /**
   * Suspended jobs go back to the queue once every policy that applies admits them again (their remaining cost
   * fits what is left, as at submission); each resumed job's cost counts before the next is looked at.
   */
  private resume(policies: readonly Policy[], figures: Map<string, PolicyFigures>, now: Date): void {
    const { store, budgets } = this.deps;
    for (const job of store.jobs.inStates(['suspended'])) {
      const budget = store.budgets.forJob(job.id);
      if (!budget?.suspendedBy) continue;
      const applying = policiesFor(policies, { team: job.team, labels: job.spec.labels });
      const cost = (budget.estimateUsd ?? job.expectedCostUsd ?? 0) * (1 - Math.min(1, job.progress));
      const estimate = { usd: cost, usdPerHour: budget.usdPerHour ?? 0 };
      const decision = budgets.decide(job, applying, estimate, figures, { burnRate: 'running' });
      if (!decision.allow) continue;
      const from = job.checkpoint ? `step ${job.checkpoint.step}` : 'the start';
      store.jobs.transition(
        job.id,
        'queued',
        `budget ${budget.suspendedBy} allows it again: resumes from ${from}`,
        now,
      );
      store.budgets.setSuspendedBy(job.id, null);
      store.budgets.setAdmitted(job.id, true);
      for (const p of applying) {
        const f = figures.get(p.name);
        if (f) f.committedUsd += cost;
      }
      this.deps.log.info({ jobId: job.id }, 'resuming a suspended job: its budget allows it again');
    }
  }

  /** Jobs of the scope held by a budget now (what `block-new` did). */
  private held(policy: Policy): number {
    return this.deps.store.jobs
      .inStates(['held'])
      .filter((job) => inScope(policy, job) && isBudgetReason(job.reason)).length;
  }

  private raiseAlerts(policy: Policy, f: PolicyFigures, now: Date, affected: number | undefined): void {
    const { store, alerts } = this.deps;
    const periodKey = f.window.key;
    const raised = {
      thresholds: store.alerts.thresholdsRaised(policy.name, periodKey),
      forecast:
        store.alerts.find({ kind: 'forecast', policy: policy.name, periodKey, threshold: 0 }) !== null,
      limit: store.alerts.find({ kind: 'limit', policy: policy.name, periodKey, threshold: 100 }) !== null,
    };
    const spend = { accruedUsd: f.spentUsd, committedUsd: f.committedUsd, forecastUsd: f.forecast.usd };
    for (const due of alertsDue(policy, f.window, spend, raised)) {
      const alert: StoredAlert =
        due.alert.kind === 'limit' && affected !== undefined
          ? { ...due.alert, affectedJobs: affected }
          : due.alert;
      if (due.status === 'skipped') {
        store.alerts.insertIfNew({ alert, slack: policy.alerts.slack ?? null, status: 'skipped' }, now);
      } else {
        alerts.raise(alert, now, policy.alerts.slack);
      }
    }
  }
}

function inScope(policy: Policy, job: Job): boolean {
  return scopeMatches(policy.scope, { team: job.team, labels: job.spec.labels });
}

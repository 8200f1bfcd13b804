// From a policy and its spend to the alerts it owes: the glue between the budget math (core/budget.ts), the
// policies and the alert history. Pure: the caller reads what was already raised from the AlertRepo, records
// each due alert with insertIfNew (its status included), and sends the `pending` ones that are new.
import { newlyCrossed, type PeriodWindow, reached, USD_EPSILON } from '../core/budget.js';
import { formatPolicyIssue, type PolicyIssue, type PolicySet } from '../policies/load.js';
import { describeScope, teamOfScope } from '../policies/match.js';
import type { Policy } from '../policies/schema.js';
import type { Alert, BudgetFacts, StoredAlert } from './notifier.js';

export interface SpendSnapshot {
  /** Spent in the period so far. */
  readonly accruedUsd: number;
  /** Still to be spent in the period by running and admitted jobs. */
  readonly committedUsd: number;
  /** forecastSpend(...).usd */
  readonly forecastUsd: number;
}

/** What this period has already raised for the policy (AlertRepo.thresholdsRaised and find). */
export interface RaisedSoFar {
  readonly thresholds: readonly number[];
  readonly forecast: boolean;
  readonly limit: boolean;
}

export interface DueAlert {
  readonly alert: StoredAlert;
  /** `pending`: to send; `skipped`: to record as passed, never sent (a higher alert says it). */
  readonly status: 'pending' | 'skipped';
}

/** The facts every budget alert of `policy` carries, for this period and spend. */
export function budgetFacts(policy: Policy, window: PeriodWindow, spend: SpendSnapshot): BudgetFacts {
  return {
    policy: policy.name,
    source: `${policy.source.file}:${policy.source.line}`,
    scope: describeScope(policy.scope),
    team: teamOfScope(policy.scope),
    period: window.period,
    periodKey: window.key,
    periodStart: window.start.toISOString(),
    periodEnd: window.end.toISOString(),
    timezone: window.timezone,
    limitUsd: policy.limitUsd,
    spentUsd: spend.accruedUsd,
    committedUsd: spend.committedUsd,
    forecastUsd: spend.forecastUsd,
    action: policy.action,
  };
}

/**
 * The alerts the policy owes now, in the order to send them:
 * - `forecast`, once a period, when alerts.forecast is on and the forecast passes the limit while the money
 *   spent has not yet reached it;
 * - `threshold` for each threshold newly reached by the money spent: the highest is sent, lower ones passed
 *   at the same time are recorded as skipped;
 * - `limit`, once a period, when the money spent reaches the limit, whatever the thresholds. A threshold of
 *   100 % or less crossed together with it is skipped: "limit reached" says more.
 */
export function alertsDue(
  policy: Policy,
  window: PeriodWindow,
  spend: SpendSnapshot,
  raised: RaisedSoFar,
): DueAlert[] {
  const facts = budgetFacts(policy, window, spend);
  const due: DueAlert[] = [];
  const limitReached = reached(spend.accruedUsd, policy.limitUsd, 100);

  if (
    policy.alerts.forecast &&
    !raised.forecast &&
    !limitReached &&
    spend.forecastUsd > policy.limitUsd + USD_EPSILON
  ) {
    due.push({ alert: { ...facts, kind: 'forecast' }, status: 'pending' });
  }

  const limitNow = limitReached && !raised.limit;
  const { crossed, highest } = newlyCrossed({
    thresholds: policy.alerts.thresholds,
    limitUsd: policy.limitUsd,
    spentUsd: spend.accruedUsd,
    alreadySent: raised.thresholds,
  });
  for (const threshold of crossed) {
    const send = threshold === highest && !(limitNow && threshold <= 100);
    due.push({
      alert: { ...facts, kind: 'threshold', thresholdPercent: threshold },
      status: send ? 'pending' : 'skipped',
    });
  }

  if (limitNow) due.push({ alert: { ...facts, kind: 'limit' }, status: 'pending' });
  return due;
}

/** The "policy file invalid" alert for a refused change (PolicyWatcher's onError). */
export function policyInvalidAlert(
  dir: string,
  issues: readonly PolicyIssue[],
  kept: PolicySet,
  fingerprint: string,
  now: Date,
): Extract<Alert, { kind: 'policy-invalid' }> {
  return {
    kind: 'policy-invalid',
    dir,
    issues: issues.map(formatPolicyIssue),
    files: [...new Set(issues.map((issue) => issue.file))],
    keptPolicies: kept.policies.length,
    fingerprint,
    at: now.toISOString(),
  };
}

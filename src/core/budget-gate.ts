// What budgets say of an admitted job when the scheduler is about to place it: its money was counted when it
// was admitted, so only the actions at the limit and the burn-rate cap can stop it now. Pure: the policies'
// figures come in. (A job a budget refused at admission goes through decideAdmission again instead.)
import { at, type BudgetAction, type PeriodWindow, reached, USD_EPSILON, usd } from './budget.js';
import type { BudgetVerdict } from './schedule.js';

export interface GatePolicy {
  readonly name: string;
  readonly action: BudgetAction;
  readonly limitUsd: number;
  readonly burnRateUsdPerHour?: number | undefined;
  readonly window: Pick<PeriodWindow, 'end' | 'timezone'>;
  readonly spentUsd: number;
  /** Spent + committed of the scope, this job's commitment included. */
  readonly committedUsd: number;
  /** What the scope's jobs on nodes cost per hour now (and those let through earlier in this pass). */
  readonly runningUsdPerHour: number;
}

export interface GateJob {
  /** Its price per hour where it would run; null when unknown (the burn-rate cap is then not checked). */
  readonly usdPerHour: number | null;
  readonly market?: 'spot' | 'on-demand' | 'auto' | undefined;
}

/**
 * The verdict of every policy that applies, in order; the first hold wins, spot-only if any says so, null when
 * the job is free to go.
 * - `block-new` and `suspend` hold it once the money spent has reached the limit (running work outspent the
 *   estimates): nothing new starts until the period ends;
 * - `spot-only` narrows it to spot once spent + committed pass the limit (a job that insists on on-demand is
 *   held);
 * - the burn-rate cap holds it while the scope's running jobs and it together would cost more per hour.
 */
export function placementVerdict(policies: readonly GatePolicy[], job: GateJob): BudgetVerdict | null {
  let spotOnly: BudgetVerdict | null = null;
  for (const p of policies) {
    const reopens = `until the period ends ${at(p.window.end, p.window.timezone)}`;
    if ((p.action === 'block-new' || p.action === 'suspend') && reached(p.spentUsd, p.limitUsd, 100)) {
      return {
        kind: 'hold',
        reason: `budget ${p.name} is used up: ${usd(p.spentUsd)} spent of ${usd(p.limitUsd)}; new jobs wait ${reopens}`,
      };
    }
    if (p.action === 'spot-only' && p.spentUsd + p.committedUsd > p.limitUsd + USD_EPSILON) {
      if (job.market === 'on-demand') {
        return {
          kind: 'hold',
          reason: `budget ${p.name} is at its limit of ${usd(p.limitUsd)} and admits only spot jobs; this job asks for on-demand; it waits ${reopens}`,
        };
      }
      spotOnly ??= {
        kind: 'spot-only',
        reason: `budget ${p.name} is at its limit of ${usd(p.limitUsd)}: spot capacity only ${reopens}`,
      };
    }
    const cap = p.burnRateUsdPerHour;
    if (cap === undefined || job.usdPerHour === null) continue;
    if (job.usdPerHour > cap + USD_EPSILON) {
      return {
        kind: 'hold',
        reason: `budget ${p.name} caps spending at ${usd(cap)}/h and this job alone costs ${usd(job.usdPerHour)}/h; it cannot run under it`,
      };
    }
    if (p.runningUsdPerHour + job.usdPerHour > cap + USD_EPSILON) {
      return {
        kind: 'hold',
        reason: `budget ${p.name} caps spending at ${usd(cap)}/h; running jobs cost ${usd(p.runningUsdPerHour)}/h and this one adds ${usd(job.usdPerHour)}/h; it waits until running jobs finish`,
      };
    }
  }
  return spotOnly;
}

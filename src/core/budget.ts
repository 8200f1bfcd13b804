// Budget math: which period an instant falls in (in the policy's time zone, exact across DST), the forecast to
// the end of that period, which alert thresholds a spend has newly crossed, a policy's state, and the admission
// decision for one job against one policy. Pure: every input comes in (the instant included), nothing is read.
// The ledger (accrued and committed spend) and the transaction around admission belong to the budget service.

import { DateTime, IANAZone } from 'luxon';

export const PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type Period = (typeof PERIODS)[number];

/**
 * What happens when a policy's limit is reached:
 * - `alert`: nothing is held; the limit only raises an alert (a soft budget);
 * - `block-new`: jobs in scope are held at admission; running jobs go on;
 * - `spot-only`: new jobs in scope are admitted on spot capacity only;
 * - `suspend`: new jobs are held, and running jobs in scope are checkpointed, then stopped.
 */
export const BUDGET_ACTIONS = ['alert', 'block-new', 'spot-only', 'suspend'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

/** Money compares with this slack: sums of float prices must not refuse a job over a millionth of a cent. */
export const USD_EPSILON = 1e-6;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------------------------------------
// Periods

/** One budget period: `[start, end)` in UTC instants, and a key that names it in its zone. */
export interface PeriodWindow {
  readonly period: Period;
  readonly timezone: string;
  /** The first instant of the period (inclusive). */
  readonly start: Date;
  /** The first instant of the next period (exclusive). */
  readonly end: Date;
  /** `2026-03-08` (daily), `2026-W10` (weekly, ISO week-year and week), `2026-03` (monthly). */
  readonly key: string;
}

/** True when luxon knows the zone (`Europe/Berlin`, `UTC`); names are matched without regard to case. */
export function isValidTimeZone(zone: string): boolean {
  let valid = ZONES.get(zone);
  if (valid === undefined) {
    // Luxon asks Intl afresh each time, which is slow; the answer for a name does not change.
    valid = IANAZone.isValidZone(zone);
    if (ZONES.size >= 1024) ZONES.clear();
    ZONES.set(zone, valid);
  }
  return valid;
}

const ZONES = new Map<string, boolean>();

interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * The period of `period` kind that contains `at` in `timezone`. Days, weeks (ISO: from Monday) and months
 * start at local midnight; where a zone skips midnight (a DST change at 00:00) the period starts at the first
 * local time that exists, and where midnight happens twice, at the first of them. A period's end is always the
 * next one's start, so periods tile time without gaps or overlaps, and a DST day lasts 23 or 25 hours.
 * Throws a RangeError for a zone luxon does not know (the policy loader refuses those first).
 */
export function periodWindow(at: Date, period: Period, timezone: string): PeriodWindow {
  if (!isValidTimeZone(timezone)) throw new RangeError(`unknown IANA time zone "${timezone}"`);
  const local = DateTime.fromMillis(at.getTime(), { zone: timezone });
  let first = firstDay({ year: local.year, month: local.month, day: local.day }, period, local.weekday);
  // A zone whose clock goes back over midnight (00:30 → 23:30) shows the new date briefly before the old one
  // returns; the day starts once it is there for good, so such an instant belongs to the period before.
  for (let step = 0; step < 3; step++) {
    const start = startOfLocalDate(first, timezone);
    const next = shift(first, period, 1);
    const end = startOfLocalDate(next, timezone);
    if (at.getTime() < start) first = shift(first, period, -1);
    else if (at.getTime() >= end) first = next;
    else return { period, timezone, start: new Date(start), end: new Date(end), key: keyOf(first, period) };
  }
  throw new RangeError(`no ${period} period contains ${at.toISOString()} in ${timezone}`);
}

/** The period right after `window` (its start is `window.end`). */
export function nextPeriod(window: PeriodWindow): PeriodWindow {
  return periodWindow(window.end, window.period, window.timezone);
}

function firstDay(date: LocalDate, period: Period, isoWeekday: number): LocalDate {
  switch (period) {
    case 'daily':
      return date;
    case 'weekly':
      return addDays(date, 1 - isoWeekday);
    case 'monthly':
      return { year: date.year, month: date.month, day: 1 };
  }
}

function shift(first: LocalDate, period: Period, by: number): LocalDate {
  switch (period) {
    case 'daily':
      return addDays(first, by);
    case 'weekly':
      return addDays(first, 7 * by);
    case 'monthly': {
      const months = first.year * 12 + (first.month - 1) + by;
      return { year: Math.floor(months / 12), month: (months % 12) + 1, day: 1 };
    }
  }
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function keyOf(first: LocalDate, period: Period): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  switch (period) {
    case 'daily':
      return `${first.year}-${pad(first.month)}-${pad(first.day)}`;
    case 'weekly': {
      // ISO 8601: a week belongs to the year of its Thursday, and week 1 holds the year's first Thursday.
      const thursday = addDays(first, 3);
      const dayOfYear =
        (Date.UTC(thursday.year, thursday.month - 1, thursday.day) - Date.UTC(thursday.year, 0, 1)) / DAY_MS;
      return `${thursday.year}-W${pad(Math.floor(dayOfYear / 7) + 1)}`;
    }
    case 'monthly':
      return `${first.year}-${pad(first.month)}`;
  }
}

/**
 * The first instant (ms) from which the local date in `zone` is `date` or later for good. Luxon turns a local
 * time into an instant by guessing among the offsets, which picks the later of two midnights; budgets need the
 * exact boundary, so this looks at every offset the zone uses within a day of it and at each offset change.
 */
function startOfLocalDate(date: LocalDate, zone: string): number {
  const key = `${zone}|${dateNumber(date)}`;
  const known = STARTS.get(key);
  if (known !== undefined) return known;
  const start = computeStartOfLocalDate(date, zone);
  // Only a cache (the answer never changes), bounded: budgets ask about a handful of zones and dates.
  if (STARTS.size >= 4096) STARTS.clear();
  STARTS.set(key, start);
  return start;
}

const STARTS = new Map<string, number>();

function computeStartOfLocalDate(date: LocalDate, zone: string): number {
  const target = dateNumber(date);
  const onOrAfter = (ms: number): boolean => {
    const local = DateTime.fromMillis(ms, { zone });
    return local.year * 10_000 + local.month * 100 + local.day >= target;
  };
  // Local midnight read as if it were UTC: the instant sought is this minus the offset in force, and no zone's
  // offset is more than 16 hours either way.
  const guess = Date.UTC(date.year, date.month - 1, date.day);
  const from = guess - 16 * HOUR_MS;
  const to = guess + 16 * HOUR_MS;
  // Most days no offset changes near midnight: then midnight is simply the guess minus the offset.
  const coarse: number[] = [];
  for (let ms = from; ms <= to; ms += 4 * HOUR_MS) coarse.push(offsetMinutes(ms, zone));
  if (coarse.every((offset) => offset === coarse[0])) return guess - (coarse[0] ?? 0) * MINUTE_MS;

  const candidates = new Set<number>();
  let previousMs = from;
  let previousOffset = offsetMinutes(from, zone);
  candidates.add(guess - previousOffset * MINUTE_MS);
  for (let ms = from + HOUR_MS / 2; ms <= to; ms += HOUR_MS / 2) {
    const offset = offsetMinutes(ms, zone);
    if (offset !== previousOffset) {
      candidates.add(guess - offset * MINUTE_MS);
      candidates.add(offsetChange(previousMs, ms, zone));
    }
    previousMs = ms;
    previousOffset = offset;
  }
  // The boundary is where the date turns to `date` from an earlier one; the last such turn near midnight is the
  // one that holds (see periodWindow on clocks going back over midnight).
  let start: number | undefined;
  for (const ms of [...candidates].sort((a, b) => a - b)) {
    if (onOrAfter(ms) && !onOrAfter(ms - 1)) start = ms;
  }
  if (start !== undefined) return start;
  // Not reached for any zone in the tz database; luxon's own answer is the fallback.
  return DateTime.fromObject(date, { zone }).toMillis();
}

function dateNumber(date: LocalDate): number {
  return date.year * 10_000 + date.month * 100 + date.day;
}

function offsetMinutes(ms: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).offset;
}

/** The first millisecond in (lo, hi] at which the zone's offset is no longer the one at `lo`. */
function offsetChange(lo: number, hi: number, zone: string): number {
  const before = offsetMinutes(lo, zone);
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (offsetMinutes(mid, zone) === before) a = mid;
    else b = mid;
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// Forecast

export interface ForecastInput {
  readonly window: Pick<PeriodWindow, 'start' | 'end'>;
  readonly now: Date;
  /** Spent so far in the period. */
  readonly accruedUsd: number;
  /** What running and admitted jobs will still cost within this period. */
  readonly committedUsd: number;
  /**
   * Share of the period that must have passed before the spend so far is extrapolated (default 0.1: a monthly
   * budget extrapolates after 3 days, a daily one after 2.4 hours). Earlier, one expensive hour would project
   * to a month of them.
   */
  readonly minElapsedFraction?: number;
}

export interface Forecast {
  /** The expected spend at the period's end. */
  readonly usd: number;
  /** `linear`: the spend so far extrapolated (or the commitments where they are larger); `committed`: too early
   * in the period to extrapolate, spent + committed only. */
  readonly basis: 'linear' | 'committed';
  /** Average spend per hour so far in the period (0 at its very start). */
  readonly ratePerHour: number;
  readonly remainingHours: number;
}

/**
 * Linear forecast to the end of the period: spent + max(committed, rate so far × hours left). Committed work
 * will be paid whatever the rate; the rate stands for everything else that keeps coming (new submissions).
 * Adding both would count the running jobs twice, since they are part of the rate too.
 */
export function forecastSpend(input: ForecastInput): Forecast {
  const start = input.window.start.getTime();
  const end = input.window.end.getTime();
  const now = Math.min(Math.max(input.now.getTime(), start), end);
  const elapsedHours = (now - start) / HOUR_MS;
  const remainingHours = (end - now) / HOUR_MS;
  const totalHours = (end - start) / HOUR_MS;
  const accrued = Math.max(0, input.accruedUsd);
  const committed = Math.max(0, input.committedUsd);
  const ratePerHour = elapsedHours > 0 ? accrued / elapsedHours : 0;
  const minFraction = input.minElapsedFraction ?? 0.1;
  if (totalHours <= 0 || elapsedHours / totalHours < minFraction) {
    return { usd: accrued + committed, basis: 'committed', ratePerHour, remainingHours };
  }
  return {
    usd: accrued + Math.max(committed, ratePerHour * remainingHours),
    basis: 'linear',
    ratePerHour,
    remainingHours,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Thresholds and state

/** Spend as a percentage of the limit (Infinity for a zero limit with any spend). */
export function percentOf(spentUsd: number, limitUsd: number): number {
  if (limitUsd <= 0) return spentUsd > 0 ? Number.POSITIVE_INFINITY : 0;
  return (spentUsd / limitUsd) * 100;
}

/** True when `spentUsd` has reached `percent` % of `limitUsd`. */
export function reached(spentUsd: number, limitUsd: number, percent: number): boolean {
  return spentUsd + USD_EPSILON >= (limitUsd * percent) / 100;
}

export interface ThresholdInput {
  /** The policy's thresholds in % of the limit, in any order. */
  readonly thresholds: readonly number[];
  readonly limitUsd: number;
  /** Spent so far in the period (accrued, not committed: a threshold says how much money is gone). */
  readonly spentUsd: number;
  /** Thresholds already alerted in this period (from the alert history, which survives restarts). */
  readonly alreadySent: Iterable<number>;
}

export interface Crossing {
  /** Every threshold reached and not yet alerted, ascending. */
  readonly crossed: readonly number[];
  /**
   * The one to alert about: the highest of them. A jump from 40 % to 90 % says "90 % used" once, not three
   * messages; the lower ones are recorded as passed so they do not fire later.
   */
  readonly highest: number | undefined;
}

/** Which thresholds the spend has newly crossed, given those already alerted in this period. */
export function newlyCrossed(input: ThresholdInput): Crossing {
  const sent = new Set(input.alreadySent);
  const crossed = [...new Set(input.thresholds)]
    .filter((t) => !sent.has(t) && reached(input.spentUsd, input.limitUsd, t))
    .sort((a, b) => a - b);
  return { crossed, highest: crossed.at(-1) };
}

export type BudgetState = 'ok' | 'warning' | 'exceeded';

export interface StateInput {
  readonly limitUsd: number;
  readonly accruedUsd: number;
  readonly committedUsd: number;
  readonly forecastUsd: number;
  readonly thresholds: readonly number[];
}

/**
 * - `exceeded`: the money spent has reached the limit (the limit's action is in force);
 * - `warning`: not yet, but the lowest alert threshold is reached, or spent + committed fills the limit (new
 *   work is refused under a hard action), or the forecast passes the limit;
 * - `ok`: none of these.
 */
export function budgetState(input: StateInput): BudgetState {
  const { limitUsd, accruedUsd, committedUsd, forecastUsd } = input;
  if (reached(accruedUsd, limitUsd, 100)) return 'exceeded';
  const lowest = Math.min(...input.thresholds.filter((t) => t > 0), 100);
  if (
    reached(accruedUsd, limitUsd, lowest) ||
    reached(accruedUsd + committedUsd, limitUsd, 100) ||
    forecastUsd > limitUsd + USD_EPSILON
  ) {
    return 'warning';
  }
  return 'ok';
}

// ---------------------------------------------------------------------------------------------------------
// Admission

/** Why a policy refuses a job; stable codes for the API, explain and job events. */
export const REFUSAL_CODES = [
  /** The job alone costs more than the whole limit: it can never fit, in any period. */
  'budget_job_exceeds_limit',
  /** Spent + committed already fill the limit. */
  'budget_exhausted',
  /** Some budget is left, but less than the job's expected cost. */
  'budget_insufficient',
  /** A `spot-only` policy is at its limit and the job asks for on-demand capacity. */
  'budget_spot_only',
  /** The job's price per hour, added to what runs now, passes the burn-rate cap. */
  'budget_burn_rate',
  /** The job's price per hour alone passes the burn-rate cap: it can never run under this policy. */
  'budget_job_exceeds_burn_rate',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface AdmissionInput {
  /** The policy's name, for the message. */
  readonly policy: string;
  readonly limitUsd: number;
  readonly action: BudgetAction;
  readonly accruedUsd: number;
  /** Expected remaining cost of the scope's running and admitted jobs in this period (this job excluded). */
  readonly committedUsd: number;
  readonly job: {
    /** The placement engine's expected cost of the job (within the period). */
    readonly expectedCostUsd: number;
    /** Its price per hour when running, for the burn-rate cap; without it the cap is not checked. */
    readonly usdPerHour?: number;
    /** The job spec's market; `on-demand` cannot be admitted under `spot-only` at the limit. */
    readonly market?: 'spot' | 'on-demand' | 'auto';
  };
  /** The burn-rate cap and what the scope's running jobs cost per hour now. */
  readonly burnRate?: { readonly capUsdPerHour: number; readonly currentUsdPerHour: number };
  /** The period, to say when a refused job may be admitted again. */
  readonly window?: Pick<PeriodWindow, 'end' | 'timezone'>;
}

export type AdmissionDecision =
  | {
      readonly allow: true;
      /** Admitted on condition that it runs on spot capacity (a `spot-only` policy at its limit). */
      readonly spotOnly: boolean;
      /** Admitted past the limit (an `alert` or `spot-only` policy): the enforcer may want to alert. */
      readonly overLimit: boolean;
    }
  | {
      readonly allow: false;
      readonly code: RefusalCode;
      readonly policy: string;
      /** One sentence for a person: the policy, the numbers, and when it may change. */
      readonly message: string;
      /** When the budget re-opens (the period's end) for budget refusals; null when it depends on other jobs
       * (the burn rate) or never comes (the job is larger than the limit). */
      readonly retryAt: Date | null;
    };

const ALLOW: AdmissionDecision = { allow: true, spotOnly: false, overLimit: false };

/**
 * One policy's verdict on one job. Hard actions (`block-new`, `suspend`) refuse whatever would take
 * spent + committed + the job past the limit; `spot-only` admits it on spot only; `alert` admits it. The
 * burn-rate cap holds a job whatever the action, until running work ends. The caller runs this inside the
 * transaction that records the job's commitment, so that concurrent admissions see each other.
 */
export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const { policy, limitUsd, action, job } = input;
  const accrued = Math.max(0, input.accruedUsd);
  const committed = Math.max(0, input.committedUsd);
  const cost = Math.max(0, job.expectedCostUsd);
  const used = accrued + committed;
  const left = Math.max(0, limitUsd - used);
  const fits = used + cost <= limitUsd + USD_EPSILON;
  const reopens = input.window ? ` until the period ends ${at(input.window.end, input.window.timezone)}` : '';
  const refuse = (code: RefusalCode, message: string, retryAt: Date | null): AdmissionDecision => ({
    allow: false,
    code,
    policy,
    message,
    retryAt,
  });

  let decision = ALLOW;
  if (!fits) {
    if (action === 'alert') {
      decision = { allow: true, spotOnly: false, overLimit: true };
    } else if (action === 'spot-only') {
      if (job.market === 'on-demand') {
        return refuse(
          'budget_spot_only',
          `budget ${policy} is at its limit of ${usd(limitUsd)} and admits only spot jobs; this job asks for on-demand`,
          input.window?.end ?? null,
        );
      }
      decision = { allow: true, spotOnly: true, overLimit: true };
    } else if (cost > limitUsd + USD_EPSILON) {
      return refuse(
        'budget_job_exceeds_limit',
        `the job's expected cost ${usd(cost)} is more than budget ${policy}'s whole limit of ${usd(limitUsd)}; it cannot be admitted in any period`,
        null,
      );
    } else if (used + USD_EPSILON >= limitUsd) {
      return refuse(
        'budget_exhausted',
        `budget ${policy} is used up: ${usd(accrued)} spent and ${usd(committed)} committed of ${usd(limitUsd)}; new jobs wait${reopens}`,
        input.window?.end ?? null,
      );
    } else {
      return refuse(
        'budget_insufficient',
        `budget ${policy} has ${usd(left)} left of ${usd(limitUsd)} (${usd(accrued)} spent, ${usd(committed)} committed), less than the job's expected cost ${usd(cost)}; it waits${reopens} or until commitments free up`,
        input.window?.end ?? null,
      );
    }
  }

  const burn = input.burnRate;
  if (burn !== undefined && job.usdPerHour !== undefined) {
    const perHour = Math.max(0, job.usdPerHour);
    if (perHour > burn.capUsdPerHour + USD_EPSILON) {
      return refuse(
        'budget_job_exceeds_burn_rate',
        `the job costs ${usd(perHour)}/h, more than budget ${policy}'s burn-rate cap of ${usd(burn.capUsdPerHour)}/h; it can never run under it`,
        null,
      );
    }
    if (burn.currentUsdPerHour + perHour > burn.capUsdPerHour + USD_EPSILON) {
      return refuse(
        'budget_burn_rate',
        `budget ${policy} caps spending at ${usd(burn.capUsdPerHour)}/h; running jobs cost ${usd(burn.currentUsdPerHour)}/h and this one adds ${usd(perHour)}/h; it waits until running jobs finish`,
        null,
      );
    }
  }
  return decision;
}

/**
 * Several policies may apply to one job: all must allow it. The first refusal (in the order given) is the
 * answer; otherwise the job is admitted on spot only if any policy says so.
 */
export function combineAdmissions(decisions: readonly AdmissionDecision[]): AdmissionDecision {
  let spotOnly = false;
  let overLimit = false;
  for (const decision of decisions) {
    if (!decision.allow) return decision;
    spotOnly ||= decision.spotOnly;
    overLimit ||= decision.overLimit;
  }
  return { allow: true, spotOnly, overLimit };
}

// ---------------------------------------------------------------------------------------------------------
// Wording

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** `$1,234.56`. */
export function usd(amount: number): string {
  return USD.format(amount);
}

/** `2026-04-01 00:00 Europe/Berlin`: an instant as the policy's readers see it. */
export function at(instant: Date, timezone: string): string {
  return `${DateTime.fromMillis(instant.getTime(), { zone: timezone }).toFormat('yyyy-MM-dd HH:mm')} ${timezone}`;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AdmissionDecision,
  type AdmissionInput,
  type BudgetState,
  budgetState,
  combineAdmissions,
  decideAdmission,
  forecastSpend,
  isValidTimeZone,
  newlyCrossed,
  nextPeriod,
  type Period,
  periodWindow,
} from '../../src/core/budget.js';

const HOUR = 3_600_000;
const hours = (w: { start: Date; end: Date }) => (w.end.getTime() - w.start.getTime()) / HOUR;

describe('periodWindow: the period an instant falls in, in the policy time zone', () => {
  it.each<[string, string, Period, string, string, string, string, number]>([
    // story, instant, period, zone, start, end, key, hours
    [
      'a UTC day',
      '2026-05-12T15:00:00Z',
      'daily',
      'UTC',
      '2026-05-12T00:00:00.000Z',
      '2026-05-13T00:00:00.000Z',
      '2026-05-12',
      24,
    ],
    [
      'a New York day starts at local midnight (04:00Z in summer)',
      '2026-06-01T03:59:59Z',
      'daily',
      'America/New_York',
      '2026-05-31T04:00:00.000Z',
      '2026-06-01T04:00:00.000Z',
      '2026-05-31',
      24,
    ],
    [
      'New York spring forward (8 March 2026): the day has 23 hours',
      '2026-03-08T12:00:00Z',
      'daily',
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      '2026-03-08',
      23,
    ],
    [
      'New York fall back (1 November 2026): the day has 25 hours',
      '2026-11-01T12:00:00Z',
      'daily',
      'America/New_York',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      '2026-11-01',
      25,
    ],
    [
      'the repeated 01:30 in New York belongs to the same 25-hour day',
      '2026-11-01T06:30:00Z',
      'daily',
      'America/New_York',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      '2026-11-01',
      25,
    ],
    [
      'Berlin spring forward (29 March 2026): 23 hours',
      '2026-03-29T10:00:00Z',
      'daily',
      'Europe/Berlin',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-03-29',
      23,
    ],
    [
      'Berlin fall back (25 October 2026): 25 hours',
      '2026-10-25T00:30:00Z',
      'daily',
      'Europe/Berlin',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      '2026-10-25',
      25,
    ],
    [
      'Havana skips midnight (8 March 2026): the day starts at 01:00, the first local time there is',
      '2026-03-08T06:00:00Z',
      'daily',
      'America/Havana',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      '2026-03-08',
      23,
    ],
    [
      'Havana has midnight twice (1 November 2026): the day starts at the first',
      '2026-11-01T04:30:00Z',
      'daily',
      'America/Havana',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      '2026-11-01',
      25,
    ],
    [
      'São Paulo 2018: clocks went back from 00:00 to 23:00, so the Saturday had 25 hours',
      '2018-02-18T02:30:00Z',
      'daily',
      'America/Sao_Paulo',
      '2018-02-17T02:00:00.000Z',
      '2018-02-18T03:00:00.000Z',
      '2018-02-17',
      25,
    ],
    [
      'Samoa skipped 30 December 2011 entirely: the instant falls on the 31st',
      '2011-12-30T12:00:00Z',
      'daily',
      'Pacific/Apia',
      '2011-12-30T10:00:00.000Z',
      '2011-12-31T10:00:00.000Z',
      '2011-12-31',
      24,
    ],
    [
      'a week runs Monday to Monday (ISO); Sunday belongs to the week before',
      '2026-03-29T12:00:00Z',
      'weekly',
      'Europe/Berlin',
      '2026-03-22T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-W13',
      167,
    ],
    [
      'a week across the New York fall back lasts 169 hours',
      '2026-10-30T12:00:00Z',
      'weekly',
      'America/New_York',
      '2026-10-26T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      '2026-W44',
      169,
    ],
    [
      'the ISO week-year: 1 January 2027 (a Friday) is in week 53 of 2026',
      '2027-01-01T12:00:00Z',
      'weekly',
      'UTC',
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
      '2026-W53',
      168,
    ],
    [
      'week 1 is the week of the first Thursday: 29 December 2025 starts 2026-W01',
      '2025-12-30T12:00:00Z',
      'weekly',
      'UTC',
      '2025-12-29T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
      '2026-W01',
      168,
    ],
    [
      'a Sunday in early January may still be in the last week of the year before',
      '2021-01-03T12:00:00Z',
      'weekly',
      'UTC',
      '2020-12-28T00:00:00.000Z',
      '2021-01-04T00:00:00.000Z',
      '2020-W53',
      168,
    ],
    [
      'a month with the Berlin spring forward has one hour less',
      '2026-03-15T12:00:00Z',
      'monthly',
      'Europe/Berlin',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
      '2026-03',
      743,
    ],
    [
      'February in a leap year',
      '2028-02-29T23:59:59Z',
      'monthly',
      'UTC',
      '2028-02-01T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
      '2028-02',
      696,
    ],
    [
      'the last evening of January in New York is still January there, though February in UTC',
      '2026-02-01T03:00:00Z',
      'monthly',
      'America/New_York',
      '2026-01-01T05:00:00.000Z',
      '2026-02-01T05:00:00.000Z',
      '2026-01',
      744,
    ],
    [
      'December rolls over into the next year',
      '2026-12-31T23:00:00Z',
      'monthly',
      'Asia/Tokyo',
      '2026-12-31T15:00:00.000Z',
      '2027-01-31T15:00:00.000Z',
      '2027-01',
      744,
    ],
    [
      'a half-hour zone',
      '2026-07-01T00:00:00Z',
      'daily',
      'Asia/Kolkata',
      '2026-06-30T18:30:00.000Z',
      '2026-07-01T18:30:00.000Z',
      '2026-07-01',
      24,
    ],
  ])('%s', (_story, instant, period, zone, start, end, key, length) => {
    const w = periodWindow(new Date(instant), period, zone);
    expect({ start: w.start.toISOString(), end: w.end.toISOString(), key: w.key, hours: hours(w) }).toEqual({
      start,
      end,
      key,
      hours: length,
    });
  });

  it.each<[string, string, string]>([
    ['the first instant of a period is in it', '2026-03-01T00:00:00.000Z', '2026-03'],
    ['the last millisecond before the end is in it', '2026-03-31T23:59:59.999Z', '2026-03'],
    ['the end is the next period', '2026-04-01T00:00:00.000Z', '2026-04'],
  ])('boundaries are [start, end): %s', (_story, instant, key) => {
    expect(periodWindow(new Date(instant), 'monthly', 'UTC').key).toBe(key);
  });

  it('the next period starts where this one ends', () => {
    const march = periodWindow(new Date('2026-03-20T00:00:00Z'), 'monthly', 'Europe/Berlin');
    const april = nextPeriod(march);
    expect(april.start).toEqual(march.end);
    expect(april.key).toBe('2026-04');
  });

  it('refuses a zone it does not know, naming it', () => {
    expect(() => periodWindow(new Date(), 'daily', 'Europe/Berln')).toThrow(
      'unknown IANA time zone "Europe/Berln"',
    );
  });

  it.each<[string, boolean]>([
    ['Europe/Berlin', true],
    ['UTC', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Europe/Berln', false],
    ['UTC+3', false],
    ['', false],
  ])('isValidTimeZone(%j) is %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });

  it('periods tile time in every zone: start ≤ instant < end, and each end is the next start', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'America/Havana',
      'America/Santiago',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Asia/Kathmandu',
      'America/Sao_Paulo',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...zones),
        fc.constantFrom<Period>('daily', 'weekly', 'monthly'),
        (ms, zone, period) => {
          const w = periodWindow(new Date(ms), period, zone);
          expect(w.start.getTime()).toBeLessThanOrEqual(ms);
          expect(w.end.getTime()).toBeGreaterThan(ms);
          expect(periodWindow(w.end, period, zone).start).toEqual(w.end);
          expect(periodWindow(new Date(w.end.getTime() - 1), period, zone).key).toBe(w.key);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('forecastSpend: linear to the end of the period', () => {
  // A 30-day period (April, UTC): 720 hours.
  const window = { start: new Date('2026-04-01T00:00:00Z'), end: new Date('2026-05-01T00:00:00Z') };
  const day = (d: number) => new Date(window.start.getTime() + d * 24 * HOUR);

  it.each<[string, number, number, number, number, 'linear' | 'committed']>([
    // story, day, accrued, committed, forecast, basis
    ['half way with $500 spent and nothing committed: $1,000', 15, 500, 0, 1000, 'linear'],
    ['the rate dominates small commitments: 500 + max(100, 500)', 15, 500, 100, 1000, 'linear'],
    ['commitments larger than the rate count instead: 500 + max(800, 500)', 15, 500, 800, 1300, 'linear'],
    ['too early to extrapolate (2 of 30 days): spent + committed', 2, 300, 50, 350, 'committed'],
    ['on the 10 % mark the rate counts: 3 days × 10 more', 3, 100, 0, 1000, 'linear'],
    ['nothing spent and nothing committed: 0', 20, 0, 0, 0, 'linear'],
    ['at the very end, what was spent and is still committed', 30, 900, 30, 930, 'linear'],
    ['after the end (a late tick) it is the same as at the end', 31, 900, 0, 900, 'linear'],
  ])('%s', (_story, d, accrued, committed, usd, basis) => {
    const f = forecastSpend({ window, now: day(d), accruedUsd: accrued, committedUsd: committed });
    expect(f.usd).toBeCloseTo(usd, 6);
    expect(f.basis).toBe(basis);
  });

  it('reports the rate so far and the hours left', () => {
    const f = forecastSpend({ window, now: day(10), accruedUsd: 240, committedUsd: 0 });
    expect(f.ratePerHour).toBeCloseTo(1, 9);
    expect(f.remainingHours).toBe(480);
  });

  it('a lower minimum elapsed share extrapolates earlier', () => {
    const f = forecastSpend({ window, now: day(1), accruedUsd: 10, committedUsd: 0, minElapsedFraction: 0 });
    expect(f).toMatchObject({ basis: 'linear', usd: 300 });
  });
});

describe('newlyCrossed: thresholds reached and not yet alerted this period', () => {
  it.each<[string, number, number[], number[], number | undefined]>([
    // story, spent of $1,000, already sent, crossed, highest
    ['below every threshold: none', 400, [], [], undefined],
    ['exactly on a threshold counts as reached', 500, [], [50], 50],
    ['one new threshold', 820, [50], [80], 80],
    ['a jump over several: all are passed, the highest is the one to say', 1000, [], [50, 80, 100], 100],
    ['already alerted ones do not fire again (after a restart too)', 850, [50, 80], [], undefined],
    ['a threshold missed earlier still fires', 850, [80], [50], 50],
    ['spend past the limit reaches thresholds above 100', 1600, [50, 80, 100], [150], 150],
    ['a float sum a hair under the mark still reaches it', 799.9999999999, [50], [80], 80],
  ])('%s', (_story, spent, sent, crossed, highest) => {
    const result = newlyCrossed({
      thresholds: [100, 50, 80, 150],
      limitUsd: 1000,
      spentUsd: spent,
      alreadySent: sent,
    });
    expect(result).toEqual({ crossed, highest });
  });
});

describe('budgetState', () => {
  it.each<[string, number, number, number, BudgetState]>([
    // story, accrued, committed, forecast (limit 1000, thresholds 50/80/100)
    ['well inside: ok', 100, 100, 400, 'ok'],
    ['the lowest threshold reached: warning', 500, 0, 700, 'warning'],
    ['forecast over the limit: warning', 200, 0, 1200, 'warning'],
    ['spent + committed fill the limit (new work refused): warning', 300, 700, 1000, 'warning'],
    ['spent reaches the limit: exceeded', 1000, 0, 1000, 'exceeded'],
    ['spent past the limit (a soft policy): exceeded', 1300, 0, 1500, 'exceeded'],
  ])('%s', (_story, accrued, committed, forecast, state) => {
    expect(
      budgetState({
        limitUsd: 1000,
        accruedUsd: accrued,
        committedUsd: committed,
        forecastUsd: forecast,
        thresholds: [50, 80, 100],
      }),
    ).toBe(state);
  });

  it('without thresholds below 100, only the limit and the forecast warn', () => {
    const input = { limitUsd: 1000, committedUsd: 0, forecastUsd: 950, thresholds: [100] };
    expect(budgetState({ ...input, accruedUsd: 900 })).toBe('ok');
  });
});

describe('decideAdmission: one policy, one job', () => {
  const window = { end: new Date('2026-04-01T00:00:00Z'), timezone: 'Europe/Berlin' };
  const base: AdmissionInput = {
    policy: 'research-monthly',
    limitUsd: 1000,
    action: 'block-new',
    accruedUsd: 600,
    committedUsd: 200,
    job: { expectedCostUsd: 100 },
    window,
  };
  const decide = (over: Partial<AdmissionInput>) => decideAdmission({ ...base, ...over });
  const allow = (spotOnly = false, overLimit = false): AdmissionDecision => ({
    allow: true,
    spotOnly,
    overLimit,
  });

  it.each<[string, Partial<AdmissionInput>, AdmissionDecision | string]>([
    ['a job that fits is admitted', {}, allow()],
    ['a job that fills the budget exactly is admitted', { job: { expectedCostUsd: 200 } }, allow()],
    [
      'a hard limit refuses a job a cent too large',
      { job: { expectedCostUsd: 200.01 } },
      'budget_insufficient',
    ],
    ['a used-up budget refuses any job', { committedUsd: 400 }, 'budget_exhausted'],
    ['a free job fits even a full budget', { committedUsd: 400, job: { expectedCostUsd: 0 } }, allow()],
    [
      'a job larger than the whole limit can never fit',
      { job: { expectedCostUsd: 1500 } },
      'budget_job_exceeds_limit',
    ],
    ['suspend refuses like block-new', { action: 'suspend', committedUsd: 400 }, 'budget_exhausted'],
    ['alert admits past the limit, flagged', { action: 'alert', committedUsd: 400 }, allow(false, true)],
    [
      'spot-only admits past the limit on spot only',
      { action: 'spot-only', committedUsd: 400, job: { expectedCostUsd: 50, market: 'auto' } },
      allow(true, true),
    ],
    [
      'spot-only refuses a job that insists on on-demand',
      { action: 'spot-only', committedUsd: 400, job: { expectedCostUsd: 50, market: 'on-demand' } },
      'budget_spot_only',
    ],
    [
      'spot-only inside the limit admits anything',
      { action: 'spot-only', job: { expectedCostUsd: 50, market: 'on-demand' } },
      allow(),
    ],
    [
      'the burn-rate cap holds a job that would pass it',
      { burnRate: { capUsdPerHour: 50, currentUsdPerHour: 45 }, job: { expectedCostUsd: 10, usdPerHour: 8 } },
      'budget_burn_rate',
    ],
    [
      'the burn-rate cap admits a job that just fits',
      { burnRate: { capUsdPerHour: 50, currentUsdPerHour: 42 }, job: { expectedCostUsd: 10, usdPerHour: 8 } },
      allow(),
    ],
    [
      'a job dearer per hour than the cap itself can never run',
      { burnRate: { capUsdPerHour: 50, currentUsdPerHour: 0 }, job: { expectedCostUsd: 10, usdPerHour: 60 } },
      'budget_job_exceeds_burn_rate',
    ],
    [
      'the burn-rate cap holds even under an alert-only policy',
      {
        action: 'alert',
        burnRate: { capUsdPerHour: 50, currentUsdPerHour: 45 },
        job: { expectedCostUsd: 10, usdPerHour: 8 },
      },
      'budget_burn_rate',
    ],
    [
      'without the job price per hour the cap is not checked',
      { burnRate: { capUsdPerHour: 50, currentUsdPerHour: 500 } },
      allow(),
    ],
  ])('%s', (_story, over, expected) => {
    const decision = decide(over);
    if (typeof expected === 'string') expect(decision).toMatchObject({ allow: false, code: expected });
    else expect(decision).toEqual(expected);
  });

  it('a refusal says which policy, the numbers, and when the budget re-opens', () => {
    expect(decide({ committedUsd: 400 })).toEqual({
      allow: false,
      code: 'budget_exhausted',
      policy: 'research-monthly',
      message:
        'budget research-monthly is used up: $600.00 spent and $400.00 committed of $1,000.00; new jobs wait until the period ends 2026-04-01 02:00 Europe/Berlin',
      retryAt: window.end,
    });
    expect(decide({ job: { expectedCostUsd: 250 } })).toMatchObject({
      message:
        "budget research-monthly has $200.00 left of $1,000.00 ($600.00 spent, $200.00 committed), less than the job's expected cost $250.00; it waits until the period ends 2026-04-01 02:00 Europe/Berlin or until commitments free up",
    });
    expect(decide({ job: { expectedCostUsd: 1500 } })).toMatchObject({ retryAt: null });
  });
});

describe('combineAdmissions: every policy that applies must allow the job', () => {
  const ok: AdmissionDecision = { allow: true, spotOnly: false, overLimit: false };
  const spot: AdmissionDecision = { allow: true, spotOnly: true, overLimit: true };
  const no = (policy: string): AdmissionDecision => ({
    allow: false,
    code: 'budget_exhausted',
    policy,
    message: `${policy} is used up`,
    retryAt: null,
  });

  it.each<[string, AdmissionDecision[], AdmissionDecision]>([
    ['no policy applies: admitted', [], ok],
    ['all allow: admitted', [ok, ok], ok],
    ['one refuses: refused by it', [ok, no('a'), ok], no('a')],
    ['two refuse: the first one speaks', [no('a'), no('b')], no('a')],
    ['one says spot only: admitted on spot', [ok, spot], { allow: true, spotOnly: true, overLimit: true }],
  ])('%s', (_story, decisions, expected) => {
    expect(combineAdmissions(decisions)).toEqual(expected);
  });
});

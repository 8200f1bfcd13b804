// Which alerts a policy owes for its spend, given what this period has raised already.
import { describe, expect, it } from 'vitest';
import {
  alertsDue,
  budgetFacts,
  policyInvalidAlert,
  type RaisedSoFar,
} from '../../src/alerts/budget-alerts.js';
import { periodWindow } from '../../src/core/budget.js';
import type { PolicySet } from '../../src/policies/load.js';
import type { Policy } from '../../src/policies/schema.js';

const POLICY: Policy = {
  name: 'research-monthly',
  scope: { team: 'research' },
  period: 'monthly',
  timezone: 'Europe/Berlin',
  limitUsd: 1000,
  action: 'block-new',
  alerts: { thresholds: [50, 80, 100], forecast: true, slack: 'research' },
  source: { file: 'policies/research.yaml', line: 2 },
};
const WINDOW = periodWindow(new Date('2026-03-20T10:00:00Z'), 'monthly', 'Europe/Berlin');
const NOTHING: RaisedSoFar = { thresholds: [], forecast: false, limit: false };

const due = (accrued: number, forecast: number, raised: Partial<RaisedSoFar> = {}, policy = POLICY) =>
  alertsDue(
    policy,
    WINDOW,
    { accruedUsd: accrued, committedUsd: 0, forecastUsd: forecast },
    { ...NOTHING, ...raised },
  ).map(
    ({ alert, status }) =>
      `${alert.kind}${alert.kind === 'threshold' ? `:${alert.thresholdPercent}` : ''}/${status}`,
  );

describe('alertsDue', () => {
  it.each<[string, number, number, Partial<RaisedSoFar>, string[]]>([
    // story, spent, forecast, raised, due
    ['nothing reached: nothing due', 300, 700, {}, []],
    ['the first threshold', 520, 900, {}, ['threshold:50/pending']],
    ['already raised: nothing again', 520, 900, { thresholds: [50] }, []],
    ['a forecast over the limit', 300, 1200, {}, ['forecast/pending']],
    ['the forecast only once a period', 300, 1200, { forecast: true }, []],
    [
      'a jump past two thresholds says the highest',
      850,
      1000,
      {},
      ['threshold:50/skipped', 'threshold:80/pending'],
    ],
    [
      'reaching the limit: "limit reached", with the 100 % threshold folded into it',
      1000,
      1000,
      { thresholds: [50, 80] },
      ['threshold:100/skipped', 'limit/pending'],
    ],
    [
      'a jump from nothing to the limit is one message',
      1200,
      1200,
      {},
      ['threshold:50/skipped', 'threshold:80/skipped', 'threshold:100/skipped', 'limit/pending'],
    ],
    [
      'past the limit, no forecast alert any more',
      1100,
      1500,
      { thresholds: [50, 80, 100], limit: true },
      [],
    ],
  ])('%s', (_story, spent, forecast, raised, expected) => {
    expect(due(spent, forecast, raised)).toEqual(expected);
  });

  it('the limit alert comes without a 100 % threshold too', () => {
    const policy = { ...POLICY, alerts: { thresholds: [], forecast: false } };
    expect(due(1000, 1000, {}, policy)).toEqual(['limit/pending']);
  });

  it('thresholds above 100 % alert on their own after the limit (a soft budget running over)', () => {
    const policy = {
      ...POLICY,
      action: 'alert' as const,
      alerts: { thresholds: [100, 150], forecast: false },
    };
    expect(due(1600, 1600, { thresholds: [100], limit: true }, policy)).toEqual(['threshold:150/pending']);
  });

  it('forecast alerts can be turned off', () => {
    const policy = { ...POLICY, alerts: { ...POLICY.alerts, forecast: false } };
    expect(due(300, 5000, {}, policy)).toEqual([]);
  });
});

describe('budgetFacts', () => {
  it('carries the policy, its period in its zone, and the numbers', () => {
    expect(budgetFacts(POLICY, WINDOW, { accruedUsd: 600, committedUsd: 100, forecastUsd: 1100 })).toEqual({
      policy: 'research-monthly',
      source: 'policies/research.yaml:2',
      scope: 'team research',
      team: 'research',
      period: 'monthly',
      periodKey: '2026-03',
      periodStart: '2026-02-28T23:00:00.000Z',
      periodEnd: '2026-03-31T22:00:00.000Z',
      timezone: 'Europe/Berlin',
      limitUsd: 1000,
      spentUsd: 600,
      committedUsd: 100,
      forecastUsd: 1100,
      action: 'block-new',
    });
  });
});

describe('policyInvalidAlert', () => {
  it('lists the problems as FILE:LINE: path: message and names each file once', () => {
    const kept = {
      policies: [POLICY, POLICY],
      files: [],
      dir: 'policies',
      fingerprint: 'f',
    } as unknown as PolicySet;
    expect(
      policyInvalidAlert(
        'policies',
        [
          { file: 'policies/a.yaml', line: 3, path: 'limitUsd', message: 'must be greater than 0, got 0' },
          { file: 'policies/a.yaml', line: 5, path: 'action', message: 'expected one of …' },
        ],
        kept,
        'abc123',
        new Date('2026-03-20T10:00:00Z'),
      ),
    ).toEqual({
      kind: 'policy-invalid',
      dir: 'policies',
      issues: [
        'policies/a.yaml:3: limitUsd: must be greater than 0, got 0',
        'policies/a.yaml:5: action: expected one of …',
      ],
      files: ['policies/a.yaml'],
      keptPolicies: 2,
      fingerprint: 'abc123',
      at: '2026-03-20T10:00:00.000Z',
    });
  });
});

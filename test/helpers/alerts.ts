// Builders for alerts: one budget's facts (research, March 2026 in Berlin), overridden where a test cares.
import type { Alert, BudgetFacts } from '../../src/alerts/notifier.js';

export const FACTS: BudgetFacts = {
  policy: 'research-monthly',
  source: 'policies/research.yaml:2',
  scope: 'team research',
  team: 'research',
  period: 'monthly',
  periodKey: '2026-03',
  periodStart: '2026-02-28T23:00:00.000Z',
  periodEnd: '2026-03-31T22:00:00.000Z',
  timezone: 'Europe/Berlin',
  limitUsd: 20000,
  spentUsd: 16012.4,
  committedUsd: 1200,
  forecastUsd: 23400,
  action: 'block-new',
};

export function thresholdAlert(over: Partial<BudgetFacts> & { thresholdPercent?: number } = {}): Alert {
  return { ...FACTS, kind: 'threshold', thresholdPercent: 80, ...over };
}

export function forecastAlert(over: Partial<BudgetFacts> = {}): Alert {
  return { ...FACTS, kind: 'forecast', spentUsd: 9000, ...over };
}

export function limitAlert(over: Partial<BudgetFacts> & { affectedJobs?: number } = {}): Alert {
  return { ...FACTS, kind: 'limit', spentUsd: 20010, ...over };
}

export function invalidAlert(
  issues: string[] = ['policies/research.yaml:6: limitUsd: must be greater than 0, got -5'],
): Alert {
  return {
    kind: 'policy-invalid',
    dir: 'policies',
    issues,
    files: [...new Set(issues.map((i) => i.split(':')[0] ?? ''))],
    keptPolicies: 3,
    fingerprint: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    at: '2026-03-20T10:00:00.000Z',
  };
}

export function testAlert(): Alert {
  return { kind: 'test', webhook: 'research', sentAt: '2026-03-20T10:00:00.000Z' };
}

// The alert history in SQLite: each alert once per policy, period, kind and threshold, also after a restart;
// deliveries recorded; the history newest first with a cursor, by team.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredAlert } from '../../src/alerts/notifier.js';
import { AlertRepo } from '../../src/store/alerts.js';
import { migrate, openDb } from '../../src/store/db.js';
import { forecastAlert, invalidAlert, limitAlert, thresholdAlert } from '../helpers/alerts.js';
import { openAlertsDb } from '../helpers/alerts-db.js';

const NOW = new Date('2026-03-20T10:00:00.000Z');
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const threshold = (percent: number, over: object = {}) =>
  thresholdAlert({ thresholdPercent: percent, ...over }) as StoredAlert;

describe('migration 0004_budgets_alerts', () => {
  it('is applied by the runner after 0001–0003 and creates the alerts table with its unique key', () => {
    const db = openDb(':memory:');
    expect(migrate(db)).toEqual(expect.arrayContaining([1, 2, 3, 4]));
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'alerts'").get() as { sql: string };
    expect(sql.sql).toContain('UNIQUE (policy, period_key, kind, threshold)');
  });
});

describe('AlertRepo.insertIfNew: once per policy, period, kind and threshold', () => {
  it('says new the first time and not again, returning the first row', () => {
    const alerts = new AlertRepo(openAlertsDb());
    const first = alerts.insertIfNew({ alert: threshold(80), slack: 'research' }, NOW);
    expect(first.isNew).toBe(true);
    expect(first.record).toEqual({
      id: 1,
      kind: 'threshold',
      policy: 'research-monthly',
      periodKey: '2026-03',
      threshold: 80,
      team: 'research',
      slack: 'research',
      summary: 'Budget research-monthly: 80% used ($16,012.40 of $20,000.00)',
      alert: threshold(80),
      createdAt: '2026-03-20T10:00:00.000Z',
      status: 'pending',
      attempts: 0,
      lastError: null,
      deliveredAt: null,
    });
    const again = alerts.insertIfNew({ alert: threshold(80, { spentUsd: 16500 }) }, later(5));
    expect(again).toEqual({ isNew: false, record: first.record });
  });

  it.each<[string, StoredAlert, StoredAlert, boolean]>([
    ['another threshold is another alert', threshold(50), threshold(80), true],
    ['the next period is another alert', threshold(80), threshold(80, { periodKey: '2026-04' }), true],
    ['another policy is another alert', threshold(80), threshold(80, { policy: 'vision-monthly' }), true],
    [
      'forecast and limit are alerts of their own',
      forecastAlert() as StoredAlert,
      limitAlert() as StoredAlert,
      true,
    ],
    ['the forecast once per period', forecastAlert() as StoredAlert, forecastAlert() as StoredAlert, false],
    ['the same bad policy content once', invalidAlert() as StoredAlert, invalidAlert() as StoredAlert, false],
  ])('%s', (_story, a, b, secondIsNew) => {
    const alerts = new AlertRepo(openAlertsDb());
    expect(alerts.insertIfNew({ alert: a }, NOW).isNew).toBe(true);
    expect(alerts.insertIfNew({ alert: b }, NOW).isNew).toBe(secondIsNew);
  });

  it('no duplicate after a restart: the key is in the database file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gpusched-alerts-')), 'gpusched.db');
    const before = openAlertsDb(file);
    const sent = new AlertRepo(before).insertIfNew({ alert: limitAlert() as StoredAlert }, NOW);
    new AlertRepo(before).markDelivered(sent.record.id, 1, NOW);
    before.close();

    const after = openAlertsDb(file);
    const again = new AlertRepo(after).insertIfNew({ alert: limitAlert() as StoredAlert }, later(60));
    expect(again.isNew).toBe(false);
    expect(again.record).toMatchObject({ status: 'delivered', deliveredAt: NOW.toISOString() });
    after.close();
  });

  it('thresholdsRaised lists the thresholds of a period, skipped ones included', () => {
    const alerts = new AlertRepo(openAlertsDb());
    alerts.insertIfNew({ alert: threshold(50), status: 'skipped' }, NOW);
    alerts.insertIfNew({ alert: threshold(80) }, NOW);
    alerts.insertIfNew({ alert: threshold(100, { periodKey: '2026-04' }) }, NOW);
    alerts.insertIfNew({ alert: limitAlert() as StoredAlert }, NOW);
    expect(alerts.thresholdsRaised('research-monthly', '2026-03')).toEqual([50, 80]);
  });
});

describe('AlertRepo.recordDelivery', () => {
  it.each<[string, Parameters<AlertRepo['recordDelivery']>[1], object]>([
    [
      'delivered: final, with its time',
      { status: 'delivered', attempts: 2 },
      { status: 'delivered', attempts: 2, lastError: null, deliveredAt: '2026-03-20T10:05:00.000Z' },
    ],
    [
      'logged (no webhook): final',
      { status: 'logged', attempts: 0 },
      { status: 'logged', attempts: 0, lastError: null, deliveredAt: null },
    ],
    [
      'a retryable failure stays pending, to be sent again',
      { status: 'failed', attempts: 5, error: 'Slack answered 503 internal_error', retryable: true },
      { status: 'pending', attempts: 5, lastError: 'Slack answered 503 internal_error', deliveredAt: null },
    ],
    [
      'a refusal is failed for good',
      { status: 'failed', attempts: 1, error: 'Slack answered 404 no_service', retryable: false },
      { status: 'failed', attempts: 1, lastError: 'Slack answered 404 no_service', deliveredAt: null },
    ],
  ])('%s', (_story, delivery, expected) => {
    const alerts = new AlertRepo(openAlertsDb());
    const { record } = alerts.insertIfNew({ alert: threshold(80) }, NOW);
    alerts.recordDelivery(record.id, delivery, later(5));
    expect(alerts.get(record.id)).toMatchObject(expected);
  });

  it('attempts add up over tries, and pending() offers the alert again until it is delivered', () => {
    const alerts = new AlertRepo(openAlertsDb());
    const { record } = alerts.insertIfNew({ alert: threshold(80) }, NOW);
    alerts.insertIfNew({ alert: threshold(50), status: 'skipped' }, NOW);
    expect(alerts.pending().map((r) => r.id)).toEqual([record.id]);
    alerts.recordDelivery(
      record.id,
      { status: 'failed', attempts: 5, error: 'x', retryable: true },
      later(1),
    );
    expect(alerts.pending().map((r) => r.id)).toEqual([record.id]);
    alerts.recordDelivery(record.id, { status: 'delivered', attempts: 1 }, later(10));
    expect(alerts.pending()).toEqual([]);
    expect(alerts.get(record.id)).toMatchObject({ attempts: 6, lastError: null, status: 'delivered' });
  });
});

describe('AlertRepo.list: newest first, with a cursor', () => {
  function seeded() {
    const alerts = new AlertRepo(openAlertsDb());
    alerts.insertIfNew({ alert: threshold(50) }, NOW); // 1 research
    alerts.insertIfNew({ alert: threshold(50, { policy: 'vision-monthly', team: 'vision' }) }, NOW); // 2 vision
    alerts.insertIfNew({ alert: threshold(80) }, NOW); // 3 research
    alerts.insertIfNew({ alert: invalidAlert() as StoredAlert }, NOW); // 4 admins only
    alerts.insertIfNew({ alert: limitAlert() as StoredAlert }, NOW); // 5 research
    return alerts;
  }

  it('pages through everything for an admin', () => {
    const alerts = seeded();
    const first = alerts.list({ limit: 2 });
    expect(first.items.map((a) => a.id)).toEqual([5, 4]);
    expect(first.nextCursor).toBe('4');
    const second = alerts.list({ limit: 2, beforeId: 4 });
    expect(second.items.map((a) => a.id)).toEqual([3, 2]);
    const last = alerts.list({ limit: 2, beforeId: Number(second.nextCursor) });
    expect(last).toMatchObject({ nextCursor: null });
    expect(last.items.map((a) => a.id)).toEqual([1]);
  });

  it.each<[string, Omit<Parameters<AlertRepo['list']>[0], 'limit'>, number[]]>([
    ["a team's alerts only", { team: 'research' }, [5, 3, 1]],
    ['one kind', { kind: 'threshold' }, [3, 2, 1]],
    ['one policy', { policy: 'vision-monthly' }, [2]],
    ['a team never sees admin-only alerts', { team: 'research', kind: 'policy-invalid' }, []],
  ])('filters: %s', (_story, q, ids) => {
    expect(
      seeded()
        .list({ limit: 50, ...q })
        .items.map((a) => a.id),
    ).toEqual(ids);
  });
});

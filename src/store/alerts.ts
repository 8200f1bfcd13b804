// The alert history (migration 0004_budgets_alerts.sql). An alert is recorded before it is sent, under the
// UNIQUE key (policy, period, kind, threshold): `insertIfNew` says whether this process is the one to send it,
// which makes each alert once per period even across restarts and with several loops racing. A row left
// `pending` by a crash mid-send is found by `pending()` and sent on the next start.
import { slackMessage } from '../alerts/blocks.js';
import {
  type AlertKey,
  alertKey,
  alertTeam,
  type Delivery,
  type StoredAlert,
  type StoredAlertKind,
} from '../alerts/notifier.js';
import type { Db } from './db.js';

export const ALERT_STATUSES = ['pending', 'delivered', 'logged', 'failed', 'skipped'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertRecord {
  readonly id: number;
  readonly kind: StoredAlertKind;
  readonly policy: string;
  readonly periodKey: string;
  readonly threshold: number;
  /** The team that may read it besides admins; null: admins only. */
  readonly team: string | null;
  /** The webhook reference it goes to; null: the default. */
  readonly slack: string | null;
  readonly summary: string;
  readonly alert: StoredAlert;
  readonly createdAt: string;
  readonly status: AlertStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface NewAlert {
  readonly alert: StoredAlert;
  /** The policy's `alerts.slack`; absent or null for the default webhook. */
  readonly slack?: string | null;
  /** Defaults to the Slack message's fallback text. */
  readonly summary?: string;
  /** `skipped` records a threshold passed over by a higher one crossed at the same time (never sent). */
  readonly status?: 'pending' | 'skipped';
}

export interface AlertListQuery {
  /** Only alerts this team may read (a team caller); absent: all (an admin). */
  readonly team?: string;
  readonly kind?: StoredAlertKind;
  readonly policy?: string;
  readonly limit: number;
  /** The `nextCursor` of the page before. */
  readonly beforeId?: number;
}

interface AlertRow {
  id: number;
  kind: StoredAlertKind;
  policy: string;
  period_key: string;
  threshold: number;
  team: string | null;
  slack: string | null;
  summary: string;
  payload: string;
  created_at: string;
  status: AlertStatus;
  attempts: number;
  last_error: string | null;
  delivered_at: string | null;
}

function toRecord(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    kind: r.kind,
    policy: r.policy,
    periodKey: r.period_key,
    threshold: r.threshold,
    team: r.team,
    slack: r.slack,
    summary: r.summary,
    alert: JSON.parse(r.payload) as StoredAlert,
    createdAt: r.created_at,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
  };
}

/** Longest error text kept; Slack's error bodies are short, a network reason too. */
const MAX_ERROR_CHARS = 500;

export class AlertRepo {
  constructor(private readonly db: Db) {}

  /**
   * Records the alert unless one with the same key (policy, period, kind, threshold) exists. `isNew` true:
   * the caller sends it and then records the delivery; false: it was raised before (by this process or one
   * before a restart) and `record` is that earlier row.
   */
  insertIfNew(input: NewAlert, now: Date): { isNew: boolean; record: AlertRecord } {
    const key = alertKey(input.alert);
    const inserted = this.db
      .prepare(
        `INSERT INTO alerts (kind, policy, period_key, threshold, team, slack, summary, payload, created_at, status)
         VALUES (@kind, @policy, @periodKey, @threshold, @team, @slack, @summary, @payload, @createdAt, @status)
         ON CONFLICT (policy, period_key, kind, threshold) DO NOTHING`,
      )
      .run({
        ...key,
        team: alertTeam(input.alert),
        slack: input.slack ?? null,
        summary: input.summary ?? slackMessage(input.alert).text,
        payload: JSON.stringify(input.alert),
        createdAt: now.toISOString(),
        status: input.status ?? 'pending',
      });
    const record = this.find(key);
    if (record === null) throw new Error(`alert ${JSON.stringify(key)} was neither inserted nor found`);
    return { isNew: inserted.changes === 1, record };
  }

  /** The alert with this key, if it was raised. */
  find(key: AlertKey): AlertRecord | null {
    const r = this.db
      .prepare('SELECT * FROM alerts WHERE policy = ? AND period_key = ? AND kind = ? AND threshold = ?')
      .get(key.policy, key.periodKey, key.kind, key.threshold) as AlertRow | undefined;
    return r ? toRecord(r) : null;
  }

  get(id: number): AlertRecord | null {
    const r = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return r ? toRecord(r) : null;
  }

  /**
   * Records how a send went: `delivered` and `logged` are final; a retryable failure stays `pending` (to be
   * sent again), any other failure is `failed`. Attempts add up over tries. The error must come redacted
   * (Delivery.error is).
   */
  recordDelivery(
    id: number,
    delivery: Pick<Delivery, 'status' | 'attempts' | 'error' | 'retryable'>,
    now: Date,
  ): void {
    const status: AlertStatus =
      delivery.status === 'failed' ? (delivery.retryable ? 'pending' : 'failed') : delivery.status;
    this.db
      .prepare(
        `UPDATE alerts SET status = @status, attempts = attempts + @attempts, last_error = @error,
           delivered_at = CASE WHEN @status = 'delivered' THEN @now ELSE delivered_at END
         WHERE id = @id`,
      )
      .run({
        id,
        status,
        attempts: delivery.attempts,
        error:
          delivery.status === 'failed' ? (delivery.error ?? 'not delivered').slice(0, MAX_ERROR_CHARS) : null,
        now: now.toISOString(),
      });
  }

  /** Slack took it after `attempts` requests. */
  markDelivered(id: number, attempts: number, now: Date): void {
    this.recordDelivery(id, { status: 'delivered', attempts }, now);
  }

  /** Alerts still to send (never tried, interrupted by a crash, or failed with a retryable error), oldest first. */
  pending(limit = 100): AlertRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM alerts WHERE status = 'pending' ORDER BY id LIMIT ?")
        .all(limit) as AlertRow[]
    ).map(toRecord);
  }

  /** Thresholds already raised for a policy in a period, whatever their delivery: the input of newlyCrossed. */
  thresholdsRaised(policy: string, periodKey: string): number[] {
    return (
      this.db
        .prepare(
          "SELECT threshold FROM alerts WHERE policy = ? AND period_key = ? AND kind = 'threshold' ORDER BY threshold",
        )
        .all(policy, periodKey) as { threshold: number }[]
    ).map((r) => r.threshold);
  }

  /** Newest first; `nextCursor` is null on the last page. */
  list(q: AlertListQuery): { items: AlertRecord[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit + 1 };
    if (q.team !== undefined) {
      where.push('team = @team');
      params.team = q.team;
    }
    if (q.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = q.kind;
    }
    if (q.policy !== undefined) {
      where.push('policy = @policy');
      params.policy = q.policy;
    }
    if (q.beforeId !== undefined) {
      where.push('id < @before');
      params.before = q.beforeId;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`,
      )
      .all(params) as AlertRow[];
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit).map(toRecord);
    const last = items.at(-1);
    return { items, nextCursor: more && last ? String(last.id) : null };
  }
}

// The Notifier port: what the budget service hands an alert to, and what it gets back. Alerts are plain data
// (JSON-serialisable, times as ISO strings) so that the same object is stored in the alert history, rendered
// to Slack Block Kit (blocks.ts) and written to the log. Implementations: SlackNotifier (slack.ts), which falls
// back to the log when no webhook is configured.
import type { BudgetAction, Period } from '../core/budget.js';
import { type AnomalyAlert, anomalyKey } from './anomaly-alerts.js';

/** The numbers every budget alert carries: enough to render it without looking anything up. */
export interface BudgetFacts {
  readonly policy: string;
  /** `policies/research.yaml:2`, where the policy is written. */
  readonly source?: string;
  /** The scope in words (`team research`, `labels env=prod`); see describeScope. */
  readonly scope: string;
  /** The scope's team, when it names one: that team may read the alert (GET /v1/alerts). */
  readonly team: string | null;
  readonly period: Period;
  /** `2026-03`, `2026-W10`, `2026-03-08` (PeriodWindow.key). */
  readonly periodKey: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly timezone: string;
  readonly limitUsd: number;
  /** Accrued in the period. */
  readonly spentUsd: number;
  readonly committedUsd: number;
  readonly forecastUsd: number;
  readonly action: BudgetAction;
}

export type Alert =
  /** Spend reached `thresholdPercent` % of the limit. */
  | (BudgetFacts & { readonly kind: 'threshold'; readonly thresholdPercent: number })
  /** The forecast to the end of the period passes the limit. */
  | (BudgetFacts & { readonly kind: 'forecast' })
  /** Spend reached the limit; the policy's action was applied. */
  | (BudgetFacts & {
      readonly kind: 'limit';
      /** Jobs checkpointed and stopped (`suspend`) or held so far; absent when not known. */
      readonly affectedJobs?: number;
    })
  /** A change to the policy folder was refused; the last good set stays in force. */
  | {
      readonly kind: 'policy-invalid';
      /** The policy folder. */
      readonly dir: string;
      /** Each problem as `FILE:LINE: path: message` (formatPolicyIssue). */
      readonly issues: readonly string[];
      /** The files named by the problems (for the title). */
      readonly files: readonly string[];
      /** Policies still in force. */
      readonly keptPolicies: number;
      /** PolicyLoadResult.fingerprint: the same bad content alerts once. */
      readonly fingerprint: string;
      readonly at: string;
    }
  /** Anomalies (alerts/anomaly-alerts.ts): idle GPUs, a job failing repeatedly, a price jump in a pool in use. */
  | AnomalyAlert
  /** `gpusched alerts test`: proves the webhook works. Not stored. */
  | { readonly kind: 'test'; readonly webhook: string; readonly sentAt: string };

export type AlertKind = Alert['kind'];
export const ALERT_KINDS: readonly AlertKind[] = [
  'threshold',
  'forecast',
  'limit',
  'policy-invalid',
  'gpu-idle',
  'job-failing',
  'price-jump',
  'test',
];
/** The kinds kept in the alert history (a test message is not); migration 0007 allows the anomaly kinds. */
export const STORED_ALERT_KINDS = [
  'threshold',
  'forecast',
  'limit',
  'policy-invalid',
  'gpu-idle',
  'job-failing',
  'price-jump',
] as const;
export type StoredAlertKind = (typeof STORED_ALERT_KINDS)[number];
export type StoredAlert = Extract<Alert, { kind: StoredAlertKind }>;

/**
 * What makes an alert "the same" in the history: one per policy, period, kind and threshold, so each is sent
 * once per period, across restarts too (the alerts table has this as its UNIQUE key).
 */
export interface AlertKey {
  readonly kind: StoredAlertKind;
  /** The policy's name; for `policy-invalid`, the policy folder. */
  readonly policy: string;
  /** The period's key; for `policy-invalid`, the first 16 hex digits of the folder's fingerprint. */
  readonly periodKey: string;
  /** The threshold in %; 100 for `limit`, 0 for `forecast` and `policy-invalid`. */
  readonly threshold: number;
}

export function alertKey(alert: StoredAlert): AlertKey {
  switch (alert.kind) {
    case 'threshold':
      return {
        kind: alert.kind,
        policy: alert.policy,
        periodKey: alert.periodKey,
        threshold: alert.thresholdPercent,
      };
    case 'forecast':
      return { kind: alert.kind, policy: alert.policy, periodKey: alert.periodKey, threshold: 0 };
    case 'limit':
      return { kind: alert.kind, policy: alert.policy, periodKey: alert.periodKey, threshold: 100 };
    case 'policy-invalid':
      return { kind: alert.kind, policy: alert.dir, periodKey: alert.fingerprint.slice(0, 16), threshold: 0 };
    case 'gpu-idle':
    case 'job-failing':
    case 'price-jump':
      return anomalyKey(alert);
  }
}

/** The team that may read a stored alert besides admins (null: admins only). */
export function alertTeam(alert: StoredAlert): string | null {
  return alert.kind === 'policy-invalid' ? null : alert.team;
}

export interface Delivery {
  /**
   * `delivered`: Slack accepted it; `logged`: no webhook is configured, so it went to the log (and the
   * history) only; `failed`: Slack refused it or could not be reached, after the retries.
   */
  readonly status: 'delivered' | 'logged' | 'failed';
  /** HTTP requests made (0 when logged). */
  readonly attempts: number;
  /** Where it went, never the URL: `slack research (env GPUSCHED_SLACK_WEBHOOK_RESEARCH)`, or `log`. */
  readonly destination: string;
  /** Why it failed, redacted (the webhook URL never appears). */
  readonly error?: string;
  /** A failure worth trying again later (rate limit, 5xx, network); false for a refusal such as 404. */
  readonly retryable?: boolean;
}

export interface Notifier {
  /**
   * Delivers one alert to the Slack webhook named `slack` (a policy's `alerts.slack`), else to the default
   * webhook, else to the log. Never throws for delivery problems: they come back as a `failed` Delivery.
   */
  send(alert: Alert, slack?: string): Promise<Delivery>;
}

/** The part of a pino logger the alert code uses. */
export interface AlertLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

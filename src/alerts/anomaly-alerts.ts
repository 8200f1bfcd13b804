// Anomaly alerts (docs/observability.md): what the anomaly service (services/anomalies.ts) finds, as alert data
// for the same path budget alerts take (Alerts.raise: stored once under its key, then sent to Slack, else
// logged). Plain data, times as ISO strings, so that the history, the Slack message and the log agree.
// They go to the default webhook (GPUSCHED_SLACK_WEBHOOK): no policy names another.

/** A running job whose GPUs have done (almost) nothing for a while: money spent on idle hardware. */
export interface GpuIdleAlert {
  readonly kind: 'gpu-idle';
  readonly jobId: string;
  readonly jobName: string;
  readonly team: string;
  readonly nodeIds: readonly string[];
  /** The start of the run the idleness was seen in: one alert per run. */
  readonly runStartedAt: string;
  /** Mean utilisation of the job's GPUs over the idle stretch, in %. */
  readonly utilizationPercent: number;
  /** anomalies.idleGpu.utilizationPercent: below this a GPU counts as idle. */
  readonly thresholdPercent: number;
  /** How long the job's GPUs have been below the threshold. */
  readonly idleMinutes: number;
  /** anomalies.idleGpu.minutes: how long before it is an anomaly. */
  readonly minMinutes: number;
  /** What the job's share of its nodes costs per hour: what idling burns. */
  readonly costPerHour: number;
  readonly at: string;
}

/** The same job (team and name) failed again and again within a window: a crash loop, a bad image. */
export interface JobFailingAlert {
  readonly kind: 'job-failing';
  readonly team: string;
  readonly jobName: string;
  readonly failures: number;
  /** anomalies.failures.count. */
  readonly threshold: number;
  readonly windowMinutes: number;
  /** The window the alert belongs to (its start, ISO): at most one alert per job name and window. */
  readonly windowKey: string;
  /** The failed jobs, newest first (at most 10). */
  readonly jobIds: readonly string[];
  /** The newest failure's reason (`exited 1`, `dependency … failed`). */
  readonly lastReason: string | null;
  readonly at: string;
}

/** The price of a pool the fleet runs in jumped well above what its node was launched at. */
export interface PriceJumpAlert {
  readonly kind: 'price-jump';
  readonly nodeId: string;
  /** The pool key: cloud/region/zone/instanceType/market. */
  readonly pool: string;
  readonly cloud: string;
  readonly region: string;
  readonly zone: string | null;
  readonly instanceType: string;
  readonly market: string;
  readonly launchPricePerHour: number;
  readonly pricePerHour: number;
  readonly increasePercent: number;
  /** anomalies.priceJump.percent. */
  readonly thresholdPercent: number;
  /** When the new price was observed. */
  readonly observedAt: string;
  /** The jobs on the node, and their team when they all share one (it may read the alert). */
  readonly jobIds: readonly string[];
  readonly team: string | null;
  readonly at: string;
}

export type AnomalyAlert = GpuIdleAlert | JobFailingAlert | PriceJumpAlert;
export const ANOMALY_ALERT_KINDS = ['gpu-idle', 'job-failing', 'price-jump'] as const;

/**
 * The history key of an anomaly (see AlertKey): `policy` names what it is about (`job:ID`, `jobs:TEAM/NAME`,
 * `pool:KEY`), `periodKey` the stretch it covers (the run, the window, the node), `threshold` the setting that
 * was crossed. The same anomaly is sent once; a new run, window or node may raise it again.
 */
export function anomalyKey(alert: AnomalyAlert): {
  kind: AnomalyAlert['kind'];
  policy: string;
  periodKey: string;
  threshold: number;
} {
  switch (alert.kind) {
    case 'gpu-idle':
      return {
        kind: alert.kind,
        policy: `job:${alert.jobId}`,
        periodKey: alert.runStartedAt,
        threshold: alert.minMinutes,
      };
    case 'job-failing':
      return {
        kind: alert.kind,
        policy: `jobs:${alert.team}/${alert.jobName}`,
        periodKey: alert.windowKey,
        threshold: alert.threshold,
      };
    case 'price-jump':
      return {
        kind: alert.kind,
        policy: `pool:${alert.pool}`,
        periodKey: alert.nodeId,
        threshold: alert.thresholdPercent,
      };
  }
}

/** Fields for the log line of an anomaly alert. */
export function anomalyLogFields(alert: AnomalyAlert): Record<string, unknown> {
  switch (alert.kind) {
    case 'gpu-idle':
      return { alert: alert.kind, jobId: alert.jobId, nodeIds: alert.nodeIds, team: alert.team };
    case 'job-failing':
      return { alert: alert.kind, team: alert.team, jobName: alert.jobName, jobIds: alert.jobIds };
    case 'price-jump':
      return { alert: alert.kind, nodeId: alert.nodeId, pool: alert.pool, jobIds: alert.jobIds };
  }
}

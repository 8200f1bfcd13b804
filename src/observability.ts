// Observability, composed (docs/observability.md): the event bus fed by the store, the metrics registry, the
// anomaly service and what the API needs for /metrics, /v1/events and /ui. The composition root (daemon.ts)
// calls these; the ports others fill are passed in: GPU telemetry (the agent protocol's heartbeats) and the
// budget figures (the budget service).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ObservabilityDeps } from './api/observability.js';
import { STALE_AFTER_MS } from './api/routes/market.js';
import { defaultUiDir } from './api/routes/ui.js';
import { Sessions } from './api/sessions.js';
import type { Config } from './config/schema.js';
import { teamOfScope } from './policies/match.js';
import { type AlertSink, AnomalyService } from './services/anomalies.js';
import type { Budgets } from './services/budgets.js';
import { alertEvent, connectStore, EventBus } from './services/events.js';
import { type BudgetSnapshot, type BudgetsSnapshot, Metrics } from './services/metrics.js';
import { parseTelemetry, type TelemetrySource } from './services/telemetry.js';
import type { AlertRecord } from './store/alerts.js';
import { EventLog } from './store/event-log.js';
import type { Store } from './store/store.js';
import { hashToken } from './store/tokens.js';

/** The bus, started from the history's cursor and fed by the store's committed changes. */
export function startEvents(
  store: Store,
  now: () => Date,
): { bus: EventBus; eventLog: EventLog; stop: () => void } {
  const eventLog = new EventLog(store.db);
  const bus = new EventBus(eventLog.cursor());
  const stop = connectStore(bus, store, now);
  return { bus, eventLog, stop };
}

/** What Alerts calls with each new alert (its `onRaised`): the alert goes on the bus. */
export function publishAlert(bus: EventBus): (record: AlertRecord) => void {
  return (record) => bus.publish(alertEvent(record), { alertId: record.id });
}

/** The telemetry port, read from the agents' last heartbeats (store/agents.ts). */
export function storeTelemetry(store: Store): TelemetrySource {
  return { latest: (nodeId) => parseTelemetry(store.agents.lastSeen(nodeId)) };
}

/** The budget port, read from the budget service's report (what GET /v1/budgets shows). */
export function budgetsSnapshot(budgets: Pick<Budgets, 'report'>, now: () => Date): BudgetsSnapshot {
  return () => {
    const { policies, figures } = budgets.report(now());
    const out: BudgetSnapshot[] = [];
    for (const p of policies) {
      const f = figures.get(p.name);
      if (!f) continue;
      out.push({
        policy: p.name,
        team: teamOfScope(p.scope),
        limitUsd: p.limitUsd,
        spentUsd: f.spentUsd,
        committedUsd: f.committedUsd,
        forecastUsd: f.forecast.usd,
      });
    }
    return out;
  };
}

function packageVersion(): string {
  try {
    // src/observability.ts and dist/observability.js both sit one folder below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface ObservabilityInput {
  readonly config: Readonly<Config>;
  readonly store: Store;
  readonly bus: EventBus;
  readonly eventLog: EventLog;
  readonly now: () => Date;
  readonly alerts: AlertSink;
  readonly telemetry: TelemetrySource;
  readonly budgets: BudgetsSnapshot;
  readonly log: Logger;
  /** Process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
}

export interface Observability {
  readonly metrics: Metrics;
  readonly anomalies: AnomalyService;
  /** For buildApp. */
  readonly api: ObservabilityDeps;
  close(): void;
}

export function startObservability(o: ObservabilityInput): Observability {
  const { config } = o;
  const metrics = new Metrics({
    store: o.store,
    bus: o.bus,
    telemetry: o.telemetry,
    budgets: o.budgets,
    now: o.now,
    staleAfterMs: STALE_AFTER_MS,
    version: packageVersion(),
    defaultMetrics: o.defaultMetrics ?? true,
  });
  const anomalies = new AnomalyService(
    o.store,
    o.alerts,
    o.telemetry,
    {
      enabled: config.anomalies.enabled,
      everySeconds: config.anomalies.everySeconds,
      idleGpu: config.anomalies.idleGpu,
      failures: config.anomalies.failures,
      priceJumpPercent: config.anomalies.priceJump.percent,
    },
    o.log,
  );
  return {
    metrics,
    anomalies,
    api: {
      bus: o.bus,
      eventLog: o.eventLog,
      metrics,
      sessions: new Sessions(config.ui.sessionHours * 3_600_000),
      telemetry: o.telemetry,
      metricsPublic: config.metrics.public,
      metricsTokenHash: config.metrics.token ? hashToken(config.metrics.token) : null,
      heartbeatSeconds: config.events.heartbeatSeconds,
      replayLimit: config.events.replayLimit,
      uiDir: defaultUiDir(),
    },
    close: () => metrics.close(),
  };
}

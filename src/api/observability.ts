// What the API needs for observability (issue 8; docs/observability.md): the event bus and its history for
// GET /v1/events, the metrics registry for /metrics and the request-latency hook, the dashboard's sessions and
// files for /ui. The composition root builds it; buildApp registers these routes only when it is given.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventBus } from '../services/events.js';
import type { Metrics } from '../services/metrics.js';
import type { TelemetrySource } from '../services/telemetry.js';
import type { EventLog } from '../store/event-log.js';
import type { Sessions } from './sessions.js';

export interface ObservabilityDeps {
  readonly bus: EventBus;
  readonly eventLog: EventLog;
  readonly metrics: Metrics;
  readonly sessions: Sessions;
  /** GPU figures per node (GET /v1/fleet). */
  readonly telemetry: TelemetrySource;
  /** /metrics without a token (metrics.public); else the admin token or metrics.token. */
  readonly metricsPublic: boolean;
  /** sha256 of metrics.token, when one is set. */
  readonly metricsTokenHash: string | null;
  /** Seconds between heartbeat comments on an event stream. */
  readonly heartbeatSeconds: number;
  /** Job events or alerts replayed at most on a reconnect; more, and the client is told to reload. */
  readonly replayLimit: number;
  /** The dashboard's static files (the package's ui/ folder). */
  readonly uiDir: string;
}

/** fastify onResponse: one observation of API latency, labelled with the route's pattern (never the raw URL). */
export function latencyHook(metrics: Metrics) {
  return async function observeLatency(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
  };
}

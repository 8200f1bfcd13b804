// Builds the HTTP API without listening: tests drive it with inject(), the daemon calls listen().
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { LocalAgents } from '../clouds/sim/local-agents.js';
import type { SimProvider } from '../clouds/sim/provider.js';
import type { CostFn } from '../core/placement/cost-fn.js';
import { formatIssues, type Issue, schemaIssues } from '../core/validate.js';
import type { AgentService } from '../services/agents.js';
import type { Availability } from '../services/availability.js';
import type { Providers } from '../services/billing.js';
import type { Budgets } from '../services/budgets.js';
import { ApiError, type JobService } from '../services/jobs.js';
import type { Store } from '../store/store.js';
import { makeAuthenticate } from './auth.js';
import { latencyHook, type ObservabilityDeps } from './observability.js';
import { agentRoutes } from './routes/agent.js';
import { alertRoutes } from './routes/alerts.js';
import { budgetRoutes } from './routes/budgets.js';
import { eventRoutes } from './routes/events.js';
import { fleetRoutes } from './routes/fleet.js';
import { healthRoutes } from './routes/health.js';
import { jobOutputRoutes } from './routes/job-output.js';
import { jobRoutes } from './routes/jobs.js';
import { marketRoutes } from './routes/market.js';
import { metricsRoutes } from './routes/metrics.js';
import { priceHistoryRoutes } from './routes/price-history.js';
import { simRoutes } from './routes/sim.js';
import { tokenRoutes } from './routes/tokens.js';
import { uiRoutes } from './routes/ui.js';

export interface AppDeps {
  store: Store;
  jobs: JobService;
  providers: Providers;
  availability: Availability;
  /** What a placement costs: the scheduler's own function, so explain agrees with it. */
  cost: CostFn;
  /** Budget enforcement and figures: enables /v1/budgets and the budget part of explain. */
  budgets?: Budgets;
  /** The agent protocol's service: enables /v1/agent (node tokens, not team tokens). */
  agents?: AgentService;
  /** Present when the simulated cloud runs: enables /v1/sim. */
  sim?: SimProvider;
  /** Present in the simulated cloud's local mode: interrupts go to the nodes' metadata servers. */
  localAgents?: LocalAgents;
  adminTokenHash: string;
  now: () => Date;
  /** Readiness checks by name; /readyz is 200 when all are true. */
  readiness: () => Record<string, boolean>;
  /** Wakes the scheduler after a submission instead of waiting for its next tick. */
  kick?: () => void;
  bodyLimitBytes: number;
  logger?: FastifyBaseLogger | false;
  /** Metrics, the event stream and the dashboard (api/observability.ts): enables /metrics, /v1/events, /ui. */
  observability?: ObservabilityDeps;
}

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

class ValidationError extends Error {
  constructor(readonly issues: Issue[]) {
    super(formatIssues(issues));
  }
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger || undefined,
    bodyLimit: deps.bodyLimitBytes,
    // Request ids in every log line; clients may pass their own for tracing.
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  // One validator everywhere: TypeBox, every error with its path (the same Issue shape as the CLI's).
  app.setValidatorCompiler(({ schema, httpPart }) => (data: unknown) => {
    // Query strings, params and headers arrive as strings: fill defaults and convert ("50" → 50) first.
    // Bodies are JSON and are taken as sent, so a string where a number belongs is an error.
    const value =
      httpPart === 'body' ? data : Value.Convert(schema as TSchema, Value.Default(schema as TSchema, data));
    const issues = schemaIssues(schema as TSchema, value);
    if (issues.length === 0) return { value };
    const prefix = httpPart === 'body' ? '' : `${httpPart}.`;
    return { error: new ValidationError(issues.map((i) => ({ ...i, path: `${prefix}${i.path}` }))) };
  });

  app.setErrorHandler((err: FastifyError | ApiError | ValidationError, req, reply) => {
    if (err instanceof ApiError) {
      return reply
        .code(err.status)
        .send({ error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) });
    }
    if (err instanceof ValidationError) {
      return reply
        .code(400)
        .send({ error: 'invalid_request', message: 'the request is invalid', issues: err.issues });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({
      error: status === 413 ? 'too_large' : status < 500 ? 'invalid_request' : 'internal',
      message: status < 500 ? err.message : 'internal error; see the daemon log',
    });
  });

  const obs = deps.observability;
  if (obs) app.addHook('onResponse', latencyHook(obs.metrics));

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'gpusched API',
        version: '1',
        description: 'Queue GPU jobs onto the cheapest capacity that fits.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { deps });
  await app.register(
    async (v1) => {
      v1.addHook(
        'onRequest',
        makeAuthenticate(
          deps.store,
          deps.adminTokenHash,
          obs ? { sessions: obs.sessions, now: deps.now } : undefined,
        ),
      );
      await v1.register(jobRoutes, { deps });
      await v1.register(jobOutputRoutes, { deps });
      await v1.register(marketRoutes, { deps });
      await v1.register(tokenRoutes, { deps });
      await v1.register(alertRoutes, { alerts: deps.store.alerts });
      if (deps.budgets)
        await v1.register(budgetRoutes, { budgets: deps.budgets, store: deps.store, now: deps.now });
      if (deps.sim) await v1.register(simRoutes, { deps, sim: deps.sim });
      if (obs) {
        await v1.register(eventRoutes, { obs });
        await v1.register(fleetRoutes, { deps, telemetry: obs.telemetry });
        await v1.register(priceHistoryRoutes, { store: deps.store, now: deps.now });
      }
    },
    { prefix: '/v1' },
  );
  if (obs) {
    await app.register(metricsRoutes, { obs, adminTokenHash: deps.adminTokenHash });
    await app.register(uiRoutes, {
      obs,
      store: deps.store,
      adminTokenHash: deps.adminTokenHash,
      now: deps.now,
    });
  }
  // A sibling of the team API, without its token check: agents authenticate with node tokens.
  if (deps.agents) await app.register(agentRoutes, { prefix: '/v1', agents: deps.agents, now: deps.now });
  return app;
}

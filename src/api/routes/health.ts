import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.js';

export const healthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  /** Liveness: the process answers. */
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  /** Readiness: the store is open, the market has been read, the first reconciliation is done. */
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'starting', checks });
  });
};

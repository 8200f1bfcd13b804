// GET /metrics: the Prometheus text exposition (services/metrics.ts; docs/observability.md). Behind a token by
// default: the admin token, or a scrape-only `metrics.token` (GPUSCHED_METRICS_TOKEN), which reads /metrics and
// nothing else. `metrics.public: true` serves it to anyone who can reach the port (a scraper on a private
// network): the series name teams, jobs and spend, so a daemon listening beyond loopback should keep a token.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../services/jobs.js';
import { hashToken } from '../../store/tokens.js';
import { bearer } from '../auth.js';
import type { ObservabilityDeps } from '../observability.js';

function same(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const metricsRoutes: FastifyPluginAsync<{ obs: ObservabilityDeps; adminTokenHash: string }> = async (
  app,
  { obs, adminTokenHash },
) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Text exposition format. Needs the admin token or metrics.token as a bearer token, unless metrics.public.',
        security: obs.metricsPublic ? [] : [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      if (!obs.metricsPublic) {
        const token = bearer(req);
        if (!token)
          throw new ApiError(401, 'unauthorized', 'missing bearer token (the admin token or metrics.token)');
        const hash = hashToken(token);
        const ok =
          same(hash, adminTokenHash) || (obs.metricsTokenHash !== null && same(hash, obs.metricsTokenHash));
        if (!ok) throw new ApiError(401, 'unauthorized', '/metrics takes the admin token or metrics.token');
      }
      const text = await obs.metrics.text();
      return reply
        .header('content-type', obs.metrics.contentType)
        .header('cache-control', 'no-store')
        .send(text);
    },
  );
};

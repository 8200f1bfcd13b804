// What a job printed, as its agent forwarded it: GET /v1/jobs/:id/logs (lines, oldest first, paged by
// sequence) and GET /v1/jobs/:id/metrics-series (GPUSCHED_METRIC points as one series per name: loss curves).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.js';
import { callerOf } from '../auth.js';
import { IdParams } from '../schemas/common.js';

const LogsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({ minimum: 0, default: 0, description: 'nextCursor of the page before' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
  },
  { additionalProperties: false },
);

export const jobOutputRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/jobs/:id/logs',
    { schema: { summary: "The job's log lines, oldest first", params: IdParams, querystring: LogsQuery } },
    async (req) => {
      const job = deps.jobs.visible(callerOf(req), (req.params as { id: string }).id);
      const q = req.query as { after?: number; limit?: number };
      const limit = q.limit ?? 1000;
      const items = deps.store.output.logs(job.id, q.after ?? 0, limit);
      return { items, nextCursor: items.length === limit ? items.at(-1)!.seq : null };
    },
  );

  app.get(
    '/jobs/:id/metrics-series',
    {
      schema: {
        summary: "The job's metric points, one series per name (x: step, else time)",
        params: IdParams,
      },
    },
    async (req) => {
      const job = deps.jobs.visible(callerOf(req), (req.params as { id: string }).id);
      const series: Record<string, { step: number | null; at: string; value: number }[]> = {};
      const params: Record<string, number | string> = {};
      for (const p of deps.store.output.metrics(job.id)) {
        for (const [name, value] of Object.entries(p.values)) {
          // Numbers make curves; strings (an optimizer's name at step 0) are hyperparameters.
          if (typeof value !== 'number') params[name] = value;
          else {
            series[name] ??= [];
            series[name].push({ step: p.step, at: p.at, value });
          }
        }
      }
      return { jobId: job.id, series, params };
    },
  );
};

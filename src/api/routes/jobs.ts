import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { JobSpecSchema, nodesNeeded } from '../../core/jobspec.js';
import type { JobState } from '../../core/model.js';
import { explain } from '../../core/placement/explain.js';
import { ApiError } from '../../services/jobs.js';
import type { AppDeps } from '../app.js';
import { callerOf } from '../auth.js';
import { IdParams, JobState as JobStateSchema } from '../schemas/common.js';
import { jobView } from '../views.js';

const LABEL = '^[^=]+=.*$';

const ListQuery = Type.Object(
  {
    state: Type.Optional(JobStateSchema),
    // Repeatable: `?label=a=1&label=b=2` means both.
    label: Type.Optional(
      Type.Union(
        [Type.String({ pattern: LABEL }), Type.Array(Type.String({ pattern: LABEL }), { maxItems: 16 })],
        {
          description: 'key=value; repeat for several (all must match)',
        },
      ),
    ),
    team: Type.Optional(Type.String({ description: 'admin only: one team' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  },
  { additionalProperties: false },
);

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

export const jobRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const { store, providers } = deps;

  app.post(
    '/jobs',
    {
      schema: {
        summary: 'Submit a job',
        body: JobSpecSchema,
        headers: IdempotencyHeaders,
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const { job, replayed } = deps.jobs.submit(
        callerOf(req),
        req.body,
        typeof key === 'string' ? key : undefined,
        deps.now(),
      );
      if (!replayed) deps.kick?.();
      return reply.code(replayed ? 200 : 201).send(jobView(store, providers, job, deps.now()));
    },
  );

  app.get(
    '/jobs',
    { schema: { summary: 'List jobs, newest first', querystring: ListQuery } },
    async (req) => {
      const caller = callerOf(req);
      const q = req.query as {
        state?: JobState;
        label?: string | string[];
        team?: string;
        limit?: number;
        cursor?: string;
      };
      if (q.team && !caller.admin && q.team !== caller.team)
        throw new ApiError(404, 'not_found', `no team ${q.team}`);
      const labels = (q.label === undefined ? [] : [q.label].flat()).map((l) => {
        const eq = l.indexOf('=');
        return { key: l.slice(0, eq), value: l.slice(eq + 1) };
      });
      const limit = q.limit ?? 50;
      const page = store.jobs.list({
        team: caller.admin ? q.team : caller.team,
        state: q.state,
        labels,
        limit,
        beforeSeq: q.cursor ? Number(q.cursor) : undefined,
      });
      const now = deps.now();
      return {
        items: page.jobs.map((j) => jobView(store, providers, j, now)),
        nextCursor: page.more && page.lastSeq !== null ? String(page.lastSeq) : null,
      };
    },
  );

  app.get('/jobs/:id', { schema: { summary: 'One job with its events', params: IdParams } }, async (req) => {
    const job = deps.jobs.visible(callerOf(req), (req.params as { id: string }).id);
    const events = store.jobs.events(job.id).map(({ at, from, to, reason }) => ({ at, from, to, reason }));
    return { ...jobView(store, providers, job, deps.now()), events };
  });

  app.get(
    '/jobs/:id/explain',
    {
      schema: {
        summary: 'Where the job would run now and why: best placement, alternatives, rejected pools',
        params: IdParams,
      },
    },
    async (req) => {
      const job = deps.jobs.visible(callerOf(req), (req.params as { id: string }).id);
      const now = deps.now();
      const offers = deps.availability.annotate(store.offers.list(), now);
      const view = jobView(store, providers, job, now);
      return {
        jobId: job.id,
        state: job.state,
        reason: job.reason,
        placement: view.placement,
        expectedCostUsd: view.expectedCostUsd,
        ...explain(job, offers, nodesNeeded(job.spec), now, deps.cost),
        // Held or suspended by a budget says so here, with each applying policy's numbers.
        budget: deps.budgets ? deps.budgets.explain(job, now) : null,
      };
    },
  );

  app.delete('/jobs/:id', { schema: { summary: 'Cancel a job', params: IdParams } }, async (req) => {
    const job = deps.jobs.cancel(callerOf(req), (req.params as { id: string }).id, deps.now());
    return jobView(store, providers, job, deps.now());
  });
};

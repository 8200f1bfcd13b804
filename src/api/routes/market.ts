import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { CloudName, Market, NodeState } from '../../core/model.js';
import type { AppDeps } from '../app.js';
import { Cloud, MarketName, NodeState as NodeStateSchema } from '../schemas/common.js';
import { nodeViews } from '../views.js';

/** A source is stale when it has not answered for this long (a poll missed twice, at the default rate). */
export const STALE_AFTER_MS = 15 * 60_000;

const OffersQuery = Type.Object(
  {
    gpu: Type.Optional(Type.String({ minLength: 1 })),
    cloud: Type.Optional(Cloud),
    market: Type.Optional(MarketName),
    region: Type.Optional(Type.String({ minLength: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 100 })),
  },
  { additionalProperties: false },
);

const NodesQuery = Type.Object({ state: Type.Optional(NodeStateSchema) }, { additionalProperties: false });

export const marketRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/offers',
    { schema: { summary: 'Offers, cheapest first', querystring: OffersQuery } },
    async (req) => {
      const q = req.query as {
        gpu?: string;
        cloud?: CloudName;
        market?: Market;
        region?: string;
        limit?: number;
      };
      const now = deps.now().getTime();
      return {
        items: deps.availability.annotate(
          deps.store.offers.list({ ...q, limit: q.limit ?? 100 }),
          deps.now(),
        ),
        sources: deps.store.offers.sources().map((s) => ({
          ...s,
          // Stale: its last attempt failed (the offers shown are the last good ones), or it has been
          // quiet for longer than two default poll intervals and a bit.
          stale:
            s.lastError !== null || s.fetchedAt === null || now - Date.parse(s.fetchedAt) > STALE_AFTER_MS,
        })),
      };
    },
  );

  app.get('/nodes', { schema: { summary: 'Nodes, oldest first', querystring: NodesQuery } }, async (req) => {
    const q = req.query as { state?: NodeState };
    const nodes = deps.store.nodes.list(q.state ? [q.state] : undefined);
    return { items: nodeViews(deps.store, deps.providers, nodes, deps.now()) };
  });
};

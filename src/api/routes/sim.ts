import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { SimProvider } from '../../clouds/sim/provider.js';
import type { CloudName } from '../../core/model.js';
import { ApiError } from '../../services/jobs.js';
import type { AppDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { Cloud, IdParams } from '../schemas/common.js';
import { nodeViews } from '../views.js';

const InterruptBody = Type.Object({ cloud: Type.Optional(Cloud) }, { additionalProperties: false });

export const simRoutes: FastifyPluginAsync<{ deps: AppDeps; sim: SimProvider }> = async (
  app,
  { deps, sim },
) => {
  app.post(
    '/sim/nodes/:id/interrupt',
    {
      schema: {
        summary: "Reclaim a simulated spot node, with its cloud's notice (admin)",
        params: IdParams,
        body: Type.Optional(InterruptBody),
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const id = (req.params as { id: string }).id;
      const node = deps.store.nodes.get(id);
      if (!node) throw new ApiError(404, 'not_found', `no node ${id}`);
      if (node.provider !== sim.name)
        throw new ApiError(409, 'conflict', `node ${id} is not a simulated node`);
      if (!node.providerId || node.state === 'terminated' || node.state === 'terminating') {
        throw new ApiError(409, 'conflict', `node ${id} is ${node.state}; nothing to interrupt`);
      }
      const cloud = (req.body as { cloud?: CloudName } | undefined)?.cloud;
      const { noticeSeconds } = sim.interrupt(node.providerId, cloud);
      const [view] = nodeViews(deps.store, deps.providers, [node], deps.now());
      return reply.code(202).send({ node: view, noticeSeconds });
    },
  );
};

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
      let noticeSeconds: number;
      if (deps.localAgents) {
        // Local mode: the notice appears on the node's metadata server, where its agent watches for it.
        try {
          ({ noticeSeconds } = deps.localAgents.interrupt(node.id, node.providerId, cloud ?? node.cloud));
        } catch (err) {
          throw new ApiError(409, 'conflict', (err as Error).message);
        }
      } else ({ noticeSeconds } = sim.interrupt(node.providerId, cloud));
      const [view] = nodeViews(deps.store, deps.providers, [node], deps.now());
      return reply.code(202).send({ node: view, noticeSeconds });
    },
  );

  app.post(
    '/sim/nodes/:id/lose',
    {
      schema: {
        summary: 'Kill a local-mode node without notice: only its missing heartbeats tell (admin)',
        params: IdParams,
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const id = (req.params as { id: string }).id;
      if (!deps.localAgents)
        throw new ApiError(
          409,
          'conflict',
          'nodes can be lost silently in local mode only (sim.mode: local)',
        );
      try {
        await deps.localAgents.lose(id);
      } catch (err) {
        throw new ApiError(404, 'not_found', (err as Error).message);
      }
      return reply.code(202).send({ nodeId: id, lost: true });
    },
  );
};

// /v1/agent/*: the calls node agents make (docs/agent-protocol.md). Registration takes the node's bootstrap
// token; every other call its session token. Team and admin tokens are not accepted here, and node tokens are
// accepted nowhere else.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AgentService } from '../../services/agents.js';
import { ApiError } from '../../services/jobs.js';
import { bearer } from '../auth.js';
import { CheckpointBody, HeartbeatBody, LogsBody, NoticeBody, RegisterBody } from '../schemas/agent.js';

export interface AgentRouteOptions {
  agents: AgentService;
  now: () => Date;
}

function token(req: FastifyRequest): string {
  const t = bearer(req);
  if (!t)
    throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <node token>)');
  return t;
}

export const agentRoutes: FastifyPluginAsync<AgentRouteOptions> = async (app, { agents, now }) => {
  const tags = ['agent'];
  const node = (req: FastifyRequest) => agents.authenticate(token(req), now());

  app.post('/agent/register', { schema: { tags, body: RegisterBody } }, async (req) =>
    agents.register(token(req), req.body as RegisterBody, now()),
  );
  app.post('/agent/heartbeat', { schema: { tags, body: HeartbeatBody } }, async (req) =>
    agents.heartbeat(node(req), req.body as HeartbeatBody, now()),
  );
  app.post('/agent/notice', { schema: { tags, body: NoticeBody } }, async (req) =>
    agents.notice(node(req), req.body as NoticeBody, now()),
  );
  app.post('/agent/checkpoint', { schema: { tags, body: CheckpointBody } }, async (req) => {
    agents.checkpoint(node(req), req.body as CheckpointBody, now());
    return {};
  });
  app.post('/agent/logs', { schema: { tags, body: LogsBody } }, async (req, reply) => {
    agents.output(node(req), req.body as LogsBody);
    return reply.code(202).send({});
  });
};

import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.js';
import { requireAdmin } from '../auth.js';

const CreateToken = Type.Object(
  {
    team: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const tokenRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.post(
    '/tokens',
    { schema: { summary: 'Create a team token (admin)', body: CreateToken } },
    async (req, reply) => {
      requireAdmin(req);
      const body = req.body as { team: string; name?: string };
      const { record, token } = deps.store.tokens.create(body.team, 'team', body.name ?? null, deps.now());
      // The only time the token is ever shown: only its hash is stored.
      return reply.code(201).send({ ...record, token });
    },
  );

  app.get('/tokens', { schema: { summary: 'List tokens (admin); secrets are never shown' } }, async (req) => {
    requireAdmin(req);
    return { items: deps.store.tokens.list() };
  });
};

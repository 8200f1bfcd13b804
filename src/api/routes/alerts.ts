// GET /v1/alerts: the budget alert history, newest first. An admin sees every alert (and may narrow to one
// team with ?team=); a team sees the alerts of policies whose scope names its team (`scope.team`). Alerts of
// policies scoped by labels alone or `all: true` may concern several teams, and policy-file alerts concern the
// operators, so those are for admins only. The webhook is shown by its reference, never its URL.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { STORED_ALERT_KINDS, type StoredAlertKind } from '../../alerts/notifier.js';
import { ApiError } from '../../services/jobs.js';
import type { AlertRecord, AlertRepo } from '../../store/alerts.js';
import { callerOf } from '../auth.js';

const ListQuery = Type.Object(
  {
    kind: Type.Optional(Type.Enum(STORED_ALERT_KINDS)),
    policy: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'one policy by name' })),
    team: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: 'admin only: the alerts a team may read' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'nextCursor of the page before' })),
  },
  { additionalProperties: false },
);

export interface AlertRouteOptions {
  /** The alert repository (Store.alerts once it is registered there). */
  readonly alerts: Pick<AlertRepo, 'list'>;
}

/** One alert as the API shows it. */
export function alertView(r: AlertRecord) {
  return {
    id: r.id,
    kind: r.kind,
    policy: r.policy,
    periodKey: r.periodKey,
    threshold: r.threshold,
    team: r.team,
    slack: r.slack,
    summary: r.summary,
    createdAt: r.createdAt,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    deliveredAt: r.deliveredAt,
    /** The alert's data: spend, limit, forecast, period, action (or the policy file problems). */
    alert: r.alert,
  };
}

export const alertRoutes: FastifyPluginAsync<AlertRouteOptions> = async (app, { alerts }) => {
  app.get(
    '/alerts',
    {
      schema: {
        summary: 'Budget alerts, newest first',
        description:
          'Every alert raised (threshold crossed, forecast to exceed, limit reached, policy file invalid) with its delivery. ' +
          'An admin sees all; a team sees alerts of policies whose scope names its team. Answers {items, nextCursor}.',
        querystring: ListQuery,
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const q = req.query as {
        kind?: StoredAlertKind;
        policy?: string;
        team?: string;
        limit?: number;
        cursor?: string;
      };
      if (q.team !== undefined && !caller.admin && q.team !== caller.team) {
        throw new ApiError(404, 'not_found', `no team ${q.team}`);
      }
      const page = alerts.list({
        team: caller.admin ? q.team : caller.team,
        kind: q.kind,
        policy: q.policy,
        limit: q.limit ?? 50,
        beforeId: q.cursor === undefined ? undefined : Number(q.cursor),
      });
      return { items: page.items.map(alertView), nextCursor: page.nextCursor };
    },
  );
};

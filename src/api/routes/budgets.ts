// GET /v1/budgets: every budget policy in force with its numbers now: spent in the period (the ledger), committed
// (what the scope's admitted jobs are still expected to cost), the forecast to the period's end, what is left,
// the burn rate against its cap, the state, and the drift against cloud billing where it is known. An admin
// sees every policy (and may narrow to a team with ?team=); a team sees the policies whose scope names it, as
// for alerts: a policy of labels alone or `all: true` may span teams, so its numbers are for admins.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { describeScope, teamOfScope } from '../../policies/match.js';
import type { Policy } from '../../policies/schema.js';
import type { PolicyFigures } from '../../services/budget-book.js';
import type { Budgets } from '../../services/budgets.js';
import { ApiError } from '../../services/jobs.js';
import type { DriftRecord } from '../../store/budgets.js';
import type { Store } from '../../store/store.js';
import { callerOf } from '../auth.js';

const ListQuery = Type.Object(
  {
    team: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description: 'admin only: the policies that scope this team',
      }),
    ),
  },
  { additionalProperties: false },
);

export interface BudgetRouteOptions {
  readonly budgets: Pick<Budgets, 'report'>;
  readonly store: Pick<Store, 'budgets'>;
  readonly now: () => Date;
}

/** Cents are what people compare; sub-cent noise from float sums is not. */
const round = (usd: number) => Math.round(usd * 10_000) / 10_000;

/** One policy as the API shows it. */
export function budgetView(policy: Policy, f: PolicyFigures, drift: readonly DriftRecord[]) {
  return {
    name: policy.name,
    scope: policy.scope,
    scopeText: describeScope(policy.scope),
    team: teamOfScope(policy.scope),
    source: `${policy.source.file}:${policy.source.line}`,
    period: policy.period,
    timezone: policy.timezone,
    periodKey: f.window.key,
    periodStart: f.window.start.toISOString(),
    periodEnd: f.window.end.toISOString(),
    limitUsd: policy.limitUsd,
    spentUsd: round(f.spentUsd),
    committedUsd: round(f.committedUsd),
    forecastUsd: round(f.forecast.usd),
    /** `linear`: the spend so far extrapolated; `committed`: too early in the period, spent + committed. */
    forecastBasis: f.forecast.basis,
    /** What new work may still be admitted under a hard limit: limit − spent − committed, at least 0. */
    remainingUsd: round(Math.max(0, policy.limitUsd - f.spentUsd - f.committedUsd)),
    burnRate:
      policy.burnRateUsdPerHour === undefined
        ? null
        : { capUsdPerHour: policy.burnRateUsdPerHour, currentUsdPerHour: round(f.runningUsdPerHour) },
    action: policy.action,
    state: f.state,
    /** Ledger against the cloud's bill over whole UTC days of the period; empty until reconciled. */
    drift: drift.map((d) => ({
      cloud: d.cloud,
      fromDay: d.fromDay,
      toDay: d.toDay,
      ledgerUsd: round(d.ledgerUsd),
      billedUsd: round(d.billedUsd),
      driftUsd: round(d.billedUsd - d.ledgerUsd),
      checkedAt: d.checkedAt,
    })),
  };
}

export const budgetRoutes: FastifyPluginAsync<BudgetRouteOptions> = async (app, opts) => {
  app.get(
    '/budgets',
    {
      schema: {
        summary: 'Budget policies with spent, committed, forecast, remaining and state',
        description:
          'Every policy in force with its numbers for the current period. An admin sees all; a team sees the ' +
          'policies whose scope names its team. Answers {items}.',
        querystring: ListQuery,
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const q = req.query as { team?: string };
      if (q.team !== undefined && !caller.admin && q.team !== caller.team) {
        throw new ApiError(404, 'not_found', `no team ${q.team}`);
      }
      const team = caller.admin ? q.team : caller.team;
      const { policies, figures } = opts.budgets.report(opts.now());
      const items = policies
        .filter((p) => team === undefined || teamOfScope(p.scope) === team)
        .map((p) => {
          const f = figures.get(p.name)!;
          return budgetView(p, f, opts.store.budgets.drift(p.name, f.window.key));
        });
      return { items };
    },
  );
};

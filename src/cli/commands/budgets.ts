// Budget commands. `budgets` asks the daemon for every policy's numbers this period (spent, committed, forecast,
// what is left, state, drift against cloud billing). Two run here, without a daemon: `policies check DIR`
// validates a policy folder the way the daemon loads it (for CI and for editing), and `alerts test` posts a test
// message straight to the Slack webhook configured in this environment. Both load their modules on use, like
// the other local commands.
import { type Command, InvalidArgumentError } from 'commander';
import type { Policy } from '../../policies/schema.js';
import { CliError, EXIT } from '../errors.js';
import { json, money, table } from '../format.js';
import { eprintln, println } from '../io.js';
import { type Ctx, withJson } from './shared.js';

const SLACK_REF = /^[a-z0-9]+([_-][a-z0-9]+)*$/;

function slackRef(value: string): string {
  if (!SLACK_REF.test(value) || value.length > 64) {
    throw new InvalidArgumentError(
      'expected a webhook name: lower-case letters and digits, words joined by - or _ (e.g. research, ml-infra).',
    );
  }
  return value;
}

/** One policy as GET /v1/budgets answers (src/api/routes/budgets.ts budgetView). */
export interface ApiBudget {
  name: string;
  scopeText: string;
  period: string;
  timezone: string;
  periodKey: string;
  periodEnd: string;
  limitUsd: number;
  spentUsd: number;
  committedUsd: number;
  forecastUsd: number;
  remainingUsd: number;
  burnRate: { capUsdPerHour: number; currentUsdPerHour: number } | null;
  action: string;
  state: string;
  drift: { cloud: string; driftUsd: number }[];
}

export function registerBudgetCommands(program: Command, ctx: Ctx): void {
  withJson(
    program
      .command('budgets')
      .description('budget policies with what is spent, committed, forecast and left this period')
      .option('--team <team>', 'admin: only the policies that scope this team'),
  ).action(async (opts: { team?: string; json?: boolean }) => {
    const { io } = ctx;
    const { body } = await ctx
      .client()
      .request<{ items: ApiBudget[] }>('GET', '/v1/budgets', { query: { team: opts.team } });
    if (opts.json) {
      println(io, json(body));
      return;
    }
    if (body.items.length === 0) {
      eprintln(io, 'no budget policies apply (an admin sees every policy; a team those that name it)');
      return;
    }
    println(io, budgetsTable(body.items));
  });

  const policies = program.command('policies').description('budget policy files');
  policies
    .command('check')
    .description('validate a folder of budget policy files (*.yaml) as the daemon loads it; no daemon needed')
    .argument('<dir>', 'the policy folder, e.g. policies')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const { io } = ctx;
      const { formatPolicyIssue, loadPolicyDir } = await import('../../policies/load.js');
      const result = loadPolicyDir(dir);
      if (!result.ok) {
        if (opts.json) {
          println(io, json({ ok: false, dir, issues: result.issues }));
          throw new CliError([], EXIT.invalid);
        }
        const files = new Set(result.issues.map((issue) => issue.file));
        const count = result.issues.length;
        throw new CliError(
          [
            ...result.issues.map(formatPolicyIssue),
            `gpusched: ${count} ${count === 1 ? 'problem' : 'problems'} in ${files.size} ${files.size === 1 ? 'file' : 'files'}; the policies in ${dir} are not valid`,
          ],
          EXIT.invalid,
        );
      }
      const { set } = result;
      if (opts.json) {
        println(io, json({ ok: true, dir, files: set.files, policies: set.policies }));
        return;
      }
      const { describeScope } = await import('../../policies/match.js');
      const n = set.policies.length;
      const summary = `${dir}: ${n} ${n === 1 ? 'policy' : 'policies'} in ${set.files.length} ${set.files.length === 1 ? 'file' : 'files'}, all valid`;
      if (n === 0) {
        println(io, `${summary} (no budgets: every job is admitted)`);
        return;
      }
      println(io, `${summary}\n`);
      println(io, policiesTable(set.policies, describeScope));
    });

  const alerts = program.command('alerts').description('budget alerts on Slack');
  alerts
    .command('test')
    .description(
      'send a test message to a Slack webhook configured here (env or secret file); no daemon needed',
    )
    .option(
      '--slack <name>',
      'the webhook a policy names (its alerts.slack); default: the default webhook',
      slackRef,
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { slack?: string; json?: boolean }) => {
      const { io } = ctx;
      const { resolveWebhook, secretsDirOf, WebhookConfigError, webhookEnvName, webhookSecretFile } =
        await import('../../alerts/webhooks.js');
      const { SlackNotifier } = await import('../../alerts/slack.js');
      const secretsDir = secretsDirOf(io.env.GPUSCHED_DATA_DIR || 'var');
      let webhook: ReturnType<typeof resolveWebhook>;
      try {
        webhook = resolveWebhook(opts.slack, { env: io.env, secretsDir });
      } catch (error) {
        if (error instanceof WebhookConfigError)
          throw new CliError(`gpusched: ${error.message}`, EXIT.invalid);
        throw error;
      }
      const which = opts.slack === undefined ? 'the default webhook' : `webhook "${opts.slack}"`;
      if (webhook === undefined) {
        const variable = webhookEnvName(opts.slack);
        const orDefault = opts.slack === undefined ? '' : ` (or the default ${webhookEnvName()})`;
        throw new CliError(
          [
            `gpusched: no Slack webhook is configured for ${which}; alerts would go to the daemon log only`,
            `  set ${variable}${orDefault}, or write the URL to ${webhookSecretFile(secretsDir, opts.slack)} (mode 0600)`,
          ],
          EXIT.invalid,
        );
      }
      if (webhook.fallback) {
        eprintln(
          io,
          `gpusched: ${which} is not configured; its alerts go to the default webhook, so the test does too`,
        );
      }
      if (webhook.warning !== undefined) eprintln(io, `gpusched: warning: ${webhook.warning}`);
      const resolved = webhook;
      const notifier = new SlackNotifier({ resolve: () => resolved, fetch: io.fetch, maxAttempts: 3 });
      const delivery = await notifier.send({
        kind: 'test',
        webhook: resolved.name,
        sentAt: io.now().toISOString(),
      });
      const result = {
        delivered: delivery.status === 'delivered',
        webhook: resolved.name,
        source: resolved.source,
        attempts: delivery.attempts,
        ...(delivery.error === undefined ? {} : { error: delivery.error }),
      };
      if (opts.json) println(io, json(result));
      if (delivery.status !== 'delivered') {
        throw new CliError(
          opts.json
            ? []
            : [
                `gpusched: the test message was not delivered through ${delivery.destination}: ${delivery.error ?? 'unknown error'}`,
              ],
          EXIT.api,
        );
      }
      if (!opts.json)
        println(io, `sent a test message through Slack webhook ${resolved.name} (${resolved.source})`);
    });
}

function policiesTable(
  policies: readonly Policy[],
  describeScope: (scope: Policy['scope']) => string,
): string {
  return table(
    ['NAME', 'SCOPE', 'PERIOD', 'LIMIT', 'BURN CAP', 'ACTION', 'ALERTS', 'SLACK', 'FILE'],
    policies.map((p) => [
      p.name,
      describeScope(p.scope),
      `${p.period} (${p.timezone})`,
      money(p.limitUsd),
      p.burnRateUsdPerHour === undefined ? '-' : `${money(p.burnRateUsdPerHour)}/h`,
      p.action,
      alertsText(p),
      p.alerts.slack ?? 'default',
      `${p.source.file}:${p.source.line}`,
    ]),
    ['left', 'left', 'left', 'right', 'right', 'left', 'left', 'left', 'left'],
  );
}

/** The `gpusched budgets` table: one line per policy, money as people read it. */
export function budgetsTable(items: readonly ApiBudget[]): string {
  return table(
    [
      'NAME',
      'SCOPE',
      'PERIOD',
      'SPENT',
      'COMMITTED',
      'FORECAST',
      'LIMIT',
      'LEFT',
      'BURN',
      'STATE',
      'ACTION',
      'DRIFT',
    ],
    items.map((b) => [
      b.name,
      b.scopeText,
      b.periodKey,
      money(b.spentUsd),
      money(b.committedUsd),
      money(b.forecastUsd),
      money(b.limitUsd),
      money(b.remainingUsd),
      b.burnRate === null
        ? '-'
        : `${money(b.burnRate.currentUsdPerHour)}/h of ${money(b.burnRate.capUsdPerHour)}/h`,
      b.state,
      b.action,
      b.drift.length === 0 ? '-' : b.drift.map((d) => `${d.cloud} ${money(d.driftUsd)}`).join(', '),
    ]),
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left', 'left'],
  );
}

function alertsText(p: Policy): string {
  const thresholds = p.alerts.thresholds.length === 0 ? [] : [`${p.alerts.thresholds.join('/')}%`];
  const parts = [...thresholds, ...(p.alerts.forecast ? ['forecast'] : [])];
  return parts.length === 0 ? 'none' : parts.join(', ');
}

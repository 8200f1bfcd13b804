// `gpusched plan --input FILE`: one scheduling cycle of the pure core on a snapshot file, printed with its
// total expected cost. Runs here, without a daemon: "what would you do with this queue?".
import type { Command } from 'commander';
import type { Action, Plan } from '../../core/schedule.js';
import { CliError, EXIT } from '../errors.js';
import { money, table } from '../format.js';
import { println } from '../io.js';
import { formatFileIssue, issuesAtLines, parseJobText, readJobFile } from '../jobfile.js';
import { type Ctx, withJson } from './shared.js';

export function registerPlanCommand(program: Command, ctx: Ctx): void {
  withJson(
    program
      .command('plan')
      .description('run one scheduling cycle on a snapshot file (jobs, offers, nodes) and print the plan')
      .requiredOption('--input <file>', 'snapshot file, YAML or JSON (- for stdin); format in docs/plan.md'),
  ).action(async (opts: { input: string; json?: boolean }) => {
    const { io } = ctx;
    const { name, text } = await readJobFile(opts.input, io.readStdin);
    const parsed = parseJobText(text, name);
    if (!parsed.ok) throw new CliError(parsed.issues.map(formatFileIssue).join('\n'), EXIT.invalid);
    const { toSnapshot } = await import('../plan-input.js');
    const { defaultCatalogPath, loadCatalog } = await import('../../catalog/load.js');
    const { schedule } = await import('../../core/schedule.js');
    const { costModel } = await import('../../core/placement/model-cost.js');
    const { loadCostTables } = await import('../../config/cost-tables.js');
    const input = toSnapshot(parsed.parsed.value, io.now(), () =>
      loadCatalog(defaultCatalogPath(), io.now().toISOString()),
    );
    if (!input.ok) {
      const lines = issuesAtLines(input.issues, name, parsed.parsed.lineOf).map(formatFileIssue);
      throw new CliError(lines.join('\n'), EXIT.invalid);
    }
    // The daemon's default cost model (bundled tables, 5 min restart, 5 s notice margin).
    const cost = costModel({ tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 });
    const plan = schedule(input.snapshot, input.now, { idleNodeSeconds: 300, cost });
    const summary = summarise(plan, input.now);
    if (opts.json) println(io, JSON.stringify(summary, null, 2));
    else println(io, planText(summary));
  });
}

type Launch = Extract<Action, { kind: 'launch' }>;

export function summarise(plan: Plan, now: Date) {
  const launches = plan.actions.filter((a): a is Launch => a.kind === 'launch');
  const assigns = plan.actions.filter((a) => a.kind === 'assign');
  const total = [...launches, ...assigns].reduce((s, a) => s + a.expectedCostUsd, 0);
  return {
    now: now.toISOString(),
    totalExpectedCostUsd: Math.round(total * 10_000) / 10_000,
    launches: launches.map((a) => ({
      jobId: a.jobId,
      nodes: a.count,
      cloud: a.offer.cloud,
      region: a.offer.region,
      zone: a.offer.zone,
      instanceType: a.offer.instanceType,
      market: a.offer.market,
      pricePerHour: a.offer.pricePerHour,
      expectedCostUsd: a.expectedCostUsd,
    })),
    reuses: assigns,
    other: plan.actions.filter((a) => a.kind !== 'launch' && a.kind !== 'assign'),
    unplaced: plan.unplaced,
  };
}

function planText(s: ReturnType<typeof summarise>): string {
  const lines = [`plan for ${s.now}: total expected cost ${money(s.totalExpectedCostUsd)}`];
  if (s.launches.length) {
    lines.push(
      '',
      table(
        ['JOB', 'NODES', 'CLOUD', 'REGION', 'ZONE', 'INSTANCE', 'MARKET', 'PRICE/H', 'EXPECTED'],
        s.launches.map((l) => [
          l.jobId,
          String(l.nodes),
          l.cloud,
          l.region,
          l.zone ?? '-',
          l.instanceType,
          l.market,
          money(l.pricePerHour),
          money(l.expectedCostUsd),
        ]),
        ['left', 'right', 'left', 'left', 'left', 'left', 'left', 'right', 'right'],
      ),
    );
  }
  for (const r of s.reuses) lines.push(`${r.jobId}: reuses idle node ${r.kind === 'assign' ? r.nodeId : ''}`);
  for (const u of s.unplaced) lines.push(`${u.jobId}: not placed: ${u.message}`);
  return lines.join('\n');
}

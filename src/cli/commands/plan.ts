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
type Assign = Extract<Action, { kind: 'assign' }>;
type Placement = Launch['jobs'][number];

/** Where each unit of a job goes, in words: a running node by id, a new node by its launch id. */
const unitsText = (p: Placement) =>
  p.units.map((u) => (u.where.kind === 'node' ? u.where.nodeId : u.where.launchId)).join(', ');

export function summarise(plan: Plan, now: Date) {
  const launches = plan.actions.filter((a): a is Launch => a.kind === 'launch');
  const assigns = plan.actions.filter((a): a is Assign => a.kind === 'assign');
  const placements: Placement[] = [...launches.flatMap((l) => l.jobs), ...assigns];
  const total = placements.reduce((s, p) => s + p.expectedCostUsd, 0);
  return {
    now: now.toISOString(),
    totalExpectedCostUsd: Math.round(total * 10_000) / 10_000,
    /** New nodes, each with the jobs that go onto it. */
    launches: launches.flatMap((a) =>
      a.nodes.map((n) => ({
        launchId: n.launchId,
        cloud: n.offer.cloud,
        region: n.offer.region,
        zone: n.offer.zone,
        instanceType: n.offer.instanceType,
        market: n.offer.market,
        pricePerHour: n.offer.pricePerHour,
        gpus: n.offer.gpu.count,
        jobIds: a.jobs
          .filter((j) => j.units.some((u) => u.where.kind === 'launch' && u.where.launchId === n.launchId))
          .map((j) => j.jobId),
      })),
    ),
    /** Every placed job: its units' nodes and slots, and its expected cost. */
    placements: placements.map(({ jobId, units, expectedCostUsd }) => ({ jobId, units, expectedCostUsd })),
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
        ['LAUNCH', 'CLOUD', 'REGION', 'ZONE', 'INSTANCE', 'MARKET', 'PRICE/H', 'JOBS'],
        s.launches.map((l) => [
          l.launchId,
          l.cloud,
          l.region,
          l.zone ?? '-',
          l.instanceType,
          l.market,
          money(l.pricePerHour),
          l.jobIds.join(', '),
        ]),
        ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'left'],
      ),
    );
  }
  if (s.placements.length) {
    lines.push(
      '',
      table(
        ['JOB', 'ON', 'EXPECTED'],
        s.placements.map((p) => [p.jobId, unitsText(p), money(p.expectedCostUsd)]),
        ['left', 'left', 'right'],
      ),
    );
  }
  for (const u of s.unplaced) lines.push(`${u.jobId}: not placed: ${u.message}`);
  return lines.join('\n');
}

// `gpusched replay`: replays a scenario (real spot and price traces, real job traces) through the daemon's own
// services on a virtual clock, with the baselines and the offline lower bound on the same inputs, and writes the
// report as JSON and HTML. Runs here, without a daemon. docs/replay.md says what it measures and models.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT } from '../errors.js';
import { eprintln, println } from '../io.js';
import type { Ctx } from './shared.js';

const POLICY_NAMES = ['gpusched', 'skypilot', 'greedy', 'on-demand', 'lower-bound'] as const;

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0.');
  return Number(value);
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

function policyList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim());
  const bad = list.filter((p) => !(POLICY_NAMES as readonly string[]).includes(p));
  if (bad.length > 0 || list.length === 0)
    throw new InvalidArgumentError(`expected a comma-separated list of ${POLICY_NAMES.join(', ')}.`);
  return list;
}

interface ReplayFlags {
  scenario: string;
  seed?: number;
  days?: number;
  policies?: string[];
  out: string;
  html: boolean;
  progress: boolean;
  json?: boolean;
}

export function registerReplayCommand(program: Command, ctx: Ctx): void {
  program
    .command('replay')
    .description(
      'replay a scenario through the daemon on a virtual clock, against the baselines and the offline lower bound',
    )
    .option(
      '--scenario <name|file>',
      'a bundled scenario (month-v100, week-preemption) or a scenario file',
      'month-v100',
    )
    .option('--seed <n>', "seed for the modelled pools (default: the scenario's)", nonNegativeInt)
    .option('--days <n>', "days of arrivals to replay (default: the scenario's)", positiveNumber)
    .option('--policies <list>', `comma-separated, of ${POLICY_NAMES.join(', ')} (default: all)`, policyList)
    .option('--out <dir>', 'where the report goes (<scenario>.json and <scenario>.html)', 'var/replay')
    .option('--no-html', 'do not write the HTML report')
    .option('--no-progress', 'no progress bar on standard error')
    .option('--json', 'print the JSON report instead of the table')
    .action(async (flags: ReplayFlags) => {
      const { io } = ctx;
      const { readScenario, loadInputs } = await import('../../sim/scenario.js');
      const { replay } = await import('../../sim/replay.js');
      const { reportHtml, reportTable } = await import('../../sim/report.js');
      const { progressBar } = await import('../../sim/progress.js');
      let inputs: Awaited<ReturnType<typeof loadInputs>>;
      try {
        const { scenario, dir } = readScenario(flags.scenario);
        const chosen = {
          ...scenario,
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.days !== undefined ? { days: flags.days } : {}),
        };
        inputs = loadInputs(chosen, dir);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.invalid);
      }
      const bar = flags.progress ? progressBar(process.stderr) : null;
      const result = await replay(inputs, {
        ...(flags.policies ? { policies: flags.policies as (typeof POLICY_NAMES)[number][] } : {}),
        ...(bar ? { progress: (stage, done) => bar.update(stage, done) } : {}),
      });
      bar?.finish();
      const out = resolve(flags.out);
      mkdirSync(out, { recursive: true });
      const name = inputs.scenario.name;
      const jsonFile = join(out, `${name}.json`);
      writeFileSync(jsonFile, `${JSON.stringify(result.report, null, 2)}\n`);
      let htmlFile: string | null = null;
      if (flags.html) {
        htmlFile = join(out, `${name}.html`);
        writeFileSync(htmlFile, reportHtml(result.report, { replaySeconds: result.wallSeconds }));
      }
      if (flags.json) {
        println(io, JSON.stringify(result.report, null, 2));
        return;
      }
      println(io, reportTable(result.report));
      println(io);
      const walls = Object.entries(result.wallSeconds)
        .map(([p, s]) => `${p} ${s.toFixed(1)} s`)
        .join(', ');
      println(io, `replay wall time: ${walls}`);
      const errors = result.report.policies.find((p) => p.policy === 'gpusched')?.stats.daemonErrors ?? 0;
      if (errors > 0) eprintln(io, `warning: the daemon logged ${errors} errors during the replay`);
      println(io, `report: ${jsonFile}${htmlFile ? `, ${htmlFile}` : ''}`);
    });
}

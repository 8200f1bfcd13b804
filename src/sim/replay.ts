// One replay of a scenario: gpusched through the real daemon, the baselines and the lower bound on the same
// market and jobs, and the report. `gpusched replay` and the benchmark call this.
import { greedyBaseline, onDemandBaseline, skypilotBaseline } from './baselines.js';
import { runGpusched } from './gpusched-run.js';
import { lowerBound } from './lower-bound.js';
import { POLICIES, type PolicyName, type PolicyRun } from './outcome.js';
import { buildReport, type ReplayReport } from './report.js';
import type { ReplayInputs } from './scenario.js';

export interface ReplayOptions {
  /** Which policies to run (default: all). On-demand and the lower bound are needed for the ratios. */
  policies?: readonly PolicyName[];
  progress?: (stage: string, done: number) => void;
}

export interface ReplayResult {
  report: ReplayReport;
  runs: PolicyRun[];
  /** Wall seconds per policy: kept out of the report, which is the same for a given seed. */
  wallSeconds: Record<string, number>;
}

/** Home region of jobs without data: the scenario's first home region. */
export function defaultHome(inputs: ReplayInputs): string {
  return inputs.scenario.workload.philly?.homeRegions[0] ?? 'aws:us-east-1';
}

export async function replay(inputs: ReplayInputs, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const wanted = new Set(opts.policies ?? POLICIES);
  const progress = opts.progress ?? (() => {});
  const runs: PolicyRun[] = [];
  const wallSeconds: Record<string, number> = {};
  const ctx = {
    market: inputs.market,
    tables: inputs.tables,
    bootMs: inputs.scenario.daemon.bootSeconds * 1000,
    end: inputs.end,
    defaultHome: defaultHome(inputs),
  };
  const timed = async (policy: PolicyName, f: () => PolicyRun | Promise<PolicyRun>) => {
    if (!wanted.has(policy)) return;
    const t0 = performance.now();
    progress(policy, 0);
    runs.push(await f());
    progress(policy, 1);
    wallSeconds[policy] = (performance.now() - t0) / 1000;
  };
  await timed('gpusched', () => runGpusched(inputs, { progress: (f) => progress('gpusched', f) }));
  await timed('skypilot', () => skypilotBaseline(inputs.jobs, ctx));
  await timed('greedy', () => greedyBaseline(inputs.jobs, ctx));
  await timed('on-demand', () => onDemandBaseline(inputs.jobs, ctx));
  await timed('lower-bound', () => lowerBound(inputs.jobs, ctx));
  return { report: buildReport(inputs, runs), runs, wallSeconds };
}

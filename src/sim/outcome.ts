// What one policy did with a scenario, in one shape for gpusched, the baselines and the lower bound: the capacity
// it paid for, the charges besides (egress), and what became of each job. The report (report.ts) prices it all
// against the same market, so that every policy is billed the same way.
import { type CostTables, egressQuote, parsePlace } from '../core/cost-tables.js';
import type { JobSpec } from '../core/jobspec.js';
import type { MarketTimeline } from './market-model.js';

export const POLICIES = ['gpusched', 'skypilot', 'greedy', 'on-demand', 'lower-bound'] as const;
export type PolicyName = (typeof POLICIES)[number];

/** Capacity paid from `from` to `to` (ms) in a pool: `share` of a node (1 but for the lower bound's shares). */
export interface Capacity {
  pool: string;
  from: number;
  to: number;
  share: number;
}

export interface Charge {
  at: number;
  usd: number;
  kind: 'egress';
}

export interface JobOutcome {
  id: string;
  /** Batch work has a completion time; a deployment serves until deleted. */
  kind: 'batch' | 'inference';
  submitAt: number;
  deadlineAt: number | null;
  /** When it finished (batch) or was deleted (inference); null when not done by the horizon. */
  finishedAt: number | null;
  /** GPU-hours of work done and then thrown away by interruptions (redone after). */
  gpuHoursLost: number;
  /** Times it lost its node to a reclaim (with or without a checkpoint in time). */
  interruptions: number;
}

export interface PolicyRun {
  policy: PolicyName;
  capacity: Capacity[];
  charges: Charge[];
  jobs: JobOutcome[];
  /** Reclaims that hit a live instance. */
  interruptions: number;
  /** Facts about the run worth printing (ticks, polls, daemon errors...). */
  stats: Record<string, number>;
}

/** GPUs a job holds on each of its nodes (a fraction for a shared GPU) times its nodes. */
export function gpusOf(spec: JobSpec): number {
  const g = spec.resources.gpu;
  return (g.count ?? g.fraction ?? 1) * (spec.resources.nodes ?? 1);
}

/** Egress of one run's data into `to` (`cloud:region`): every dataset not there is copied in. */
export function dataEgressUsd(spec: JobSpec, to: string, tables: CostTables): number {
  const dest = parsePlace(to);
  return (spec.data ?? []).reduce(
    (sum, d) => sum + d.sizeGiB * egressQuote(tables.egress, parsePlace(d.region), dest).usdPerGB,
    0,
  );
}

/**
 * Egress of moving a checkpoint between regions: its size is unknown to the replay, so the daemon's own
 * assumption is used (the GPUs' memory: `gpuMemoryGiB` × GPUs).
 */
export function checkpointEgressUsd(
  spec: JobSpec,
  gpuMemoryGiB: number,
  from: string,
  to: string,
  tables: CostTables,
): number {
  if (from === to) return 0;
  const g = spec.resources.gpu;
  const gib =
    g.fraction !== undefined
      ? (g.memoryGiB ?? gpuMemoryGiB * g.fraction)
      : gpuMemoryGiB * (g.count ?? 1) * (spec.resources.nodes ?? 1);
  return gib * egressQuote(tables.egress, parsePlace(from), parsePlace(to)).usdPerGB;
}

/**
 * Egress of one run in `place` (`cloud:region`) after the job's previous run in `previous` (null: its first run).
 * Nothing when it stays where it was (its data is there already); else its data is copied in from the data's
 * region, and, when it resumes from a checkpoint, the checkpoint from the previous run's region.
 */
export function runEgressUsd(
  spec: JobSpec,
  previous: string | null,
  place: string,
  resumes: boolean,
  gpuMemoryGiB: number,
  tables: CostTables,
): number {
  const before = previous ?? spec.data?.[0]?.region ?? place;
  if (before === place) return 0;
  const data = dataEgressUsd(spec, place, tables);
  return resumes && previous ? data + checkpointEgressUsd(spec, gpuMemoryGiB, previous, place, tables) : data;
}

/** What the capacity cost, at the market's prices. */
export function capacityCost(market: MarketTimeline, c: Capacity): number {
  return c.share * market.cost(c.pool, c.from, c.to);
}

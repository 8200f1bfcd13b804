// What users would otherwise do, replayed on the same market and the same jobs (docs/replay.md, "Baselines").
// Each is a small policy simulator over the market's timeline, job by job (one node, or one gang, per job; no
// capacity limits, as for gpusched):
//
// - on-demand: the cheapest on-demand node in the job's home region (where its data is); never interrupted.
// - skypilot: SkyPilot-like managed spot jobs: the cheapest spot offer anywhere (price × runtime, egress counted
//   only across clouds, as SkyPilot's optimizer does), one node per job; a reclaim is found by polling every 15 s
//   after the instance is gone (no notice is used, no checkpoint is asked for); recovery in the next region (the
//   cheapest spot offer in another region, else anywhere); the job resumes from its last periodic checkpoint.
// - greedy: the cheapest spot node in the home region, on-demand there when no spot is to be had (an autoscaler
//   such as Karpenter with both capacity types); a reclaim is seen when the instance goes; resume from the last
//   periodic checkpoint; once on on-demand the job stays there.
//
// Every launch boots for `bootMs` (paid), as in gpusched's replay. Egress is charged the same way for every
// policy (outcome.ts): the job's data into each region it runs in, and its checkpoint when it resumes elsewhere.
import { runtimeOn } from '../core/cost.js';
import type { CostTables } from '../core/cost-tables.js';
import { gpuMatches } from '../core/gpus.js';
import type { CloudName, Offer } from '../core/model.js';
import type { MarketTimeline } from './market-model.js';
import {
  type Capacity,
  type Charge,
  dataEgressUsd,
  gpusOf,
  type JobOutcome,
  type PolicyName,
  type PolicyRun,
  runEgressUsd,
} from './outcome.js';
import type { ReplayJob } from './workload.js';

/** Notice a reclaimed instance gets before it goes (the same figures as the simulated cloud). */
export const NOTICE_MS: Readonly<Record<CloudName, number>> = { aws: 120_000, gcp: 30_000, azure: 30_000 };
/** SkyPilot's managed jobs poll the cluster's status every 15 s. */
export const SKYPILOT_POLL_MS = 15_000;

export interface BaselineContext {
  market: MarketTimeline;
  tables: CostTables;
  /** Boot, image pull and resume of every launch, ms. */
  bootMs: number;
  /** The replay's horizon, ms. */
  end: number;
  /** Home region (`cloud:region`) of a job without data. */
  defaultHome: string;
}

/** A pool a job can run on, with what a run there takes. */
export interface Candidate {
  key: string;
  offer: Offer;
  /** Nodes the job takes there (its gang). */
  nodes: number;
  /** Hours of the job's whole run on this pool's GPU. */
  runHours: number;
  place: string;
}

export function homeOf(job: ReplayJob, fallback: string): string {
  return job.spec.data?.[0]?.region ?? fallback;
}

/**
 * The market's pools that can hold the job: its GPU model and memory, enough GPUs per node. The same for every
 * baseline, so worked out once per job, market and tables (the list is shared: do not change it).
 */
export function candidates(job: ReplayJob, market: MarketTimeline, tables: CostTables): readonly Candidate[] {
  const known = CANDIDATES.get(job);
  if (known && known.market === market && known.tables === tables) return known.list;
  const list = poolsFor(job, market, tables);
  CANDIDATES.set(job, { market, tables, list });
  return list;
}

const CANDIDATES = new WeakMap<
  ReplayJob,
  { market: MarketTimeline; tables: CostTables; list: Candidate[] }
>();

function poolsFor(job: ReplayJob, market: MarketTimeline, tables: CostTables): Candidate[] {
  const g = job.spec.resources.gpu;
  const perNode = g.count ?? 1;
  const nodes = job.spec.resources.nodes ?? 1;
  const out: Candidate[] = [];
  for (const p of market.pools) {
    const o = p.offer;
    if (o.gpu.count < perNode) continue;
    if (!gpuMatches(g.models, g.minMemoryGiB, { model: o.gpu.model, memoryGiB: o.gpu.memoryGiB })) continue;
    if (g.fraction !== undefined && (g.memoryGiB ?? 0) > o.gpu.memoryGiB) continue;
    out.push({
      key: p.key,
      offer: o,
      nodes,
      runHours: runtimeOn(job.spec, o.gpu.model, tables).hours,
      place: `${o.cloud}:${o.region}`,
    });
  }
  return out;
}

/** Where a run goes next, or null when nothing will do now. */
type Pick = (t: number, left: number, preemptedIn: string | null) => Candidate | null;

interface SimOptions {
  /** When a reclaim is found, from the instant the instance went. */
  detect: (goneAt: number, launchedAt: number) => number;
}

/**
 * One job through a policy: runs, reclaims and resumptions until it is done (or the horizon). `left` is the share
 * of the job's work not yet saved.
 */
function simulateJob(
  job: ReplayJob,
  ctx: BaselineContext,
  cands: readonly Candidate[],
  pick: Pick,
  opts: SimOptions,
  out: { capacity: Capacity[]; charges: Charge[] },
): { outcome: JobOutcome; interruptions: number } {
  const { market, end } = ctx;
  const inference = (job.spec.kind ?? 'batch') === 'inference';
  const outcome: JobOutcome = {
    id: job.id,
    kind: inference ? 'inference' : 'batch',
    submitAt: job.submitAt,
    deadlineAt: job.deadlineAt,
    finishedAt: null,
    gpuHoursLost: 0,
    interruptions: 0,
  };
  const stopAt = inference ? Math.min(job.cancelAt ?? end, end) : end;
  const periodMs = (job.spec.checkpoint?.everyMinutes ?? Number.POSITIVE_INFINITY) * 60_000;
  let t = job.submitAt;
  let left = 1;
  let preemptedIn: string | null = null;
  let lastPlace: string | null = null;
  while (t < stopAt) {
    const c = pick(t, left, preemptedIn);
    if (!c) {
      // Nothing to be had now: wait until one of the job's pools sells again.
      let next = Number.POSITIVE_INFINITY;
      for (const x of cands) {
        const from = market.availableFrom(x.key, t);
        if (from > t) next = Math.min(next, from);
      }
      const change = market.nextChange(t);
      t = Math.min(next, change ?? Number.POSITIVE_INFINITY);
      if (!Number.isFinite(t)) break;
      continue;
    }
    const launchAt = t;
    const runStart = launchAt + ctx.bootMs;
    const finishAt = inference ? stopAt : runStart + left * c.runHours * 3_600_000;
    const egress = runEgressUsd(job.spec, lastPlace, c.place, left < 1, c.offer.gpu.memoryGiB, ctx.tables);
    if (egress > 0) out.charges.push({ at: launchAt, usd: egress, kind: 'egress' });
    lastPlace = c.place;
    const outage = c.offer.market === 'spot' ? market.nextOutage(c.key, launchAt) : null;
    const goneAt = outage ? outage.from + NOTICE_MS[c.offer.cloud] : Number.POSITIVE_INFINITY;
    if (goneAt < Math.min(finishAt, stopAt)) {
      out.capacity.push({ pool: c.key, from: launchAt, to: goneAt, share: c.nodes });
      const worked = Math.max(0, goneAt - runStart);
      if (!inference) {
        const periodic = Number.isFinite(periodMs) ? Math.floor(worked / periodMs) * periodMs : 0;
        const saved = Math.min(periodic, left * c.runHours * 3_600_000);
        left = Math.max(0, left - saved / (c.runHours * 3_600_000));
        outcome.gpuHoursLost += ((worked - saved) / 3_600_000) * gpusOf(job.spec);
      }
      outcome.interruptions++;
      preemptedIn = c.place;
      t = opts.detect(goneAt, launchAt);
      continue;
    }
    const to = Math.min(finishAt, stopAt);
    out.capacity.push({ pool: c.key, from: launchAt, to, share: c.nodes });
    if (finishAt <= stopAt) outcome.finishedAt = finishAt;
    else if (inference && job.cancelAt !== null && job.cancelAt <= end) outcome.finishedAt = job.cancelAt;
    break;
  }
  if (inference && outcome.finishedAt === null && job.cancelAt !== null && job.cancelAt <= end)
    outcome.finishedAt = job.cancelAt;
  return { outcome, interruptions: outcome.interruptions };
}

function cheapest(list: readonly Candidate[], score: (c: Candidate) => number): Candidate | null {
  let best: Candidate | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of list) {
    const s = score(c);
    if (s < bestScore || (s === bestScore && best && c.key < best.key)) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}

function run(
  policy: PolicyName,
  jobs: readonly ReplayJob[],
  ctx: BaselineContext,
  makePick: (job: ReplayJob, cands: readonly Candidate[]) => Pick,
  opts: SimOptions,
): PolicyRun {
  const out = { capacity: [] as Capacity[], charges: [] as Charge[] };
  const outcomes: JobOutcome[] = [];
  let interruptions = 0;
  for (const job of jobs) {
    const cands = candidates(job, ctx.market, ctx.tables);
    if (cands.length === 0) throw new Error(`${policy}: no pool in the market can hold ${job.id}`);
    const r = simulateJob(job, ctx, cands, makePick(job, cands), opts, out);
    outcomes.push(r.outcome);
    interruptions += r.interruptions;
  }
  return { policy, capacity: out.capacity, charges: out.charges, jobs: outcomes, interruptions, stats: {} };
}

/** On-demand only, in the job's home region. */
export function onDemandBaseline(jobs: readonly ReplayJob[], ctx: BaselineContext): PolicyRun {
  return run(
    'on-demand',
    jobs,
    ctx,
    (job, cands) => {
      const home = homeOf(job, ctx.defaultHome);
      const local = cands.filter((c) => c.offer.market === 'on-demand' && c.place === home);
      const pool = local.length > 0 ? local : cands.filter((c) => c.offer.market === 'on-demand');
      return (t, left) => cheapest(pool, (c) => ctx.market.priceAt(c.key, t) * c.nodes * c.runHours * left);
    },
    { detect: (gone) => gone },
  );
}

/** SkyPilot-like managed spot jobs (see the head of this file). */
export function skypilotBaseline(jobs: readonly ReplayJob[], ctx: BaselineContext): PolicyRun {
  return run(
    'skypilot',
    jobs,
    ctx,
    (job, cands) => {
      const spot = cands.filter((c) => c.offer.market === 'spot');
      const home = homeOf(job, ctx.defaultHome);
      const homeCloud = home.split(':')[0];
      // SkyPilot's optimizer prices egress between clouds, not between regions of one cloud.
      const egress = new Map(
        spot.map((c) => [
          c.key,
          c.offer.cloud === homeCloud ? 0 : dataEgressUsd(job.spec, c.place, ctx.tables),
        ]),
      );
      const inference = (job.spec.kind ?? 'batch') === 'inference';
      return (t, left, preemptedIn) => {
        const up = spot.filter((c) => ctx.market.available(c.key, t));
        const elsewhere = preemptedIn ? up.filter((c) => c.place !== preemptedIn) : up;
        const hours = (c: Candidate) => (inference ? 1 : c.runHours * left);
        return cheapest(elsewhere.length > 0 ? elsewhere : up, (c) => {
          return ctx.market.priceAt(c.key, t) * c.nodes * hours(c) + egress.get(c.key)!;
        });
      };
    },
    {
      // Polls every 15 s from launch: the first poll after the instance is gone finds it.
      detect: (gone, launched) =>
        launched + Math.ceil((gone - launched) / SKYPILOT_POLL_MS) * SKYPILOT_POLL_MS,
    },
  );
}

/** Greedy spot with on-demand fallback, in the home region. */
export function greedyBaseline(jobs: readonly ReplayJob[], ctx: BaselineContext): PolicyRun {
  return run(
    'greedy',
    jobs,
    ctx,
    (job, cands) => {
      const home = homeOf(job, ctx.defaultHome);
      const local = cands.filter((c) => c.place === home);
      const pool = local.length > 0 ? local : cands;
      const spot = pool.filter((c) => c.offer.market === 'spot');
      const onDemand = pool.filter((c) => c.offer.market === 'on-demand');
      let stayOnDemand = false;
      const inference = (job.spec.kind ?? 'batch') === 'inference';
      return (t, left) => {
        const hours = (c: Candidate) => (inference ? 1 : c.runHours * left);
        const price = (c: Candidate) => ctx.market.priceAt(c.key, t) * c.nodes * hours(c);
        if (!stayOnDemand) {
          const up = spot.filter((c) => ctx.market.available(c.key, t));
          const s = cheapest(up, price);
          if (s) return s;
        }
        stayOnDemand = true;
        return cheapest(onDemand, price);
      };
    },
    { detect: (gone) => gone },
  );
}

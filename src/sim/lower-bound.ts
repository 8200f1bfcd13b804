// The offline lower bound: what the jobs would cost if the future were known (every price and every reclaim) and
// most of what makes capacity expensive were waived (docs/replay.md, "The lower bound"). Per job, the cheapest way
// to do its work between its submission and its deadline (or the horizon), with:
//
// - no capacity limits, no boot or restart time, no work lost (a job may stop and resume anywhere at no cost);
// - GPUs bought by the GPU: a job on g GPUs pays g × (node price / GPUs of the node), as if every node were packed
//   full (a fraction of a GPU pays that fraction);
// - any pool of a GPU model the job accepts, at any time it sells, work done at that GPU's speed;
// - egress only as a floor: a job that uses no pool outside its data's region pays none; one that does pays at
//   least the copy of its data into the cheapest other region. The bound is the cheaper of the two cases.
//
// Each job alone is then a linear program: at every instant choose at most one option (a pool that sells then);
// an option gives w units of work and costs c per hour; do W units by the deadline at least cost. Its dual gives
// the optimum: for a price μ per unit of work, every instant takes the option maximising μ·w − c (if positive),
// and the bound is max over μ of μ·W − Σ_t max(0, max μ·w − c). Any μ gives a valid bound (weak duality); μ is
// found by bisection. Where all options of a job run at one speed, that is: the W cheapest hours of the window.
//
// Why no policy can beat it: whatever a policy does with a job is a feasible point of that program (its runs use
// pools that sold at the time, its GPUs cost at least their share of their nodes, its work is done by the deadline
// it met, its egress is at least the floor), and dropping capacity limits, boots, losses and packing waste can
// only lower the cost. The sum over jobs bounds the total, since nodes are paid at least for the GPU shares of the
// jobs on them.
import { runtimeOn } from '../core/cost.js';
import type { CostTables } from '../core/cost-tables.js';
import { gpuMatches } from '../core/gpus.js';
import type { MarketTimeline, PoolTimeline } from './market-model.js';
import { type Capacity, dataEgressUsd, gpusOf, type JobOutcome, type PolicyRun } from './outcome.js';
import type { ReplayJob } from './workload.js';

/** One option of a segment: work per hour (reference hours of the job per hour) and USD per GPU-hour. */
interface Option {
  w: number;
  c: number;
  pool: string;
  /** GPUs of the pool's node: the share of a node one GPU is. */
  gpus: number;
}

/** A stretch of time over which the options do not change. */
export interface Segment {
  from: number;
  to: number;
  options: Option[];
}

/** The market seen by one class of jobs (GPU models, region): segments with their best options. */
export class OptionTimeline {
  /** The one speed of every option, when there is only one (then the front has one option per segment). */
  readonly speed: number | null;
  private byPrice: number[] | null = null;

  constructor(readonly segments: readonly Segment[]) {
    const speeds = new Set(segments.flatMap((x) => x.options.map((o) => o.w)));
    this.speed = speeds.size === 1 ? [...speeds][0]! : speeds.size === 0 ? 1 : null;
  }

  /**
   * The cheapest way to do `work` within [from, to): the program solved (cheapestSchedule) on the window; for one
   * speed and a long window, the cheapest hours are found by walking the segments in price order instead of
   * sorting the window anew for every job (same answer).
   */
  cheapest(from: number, to: number, work: number): Schedule {
    const segs = this.window(from, to);
    if (this.speed === null || segs.length < 2048 || work <= 0) return cheapestSchedule(segs, work);
    const w = this.speed;
    const capacity = segs.reduce(
      (sum, x) => sum + (x.options.length > 0 ? ((x.to - x.from) / HOUR) * w : 0),
      0,
    );
    if (capacity + 1e-12 < work) return { usdPerGpu: 0, pieces: [], feasible: false };
    this.byPrice ??= this.segments
      .map((_, i) => i)
      .filter((i) => this.segments[i]!.options.length > 0)
      .sort((a, b) => {
        const x = this.segments[a]!;
        const y = this.segments[b]!;
        return x.options[0]!.c - y.options[0]!.c || x.from - y.from;
      });
    let left = work;
    let usd = 0;
    const pieces: Schedule['pieces'] = [];
    for (const i of this.byPrice) {
      if (left <= 1e-12) break;
      const x = this.segments[i]!;
      const a = Math.max(from, x.from);
      const b = Math.min(to, x.to);
      if (b <= a) continue;
      const o = x.options[0]!;
      const hours = Math.min((b - a) / HOUR, left / w);
      usd += hours * o.c;
      left -= hours * w;
      pieces.push({ pool: o.pool, from: a, to: a + hours * HOUR, gpus: o.gpus });
    }
    return { usdPerGpu: usd, pieces, feasible: true };
  }

  /** Segments overlapping [from, to), clipped. */
  window(from: number, to: number): Segment[] {
    const s = this.segments;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]!.to <= from) lo = mid + 1;
      else hi = mid;
    }
    const out: Segment[] = [];
    for (let i = lo; i < s.length && s[i]!.from < to; i++) {
      const x = s[i]!;
      out.push({ from: Math.max(from, x.from), to: Math.min(to, x.to), options: x.options });
    }
    return out;
  }
}

/**
 * The options over time for jobs whose work runs `speedOf(model)` reference hours per hour, on the given pools:
 * at each instant the pools that sell, priced per GPU, keeping only those not dominated (slower and dearer).
 */
export function optionTimeline(
  market: MarketTimeline,
  pools: readonly PoolTimeline[],
  speedOf: (model: string) => number,
  from: number,
  to: number,
): OptionTimeline {
  // A sweep over every change of these pools, keeping each pool's state as it goes.
  const changes: { at: number; i: number }[] = [];
  pools.forEach((p, i) => {
    for (const o of p.outages) {
      if (o.from > from && o.from < to) changes.push({ at: o.from, i });
      if (o.to > from && o.to < to) changes.push({ at: o.to, i });
    }
    for (const q of p.prices) if (q.at > from && q.at < to) changes.push({ at: q.at, i });
  });
  changes.sort((x, y) => x.at - y.at);
  const speed = pools.map((p) => speedOf(p.offer.gpu.model));
  const up = pools.map((p) => market.available(p.key, from));
  const price = pools.map((p) => market.priceAt(p.key, from) / p.offer.gpu.count);
  const cuts = [from, ...new Set(changes.map((c) => c.at)), to];
  const segments: Segment[] = [];
  let k = 0;
  for (let s = 0; s + 1 < cuts.length; s++) {
    const a = cuts[s]!;
    const b = cuts[s + 1]!;
    for (; k < changes.length && changes[k]!.at <= a; k++) {
      const i = changes[k]!.i;
      const p = pools[i]!;
      up[i] = market.available(p.key, a);
      price[i] = market.priceAt(p.key, a) / p.offer.gpu.count;
    }
    // Pareto front: by speed descending, keep an option only if it is cheaper than every faster one. Only the
    // cheapest pool of each speed can be kept (ties: the first pool key), so one pass finds those, and only
    // they (a few GPU models) are sorted.
    const best = new Map<number, Option>();
    for (let i = 0; i < pools.length; i++) {
      if (!up[i]) continue;
      const w = speed[i]!;
      const c = price[i]!;
      const key = pools[i]!.key;
      const b = best.get(w);
      if (!b || c < b.c || (c === b.c && key < b.pool))
        best.set(w, { w, c, pool: key, gpus: pools[i]!.offer.gpu.count });
    }
    const front: Option[] = [];
    for (const o of [...best.values()].sort((x, y) => y.w - x.w))
      if (front.length === 0 || o.c < front.at(-1)!.c) front.push(o);
    const last = segments.at(-1);
    if (last && sameOptions(last.options, front)) last.to = b;
    else segments.push({ from: a, to: b, options: front });
  }
  return new OptionTimeline(segments);
}

function sameOptions(a: readonly Option[], b: readonly Option[]): boolean {
  return (
    a.length === b.length && a.every((o, i) => o.pool === b[i]!.pool && o.c === b[i]!.c && o.w === b[i]!.w)
  );
}

export interface Schedule {
  /** Cost per GPU of the job (multiply by its GPUs). */
  usdPerGpu: number;
  /** Where and when it runs: pieces of segments. */
  pieces: { pool: string; from: number; to: number; gpus: number }[];
  /** False when even the fastest options cannot do the work in the window. */
  feasible: boolean;
}

const HOUR = 3_600_000;

/**
 * The cheapest way to do `work` reference hours within the segments (one option at a time). Exact for one speed
 * (the cheapest hours first); for several speeds, the dual with μ by bisection, then the primal read off at μ.
 */
export function cheapestSchedule(segments: readonly Segment[], work: number): Schedule {
  if (work <= 0) return { usdPerGpu: 0, pieces: [], feasible: true };
  const capacity = segments.reduce((s, x) => s + ((x.to - x.from) / HOUR) * (x.options[0]?.w ?? 0), 0);
  if (capacity + 1e-12 < work) return { usdPerGpu: 0, pieces: [], feasible: false };
  const speeds = new Set(segments.flatMap((s) => s.options.map((o) => o.w)));
  if (speeds.size <= 1) {
    // One speed: the front has one option per segment; take the cheapest hours until the work is done.
    const w = [...speeds][0] ?? 1;
    const order = segments
      .filter((s) => s.options.length > 0)
      .map((s) => ({ s, o: s.options[0]! }))
      .sort((x, y) => x.o.c - y.o.c || x.s.from - y.s.from);
    let left = work;
    let usd = 0;
    const pieces: Schedule['pieces'] = [];
    for (const { s, o } of order) {
      if (left <= 1e-12) break;
      const hours = Math.min((s.to - s.from) / HOUR, left / w);
      usd += hours * o.c;
      left -= hours * w;
      pieces.push({ pool: o.pool, from: s.from, to: s.from + hours * HOUR, gpus: o.gpus });
    }
    return { usdPerGpu: usd, pieces, feasible: true };
  }
  // Several speeds: at price μ per unit of work each segment takes its option maximising μ·w − c.
  const pick = (mu: number, s: Segment) => {
    let best: Option | null = null;
    let gain = 0;
    for (const o of s.options) {
      const g = mu * o.w - o.c;
      if (g > gain) {
        gain = g;
        best = o;
      }
    }
    return best;
  };
  const workAt = (mu: number) =>
    segments.reduce((sum, s) => sum + ((pick(mu, s)?.w ?? 0) * (s.to - s.from)) / HOUR, 0);
  let lo = 0;
  let hi = 1;
  while (workAt(hi) < work && hi < 1e12) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (workAt(mid) >= work) hi = mid;
    else lo = mid;
  }
  const dual = (mu: number) =>
    mu * work -
    segments.reduce((sum, s) => {
      const o = pick(mu, s);
      return sum + (o ? ((mu * o.w - o.c) * (s.to - s.from)) / HOUR : 0);
    }, 0);
  const usdPerGpu = Math.max(dual(lo), dual(hi));
  // A schedule that attains it (up to the last segment, cut to the work): options at μ = hi, cheapest first.
  const chosen = segments
    .map((s) => ({ s, o: pick(hi, s) }))
    .filter((x): x is { s: Segment; o: Option } => x.o !== null)
    .sort((x, y) => x.o.c / x.o.w - y.o.c / y.o.w);
  let left = work;
  const pieces: Schedule['pieces'] = [];
  for (const { s, o } of chosen) {
    if (left <= 1e-12) break;
    const hours = Math.min((s.to - s.from) / HOUR, left / o.w);
    left -= hours * o.w;
    pieces.push({ pool: o.pool, from: s.from, to: s.from + hours * HOUR, gpus: o.gpus });
  }
  return { usdPerGpu, pieces, feasible: true };
}

/** Serving from `from` to `to` on the cheapest GPU share that sells at each instant. */
export function cheapestServing(segments: readonly Segment[]): Schedule {
  let usd = 0;
  const pieces: Schedule['pieces'] = [];
  for (const s of segments) {
    const o = s.options.reduce<Option | null>((b, x) => (b === null || x.c < b.c ? x : b), null);
    if (!o) continue;
    usd += ((s.to - s.from) / HOUR) * o.c;
    pieces.push({ pool: o.pool, from: s.from, to: s.to, gpus: o.gpus });
  }
  return { usdPerGpu: usd, pieces, feasible: true };
}

export interface LowerBoundContext {
  market: MarketTimeline;
  tables: CostTables;
  end: number;
  defaultHome: string;
}

export function lowerBound(jobs: readonly ReplayJob[], ctx: LowerBoundContext): PolicyRun {
  const { market, tables, end } = ctx;
  const timelines = new Map<string, OptionTimeline>();
  const poolsOf = new Map<string, PoolTimeline[]>();
  /** Options for a job's GPU request, in its home region or anywhere; shared by jobs that see the same pools. */
  const timelineFor = (job: ReplayJob, region: string | null): OptionTimeline => {
    const g = job.spec.resources.gpu;
    const request = `${JSON.stringify([g.models ?? [], g.minMemoryGiB ?? 0, g.memoryGiB ?? 0])}|${region}`;
    let pools = poolsOf.get(request);
    if (!pools) {
      pools = market.pools.filter(
        (p) =>
          (region === null || `${p.offer.cloud}:${p.offer.region}` === region) &&
          gpuMatches(g.models, g.minMemoryGiB, {
            model: p.offer.gpu.model,
            memoryGiB: p.offer.gpu.memoryGiB,
          }) &&
          (g.fraction === undefined || (g.memoryGiB ?? 0) <= p.offer.gpu.memoryGiB),
      );
      poolsOf.set(request, pools);
    }
    // A model's speed depends on the models the job accepts (its reference GPU), nothing else of the job.
    const key = `${JSON.stringify(g.models ?? [])}|${pools.map((p) => p.key).join(',')}`;
    let t = timelines.get(key);
    if (!t) {
      // Work per hour on a model: the job's estimate over its runtime there (1 on its reference GPU).
      const speed = (model: string) => 1 / runtimeOn(job.spec, model, tables).speedRatio;
      t = optionTimeline(market, pools, speed, market.start, end);
      timelines.set(key, t);
    }
    return t;
  };

  const regions = new Set(market.pools.map((p) => `${p.offer.cloud}:${p.offer.region}`));
  const capacity: Capacity[] = [];
  const outcomes: JobOutcome[] = [];
  let infeasible = 0;
  let egressFloor = 0;
  for (const job of jobs) {
    const gpus = gpusOf(job.spec);
    const inference = (job.spec.kind ?? 'batch') === 'inference';
    const home = job.spec.data?.[0]?.region ?? null;
    const stop = inference ? Math.min(job.cancelAt ?? end, end) : Math.min(job.deadlineAt ?? end, end);
    const solve = (t: OptionTimeline) => {
      if (inference) return cheapestServing(t.window(job.submitAt, stop));
      const work = job.spec.runtime?.estimateHours ?? 0;
      const s = t.cheapest(job.submitAt, stop, work);
      // A deadline no option can meet: the bound drops the deadline rather than the job.
      return s.feasible ? s : t.cheapest(job.submitAt, end, work);
    };
    let best = solve(timelineFor(job, null));
    let floor = 0;
    if (home && (job.spec.data?.length ?? 0) > 0) {
      // Outside the home region the data must be copied at least once: to the cheapest other region.
      floor = Math.min(
        ...[...regions].filter((r) => r !== home).map((r) => dataEgressUsd(job.spec, r, tables)),
      );
      const local = solve(timelineFor(job, home));
      const usesAway = best.pieces.some((p) => !p.pool.startsWith(`${home.replace(':', '/')}/`));
      if (!usesAway) floor = 0;
      if (local.feasible && local.usdPerGpu * gpus <= best.usdPerGpu * gpus + floor) {
        best = local;
        floor = 0;
      }
    }
    if (!best.feasible) infeasible++;
    for (const p of best.pieces)
      capacity.push({ pool: p.pool, from: p.from, to: p.to, share: gpus / p.gpus });
    egressFloor += floor;
    outcomes.push({
      id: job.id,
      kind: inference ? 'inference' : 'batch',
      submitAt: job.submitAt,
      deadlineAt: job.deadlineAt,
      finishedAt: best.pieces.length > 0 ? Math.max(...best.pieces.map((p) => p.to)) : job.submitAt,
      gpuHoursLost: 0,
      interruptions: 0,
    });
  }
  return {
    policy: 'lower-bound',
    capacity,
    charges: egressFloor > 0 ? [{ at: market.start, usd: egressFloor, kind: 'egress' }] : [],
    jobs: outcomes,
    interruptions: 0,
    stats: { infeasibleJobs: infeasible },
  };
}

// The scheduler's cost function from the cost model (core/cost.ts) and the deadline policy
// (core/deadline.ts): expected cost = compute at the GPU's speed + data movement + interruption
// overhead; a deadline refuses capacity that cannot finish in time and, for `market: auto`, lets
// Uniform Progress choose between spot and on-demand.
import { type CostContext, migrationCost, priceWork, runtimeOn, workOn } from '../cost.js';
import { deadlineFeasible, decideMarket } from '../deadline.js';
import { gpuMatches } from '../gpus.js';
import { instantDate } from '../instants.js';
import type { JobSpec } from '../jobspec.js';
import type { Job, Offer } from '../model.js';
import type { CostFn, Priced, PriceQuote } from './cost-fn.js';
import { Reason, type ReasonCode } from './reasons.js';

export function costModel(ctx: CostContext): CostFn {
  const restartHours = ctx.restartHours ?? 5 / 60;
  return (job, cap, count, now) => {
    // A moved job is placed for the work its last checkpoint left; its data still has to be where it runs.
    const left = leftOf(job);
    const work = workOn(job.spec, cap, ctx, estimateLeft(job, left));
    // A job resuming from a checkpoint written in another region has it copied here first: its egress, and the
    // nodes' time while it copies (the restart itself is paid wherever the job goes).
    const from = left < 1 ? job.checkpoint?.region : undefined;
    const move =
      from && from !== `${cap.cloud}:${cap.region}`
        ? migrationCost(job.spec, from, cap, ctx, {
            nodes: count,
            ...(job.checkpoint?.bytes !== undefined ? { checkpointBytes: job.checkpoint.bytes } : {}),
          })
        : null;
    const transferHours = work.transferHours + (move?.transferHours ?? 0);

    // A deadline reads only time: capacity it rules out is refused before it is priced.
    let safetyNet: boolean | undefined;
    if (job.spec.deadline) {
      // The work on this capacity: its whole runtime plus the data transfer; done is what the last checkpoint
      // saved, on the same basis. A job being placed runs on nothing now (current: null).
      const runtime = left > 0 ? work.runtimeHours / left : work.runtimeHours;
      const progress = {
        submittedAt: instantDate(job.submittedAt),
        deadline: instantDate(job.spec.deadline),
        now,
        workHours: runtime + transferHours,
        doneHours: runtime * (1 - left),
        current: null,
        restartHours,
        safetyNetEngaged: job.safetyNet,
      };
      if (!deadlineFeasible(progress)) return refused(Reason.DEADLINE, work.runtimeHours, transferHours);
      if ((job.spec.market ?? 'auto') === 'auto') {
        const decision = decideMarket(progress);
        if (decision.market !== cap.market)
          return refused(Reason.DEADLINE_MARKET, work.runtimeHours, transferHours);
        safetyNet = decision.safetyNet;
      }
    }

    // Nodes already running come without availability; the model then uses its prior for spot.
    const b = priceWork(work, cap, count, ctx);
    const resumeUsd = move ? move.egressUsd + cap.pricePerHour * count * move.transferHours : 0;
    const parts: Record<string, number> = {
      computeUsd: b.computeUsd,
      egressUsd: b.egressUsd,
      interruptionUsd: b.interruptionUsd,
      runtimeHours: work.runtimeHours,
      transferHours,
    };
    if (move) parts.checkpointMoveUsd = resumeUsd;
    if (safetyNet !== undefined) parts.safetyNet = safetyNet ? 1 : 0;
    return { totalUsd: b.totalUsd + resumeUsd, parts };
  };
}

/** The share of a job's work still to do (1 for a job not started). */
function leftOf(job: Job): number {
  return 1 - Math.min(Math.max(job.progress, 0), 1);
}

/** The hours of its estimate a job has left, when it resumed; undefined: the whole estimate (workOn's default). */
function estimateLeft(job: Job, left: number): number | undefined {
  const est = job.spec.runtime?.estimateHours;
  return left < 1 && est !== undefined ? est * left : undefined;
}

/**
 * A floor under the cost model's price of a single-node job on one new node of an offer: the node's time for the
 * work it has left, reckoned as the price reckons it (the same runtime, times the price), before the data's copy,
 * interruptions and a checkpoint's move, which only add to it. The packer prices a lone job's offers from the
 * lowest floor up and stops once the floor passes the cheapest price found.
 */
export function aloneFloor(ctx: CostContext): (job: Job) => (offer: Offer) => number {
  return (job) => {
    const hoursOn = hoursByModel(job.spec, ctx, estimateLeft(job, leftOf(job)));
    return (offer) => offer.pricePerHour * hoursOn(offer.gpu.model);
  };
}

/**
 * The hours a spec's work takes on each GPU model (runtimeOn), each worked out once: a floor is asked for every
 * offer, of a few models in a market of hundreds of offers.
 */
function hoursByModel(spec: JobSpec, ctx: CostContext, hoursLeft?: number): (model: string) => number {
  const known = new Map<string, number>();
  return (model) => {
    let hours = known.get(model);
    if (hours === undefined) {
      hours = runtimeOn(spec, model, ctx.tables, hoursLeft).hours;
      known.set(model, hours);
    }
    return hours;
  };
}

/**
 * A quote for capacity the deadline rules out: its time parts (what a running job's moves read) and no price,
 * as nothing may be placed there.
 */
function refused(refusal: ReasonCode, runtimeHours: number, transferHours: number): PriceQuote {
  return { totalUsd: Number.POSITIVE_INFINITY, parts: { runtimeHours, transferHours }, refusal };
}

/**
 * A floor under the cost model's price of a job placed alone on `count` new nodes: the nodes' time for its run,
 * with no data to copy. Its data, interruptions and a checkpoint's move only add to that.
 */
export function nodeTimeFloor(ctx: CostContext): (spec: JobSpec, offer: Offer, count: number) => number {
  // Asked for every offer of one spec in a row (the budget estimate): a frozen spec's hours per GPU model are kept.
  let last: { spec: JobSpec; hoursOn: (model: string) => number } | null = null;
  return (spec, offer, count) => {
    if (last?.spec !== spec || !Object.isFrozen(spec)) last = { spec, hoursOn: hoursByModel(spec, ctx) };
    return offer.pricePerHour * count * last.hoursOn(offer.gpu.model);
  };
}

/**
 * A floor under a (single-node) job's part of any placement the packer makes on a capacity: its GPUs' share of
 * the capacity's price over the hours it has left there. The packer charges a unit on a running node at least its
 * GPU share of the price over its run, and shares a new node's cost by GPUs, a node costing at least its dearest
 * unit alone; every price is at least the nodes' time for the run.
 */
export function gpuShareFloor(ctx: CostContext): (job: Job) => (cap: Priced) => number {
  return (job) => {
    const g = job.spec.resources.gpu;
    const left = leftOf(job);
    const est = job.spec.runtime?.estimateHours;
    const units = g.count ?? g.fraction ?? 1;
    // A job's GPU share over its hours left, per GPU shape it may meet (a few in a market of hundreds of offers).
    const perShape = new Map<string, number>();
    return (cap) => {
      const shape = `${cap.gpu.model}/${cap.gpu.memoryGiB}`;
      let share = perShape.get(shape);
      if (share === undefined) {
        // A GPU the job does not accept holds no part of it.
        share = gpuMatches(g.models ?? [], g.minMemoryGiB, cap.gpu)
          ? units *
            (est !== undefined ? est * left : 1) *
            runtimeOn(job.spec, cap.gpu.model, ctx.tables).speedRatio
          : Number.POSITIVE_INFINITY;
        perShape.set(shape, share);
      }
      return (cap.pricePerHour / Math.max(1, cap.gpu.count)) * share;
    };
  };
}

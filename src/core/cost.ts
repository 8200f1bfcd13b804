// The cost model: what a job is expected to cost on an offer, the number the scheduler minimises.
// expected cost = compute + data movement + interruption overhead (docs/cost-model.md has the derivation).
// Pure: tables, notice lengths and restart time come in through the context; no clock, no I/O.
import { type CostTables, type EgressQuote, egressQuote, parsePlace } from './cost-tables.js';
import { canonicalGpu, GPU_MODEL_NAMES, GPU_MODELS, gpuMatches } from './gpus.js';
import { DEFAULT_MONTHLY_FRACTION, monthlyFractionToRate } from './interruptions.js';
import { type JobSpec, nodesNeeded } from './jobspec.js';
import type { CloudName, Offer } from './model.js';

/** Time to get a replacement node running the job again (boot, image pull, resume). DESIGN.md default. */
export const DEFAULT_RESTART_HOURS = 5 / 60;
/** The agent keeps this much of a notice in reserve. DESIGN.md default. */
export const DEFAULT_NOTICE_MARGIN_SECONDS = 5;
/** Spot notice per cloud: AWS 2 min, GCP ~30 s, Azure ≤30 s (the same figures as the simulated clouds). */
export const DEFAULT_NOTICE_SECONDS: Readonly<Record<CloudName, number>> = { aws: 120, gcp: 30, azure: 30 };
/** A job with a checkpoint but no checkpoint.graceSeconds is taken to need a minute (DESIGN.md's example). */
export const DEFAULT_GRACE_SECONDS = 60;

export interface CostContext {
  tables: CostTables;
  restartHours?: number;
  noticeMarginSeconds?: number;
  noticeSeconds?: Partial<Record<CloudName, number>>;
  /** Rate for a spot offer whose availability.interruptionsPerHour is null; default: the pessimistic prior. */
  defaultInterruptionsPerHour?: number;
}

export interface DataMove {
  uri: string;
  /** Where the data is, `cloud:region`. */
  from: string;
  sizeGiB: number;
  quote: EgressQuote;
  usd: number;
  hours: number;
}

export interface InterruptionEstimate {
  /** Interruptions per node-hour of the pool. */
  ratePerNodeHour: number;
  rateSource: 'offer' | 'default';
  /** Expected interruptions of the job over its run (any node of a gang counts). */
  expected: number;
  /** Work lost per interruption, hours: 0 when the notice covers a checkpoint. */
  lostHours: number;
  restartHours: number;
  noticeSeconds: number;
  /** notice − margin ≥ grace: the job checkpoints on the notice and loses (almost) nothing. */
  checkpointOnNotice: boolean;
  graceSeconds: number | null;
  /** Hours of run time the interruptions add (expected × (lost + restart)); for deadlines. */
  delayHours: number;
}

/** The figures `expectedCost` used, so that explain can show how it got its answer. */
export interface CostInputs {
  pricePerHour: number;
  nodes: number;
  /** The GPU the estimate is given on (the slowest accepted; the baseline when the job accepts any). */
  referenceModel: string;
  referenceSpeed: number;
  offerModel: string;
  offerSpeed: number;
  /** referenceSpeed / offerSpeed: runtime on the offer per hour of estimate. */
  speedRatio: number;
  /** A model missing from the speed table was taken at the baseline's speed. */
  speedFallback: boolean;
  /** The job's estimate in hours; null for inference, priced per hour of serving. */
  estimateHours: number | null;
  data: DataMove[];
  bandwidthGbps: number;
  interruption: InterruptionEstimate | null;
}

export interface CostBreakdown {
  /** Hours the job runs on this offer (1 for inference: a quote per hour of serving). */
  runtimeHours: number;
  /** Hours spent copying the job's data into the offer's region before it can run. */
  transferHours: number;
  computeUsd: number;
  egressUsd: number;
  interruptionUsd: number;
  totalUsd: number;
  inputs: CostInputs;
}

interface Speed {
  model: string;
  speed: number;
  fallback: boolean;
}

function speedOf(tables: CostTables, model: string): Speed {
  const entry = tables.speed.models[model];
  if (entry) return { model, speed: entry.speed, fallback: false };
  return { model, speed: 1, fallback: true };
}

/**
 * The GPU a job's estimate is measured on: DESIGN.md says the slowest it accepts. A job that names no model
 * accepts everything down to a K80, which is not what its author measured on, so its estimate is read as
 * baseline (A100) hours instead.
 */
export function referenceSpeed(spec: JobSpec, tables: CostTables): Speed {
  // Asked once per (job, offer) pair in a tick, with the same answer for every offer: remembered per GPU
  // request (what it depends on), and the last frozen request asked for at once (a job's offers come in a row).
  const gpu = spec.resources.gpu;
  if (gpu === lastGpu && tables === lastTables) return lastSpeed;
  // A frozen request (a job from the store) is looked up by identity, before its key is even written.
  const frozen = Object.isFrozen(gpu);
  const known = frozen ? REFERENCE_OF.get(gpu) : undefined;
  let found = known?.tables === tables ? known.speed : undefined;
  if (!found) {
    let byRequest = REFERENCE.get(tables);
    if (!byRequest) {
      byRequest = new Map();
      REFERENCE.set(tables, byRequest);
    }
    const key = `${(gpu.models ?? []).join(',')}|${gpu.minMemoryGiB ?? ''}`;
    found = byRequest.get(key);
    if (!found) {
      found = slowestAccepted(spec, tables);
      byRequest.set(key, found);
    }
    if (frozen) REFERENCE_OF.set(gpu, { tables, speed: found });
  }
  if (frozen) {
    lastGpu = gpu;
    lastTables = tables;
    lastSpeed = found;
  }
  return found;
}

const REFERENCE = new WeakMap<CostTables, Map<string, Speed>>();
const REFERENCE_OF = new WeakMap<JobSpec['resources']['gpu'], { tables: CostTables; speed: Speed }>();
let lastGpu: object | null = null;
let lastTables: CostTables | null = null;
let lastSpeed: Speed = { model: '', speed: 1, fallback: true };

function slowestAccepted(spec: JobSpec, tables: CostTables): Speed {
  const gpu = spec.resources.gpu;
  const models = gpu.models ?? [];
  const accepted =
    models.length === 0
      ? []
      : GPU_MODEL_NAMES.filter((m) =>
          GPU_MODELS[m]?.memoryGiB.some((memoryGiB) =>
            gpuMatches(models, gpu.minMemoryGiB, { model: m, memoryGiB }),
          ),
        );
  if (accepted.length === 0) return speedOf(tables, tables.speed.baseline);
  return accepted
    .map((m) => speedOf(tables, m))
    .reduce((slowest, s) => (s.speed < slowest.speed ? s : slowest));
}

/** Hours to copy `sizeGiB` at `gbps` (GiB are 2^30 bytes, Gbit/s are 10^9 bits a second). */
export function transferHours(sizeGiB: number, gbps: number): number {
  return (sizeGiB * 2 ** 30 * 8) / (gbps * 1e9) / 3600;
}

/**
 * Hours the job computes on this GPU model: its estimate (given on the slowest GPU it accepts) scaled by
 * relative speed, as workOn reckons it. Inference serves open-ended: a faster GPU serves more, it does not finish sooner, so
 * it is quoted per hour.
 */
export function runtimeOn(
  spec: JobSpec,
  gpuModel: string,
  tables: CostTables,
  /** The work left, in hours of the estimate, for a job that resumes (default: the spec's whole estimate). */
  estimateHours = estimateOf(spec),
): { hours: number; speedRatio: number } {
  return runtimeOf(spec, referenceSpeed(spec, tables), speedOnModel(tables, gpuModel), estimateHours);
}

/** The job's estimate in hours (1 when it gives none). */
function estimateOf(spec: JobSpec): number {
  return spec.runtime?.estimateHours ?? 1;
}

function speedOnModel(tables: CostTables, gpuModel: string): Speed {
  // Asked for every offer priced: kept per (frozen) table and model name as offers name it.
  if (!Object.isFrozen(tables)) return speedOf(tables, canonicalGpu(gpuModel)?.model ?? gpuModel);
  let byModel = ON_MODEL.get(tables);
  if (!byModel) {
    byModel = new Map();
    ON_MODEL.set(tables, byModel);
  }
  let speed = byModel.get(gpuModel);
  if (!speed) {
    speed = speedOf(tables, canonicalGpu(gpuModel)?.model ?? gpuModel);
    byModel.set(gpuModel, speed);
  }
  return speed;
}

const ON_MODEL = new WeakMap<CostTables, Map<string, Speed>>();

function runtimeOf(
  spec: JobSpec,
  ref: Speed,
  own: Speed,
  estimateHours: number,
): { hours: number; speedRatio: number } {
  const speedRatio = ref.speed / own.speed;
  if ((spec.kind ?? 'batch') === 'inference') return { hours: 1, speedRatio };
  return { hours: estimateHours * speedRatio, speedRatio };
}

/** Where a job would run, as its time there depends on it: the GPU and the region its data is copied to. */
export type WorkPlace = Pick<Offer, 'cloud' | 'region' | 'gpu'>;

/** Capacity as the money side of the model reads it; without availability, spot is priced at the model's prior. */
export type PricedPlace = WorkPlace &
  Pick<Offer, 'market' | 'pricePerHour'> & { availability?: Offer['availability'] };

/** How long a job takes on a capacity, before any price: its run at the GPU's speed and the copy of its data. */
export interface Work {
  readonly spec: JobSpec;
  readonly ref: Speed;
  readonly own: Speed;
  readonly estimateHours: number;
  readonly runtimeHours: number;
  readonly speedRatio: number;
  readonly data: DataMove[];
  readonly transferHours: number;
}

/**
 * The time side of the cost model. A deadline reads only this, so placement refuses capacity that cannot meet
 * it (or that Uniform Progress rules out) before it prices it: half of a deadline job's candidates, the other
 * market's, are refused that way.
 */
export function workOn(
  spec: JobSpec,
  place: WorkPlace,
  ctx: CostContext,
  estimateHours = estimateOf(spec),
): Work {
  const { tables } = ctx;
  const ref = referenceSpeed(spec, tables);
  const own = speedOnModel(tables, place.gpu.model);
  const { hours: runtimeHours, speedRatio } = runtimeOf(spec, ref, own, estimateHours);
  const bandwidthGbps = tables.egress.bandwidthGbps;
  // The data is copied once into the offer's region (all nodes then read it there), one set after another.
  const data: DataMove[] = (spec.data ?? []).map((d) => {
    const quote = egressQuote(tables.egress, parsePlace(d.region), place);
    const hours = quote.kind === 'same-region' ? 0 : transferHours(d.sizeGiB, bandwidthGbps);
    return { uri: d.uri, from: d.region, sizeGiB: d.sizeGiB, quote, usd: d.sizeGiB * quote.usdPerGB, hours };
  });
  let transfer = 0;
  for (const d of data) transfer += d.hours;
  return { spec, ref, own, estimateHours, runtimeHours, speedRatio, data, transferHours: transfer };
}

/**
 * Expected cost of running `spec` on `nodes` nodes of `offer`; `estimateHours` is the work left, for a job that
 * resumes from a checkpoint (default: the spec's whole estimate).
 */
export function expectedCost(
  spec: JobSpec,
  offer: PricedPlace,
  nodes: number,
  ctx: CostContext,
  estimateHours = estimateOf(spec),
): CostBreakdown {
  const work = workOn(spec, offer, ctx, estimateHours);
  const { ref, own } = work;
  const money = priceWork(work, offer, nodes, ctx);
  return {
    runtimeHours: work.runtimeHours,
    transferHours: work.transferHours,
    computeUsd: money.computeUsd,
    egressUsd: money.egressUsd,
    interruptionUsd: money.interruptionUsd,
    totalUsd: money.totalUsd,
    inputs: {
      pricePerHour: offer.pricePerHour,
      nodes,
      referenceModel: ref.model,
      referenceSpeed: ref.speed,
      offerModel: own.model,
      offerSpeed: own.speed,
      speedRatio: work.speedRatio,
      speedFallback: ref.fallback || own.fallback,
      estimateHours: (spec.kind ?? 'batch') === 'inference' ? null : estimateHours,
      data: work.data,
      bandwidthGbps: ctx.tables.egress.bandwidthGbps,
      interruption: money.interruption,
    },
  };
}

/** The money side of a quote. */
export interface Money {
  computeUsd: number;
  egressUsd: number;
  interruptionUsd: number;
  totalUsd: number;
  interruption: InterruptionEstimate | null;
}

/**
 * The money side: `work` (from workOn on the same capacity) on `nodes` nodes of `offer`. Placement asks for it
 * for every offer a job may take, so it returns the figures alone; expectedCost adds what explain shows.
 */
export function priceWork(work: Work, offer: PricedPlace, nodes: number, ctx: CostContext): Money {
  const { spec, runtimeHours, data, transferHours: transfer } = work;
  let egressUsd = 0;
  for (const d of data) egressUsd += d.usd;
  const computeUsd = offer.pricePerHour * nodes * (runtimeHours + transfer);
  const interruption = interruptionEstimate(spec, offer, nodes, runtimeHours, transfer, ctx);
  // A gang stops as a whole: every node redoes the lost work and waits out the restart. Inference replicas
  // are independent: only the interrupted one is replaced.
  const payingNodes = (spec.kind ?? 'batch') === 'inference' ? 1 : nodes;
  const interruptionUsd = interruption
    ? interruption.expected *
      (interruption.lostHours + interruption.restartHours) *
      offer.pricePerHour *
      payingNodes
    : 0;
  return {
    computeUsd,
    egressUsd,
    interruptionUsd,
    totalUsd: computeUsd + egressUsd + interruptionUsd,
    interruption,
  };
}

/**
 * Spot only. Interruptions of one node are Poisson with rate λ per node-hour; a gang of n is stopped when any
 * node is, so it sees n·λ per hour over the time it holds its nodes (transfer + run). First order in λ·T: the
 * extra time that the interruptions themselves add is not exposed again.
 */
function interruptionEstimate(
  spec: JobSpec,
  offer: PricedPlace,
  nodes: number,
  runtimeHours: number,
  transfer: number,
  ctx: CostContext,
): InterruptionEstimate | null {
  if (offer.market !== 'spot') return null;
  const known = offer.availability?.interruptionsPerHour ?? null;
  const ratePerNodeHour =
    known ?? ctx.defaultInterruptionsPerHour ?? monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION);
  const expected = nodes * ratePerNodeHour * (runtimeHours + transfer);
  const restartHours = ctx.restartHours ?? DEFAULT_RESTART_HOURS;
  const noticeSeconds = ctx.noticeSeconds?.[offer.cloud] ?? DEFAULT_NOTICE_SECONDS[offer.cloud];
  const usable = noticeSeconds - (ctx.noticeMarginSeconds ?? DEFAULT_NOTICE_MARGIN_SECONDS);
  const ck = spec.checkpoint;
  const graceSeconds = ck ? (ck.graceSeconds ?? DEFAULT_GRACE_SECONDS) : null;
  const checkpointOnNotice = graceSeconds !== null && usable >= graceSeconds;
  const inference = (spec.kind ?? 'batch') === 'inference';
  // Interrupted at a uniformly random moment, a job loses the work since its last checkpoint: half the
  // checkpoint interval on average, or half the run when it never checkpoints. Serving loses no work.
  let lostHours = 0;
  if (!inference && !checkpointOnNotice) {
    const every = ck?.everyMinutes;
    lostHours = (every === undefined ? runtimeHours : Math.min(every / 60, runtimeHours)) / 2;
  }
  return {
    ratePerNodeHour,
    rateSource: known === null ? 'default' : 'offer',
    expected,
    lostHours,
    restartHours,
    noticeSeconds,
    checkpointOnNotice,
    graceSeconds,
    delayHours: expected * (lostHours + restartHours),
  };
}

export interface MigrationCost {
  checkpointGiB: number;
  /** False when the size was estimated from the GPUs' memory (latest.json gave no bytes). */
  checkpointSizeKnown: boolean;
  quote: EgressQuote;
  egressUsd: number;
  transferHours: number;
  restartHours: number;
  /** The new nodes' time while the checkpoint copies and the job restarts. */
  idleUsd: number;
  totalUsd: number;
}

/**
 * Extra cost of moving a running job's checkpoint from `fromRegion` (`cloud:region`) to `toOffer`: egress of
 * the checkpoint, and the new nodes paid while it copies and the job restarts. The job's data and its run on
 * the new offer are priced by expectedCost on that offer, not here.
 */
export function migrationCost(
  spec: JobSpec,
  fromRegion: string,
  toOffer: Pick<Offer, 'cloud' | 'region' | 'gpu' | 'pricePerHour'>,
  ctx: CostContext,
  opts: { checkpointBytes?: number; nodes?: number } = {},
): MigrationCost {
  const nodes = opts.nodes ?? nodesNeeded(spec);
  const known = opts.checkpointBytes !== undefined;
  // Without a size, assume the state fills the GPUs' memory: training state (weights, optimizer, sharded)
  // lives there, so this is an upper bound for most checkpoints, which makes migration look no cheaper than it is.
  const checkpointGiB = known
    ? (opts.checkpointBytes ?? 0) / 2 ** 30
    : toOffer.gpu.memoryGiB * toOffer.gpu.count * nodes;
  const quote = egressQuote(ctx.tables.egress, parsePlace(fromRegion), {
    cloud: toOffer.cloud,
    region: toOffer.region,
  });
  const hours =
    quote.kind === 'same-region' ? 0 : transferHours(checkpointGiB, ctx.tables.egress.bandwidthGbps);
  const restartHours = ctx.restartHours ?? DEFAULT_RESTART_HOURS;
  const egressUsd = checkpointGiB * quote.usdPerGB;
  const idleUsd = toOffer.pricePerHour * nodes * (hours + restartHours);
  return {
    checkpointGiB,
    checkpointSizeKnown: known,
    quote,
    egressUsd,
    transferHours: hours,
    restartHours,
    idleUsd,
    totalUsd: egressUsd + idleUsd,
  };
}

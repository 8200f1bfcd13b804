// Feasibility filters: each answers "can this job run on this capacity?" with null (yes) or a reason
// code. They run in order and the first refusal is the reason reported.
import { gpuMatches } from '../gpus.js';
import { gpusPerNode, type JobSpec } from '../jobspec.js';
import type { CloudName, Market } from '../model.js';
import { Reason, type ReasonCode } from './reasons.js';

/** What the filters need to know about capacity: an offer, or a node already running. */
export interface Capacity {
  cloud: CloudName;
  region: string;
  market: Market;
  gpu: { model: string; count: number; memoryGiB: number };
  vcpus?: number;
  memoryGiB?: number;
  pricePerHour: number;
  /** Offers carry their pool's block here; running nodes have none. */
  availability?: { blockedUntil: string | null };
}

export type Filter = (spec: JobSpec, cap: Capacity, now: Date) => ReasonCode | null;

const cloudAllowed: Filter = (spec, cap) => {
  const clouds = spec.constraints?.clouds;
  return clouds && !clouds.includes(cap.cloud) ? Reason.CLOUD_EXCLUDED : null;
};

const regionAllowed: Filter = (spec, cap) => {
  const only = spec.constraints?.regions;
  const except = spec.constraints?.regionsExclude;
  if (!only && !except) return null; // the common case pays for no string
  const where = `${cap.cloud}:${cap.region}`;
  if (only && !only.includes(where)) return Reason.REGION_EXCLUDED;
  return except?.includes(where) ? Reason.REGION_EXCLUDED : null;
};

const marketAllowed: Filter = (spec, cap) => {
  const wanted = spec.market ?? 'auto';
  return wanted !== 'auto' && wanted !== cap.market ? Reason.MARKET : null;
};

const gpuModel: Filter = (spec, cap) =>
  gpuMatches(spec.resources.gpu.models, undefined, cap.gpu) ? null : Reason.GPU_MODEL;

const gpuMemory: Filter = (spec, cap) => {
  const g = spec.resources.gpu;
  const need = g.minMemoryGiB ?? g.memoryGiB ?? 0;
  return cap.gpu.memoryGiB < need ? Reason.GPU_MEMORY : null;
};

const gpuCount: Filter = (spec, cap) => (cap.gpu.count < gpusPerNode(spec) ? Reason.GPU_COUNT : null);

const cpus: Filter = (spec, cap) =>
  spec.resources.cpus !== undefined && cap.vcpus !== undefined && cap.vcpus < spec.resources.cpus
    ? Reason.CPU
    : null;

const memory: Filter = (spec, cap) =>
  spec.resources.memoryGiB !== undefined &&
  cap.memoryGiB !== undefined &&
  cap.memoryGiB < spec.resources.memoryGiB
    ? Reason.MEMORY
    : null;

const priceCap: Filter = (spec, cap) => {
  const max = spec.constraints?.maxPricePerHour;
  return max !== undefined && cap.pricePerHour > max ? Reason.PRICE_CAP : null;
};

const poolOpen: Filter = (_spec, cap, now) => {
  const until = cap.availability?.blockedUntil;
  return until && Date.parse(until) > now.getTime() ? Reason.POOL_BLOCKED : null;
};

// The GPU checks come first: they refuse most of the catalog for any job, so most offers cost one check.
export const FILTERS: readonly Filter[] = [
  gpuModel,
  gpuMemory,
  gpuCount,
  cloudAllowed,
  regionAllowed,
  marketAllowed,
  cpus,
  memory,
  priceCap,
  poolOpen,
];

export function firstRefusal(spec: JobSpec, cap: Capacity, now: Date): ReasonCode | null {
  for (const f of FILTERS) {
    const r = f(spec, cap, now);
    if (r) return r;
  }
  return null;
}

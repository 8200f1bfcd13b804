// The words of DESIGN.md as types. Everything here is plain data: the core takes these in and gives
// these back; adapters (store, clouds, API) convert to and from them at the edge.

export const CLOUDS = ['aws', 'gcp', 'azure'] as const;
export type CloudName = (typeof CLOUDS)[number];

export const MARKETS = ['spot', 'on-demand'] as const;
export type Market = (typeof MARKETS)[number];

export interface GpuShape {
  /** Canonical model name from core/gpus.ts (A100, H100, L4, T4, ...). */
  model: string;
  count: number;
  /** Memory of one GPU. */
  memoryGiB: number;
}

export interface Availability {
  /** 0..1 where a cloud gives a placement score; null when unknown. */
  score: number | null;
  /** ISO time until which the pool is blocked (recent capacity failure or interruption). */
  blockedUntil: string | null;
  interruptionsPerHour: number | null;
}

/** Availability when nothing is known. */
export const NO_AVAILABILITY: Readonly<Availability> = Object.freeze({
  score: null,
  blockedUntil: null,
  interruptionsPerHour: null,
});

/** One purchasable shape right now. */
export interface Offer {
  cloud: CloudName;
  region: string;
  /** Zone name; null for regional offers (some Azure ones). */
  zone: string | null;
  /** AWS availability-zone ID (use1-az4); AZ names differ per account, IDs do not. */
  zoneId?: string;
  instanceType: string;
  gpu: GpuShape;
  vcpus: number;
  memoryGiB: number;
  market: Market;
  pricePerHour: number;
  observedAt: string;
  availability: Availability;
  /** Where the price came from: 'catalog' (bundled), 'live', 'simulated'. */
  source: string;
}

/** An offer's identity without its price. */
export interface Pool {
  cloud: CloudName;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
}

export function poolKey(p: Pool): string {
  // Frozen offers and nodes are asked for their key at every tick: the same text, kept, hashes once as a map key.
  const known = Object.isFrozen(p) ? POOL_KEYS.get(p) : undefined;
  if (known !== undefined) return known;
  const key = `${p.cloud}/${p.region}/${p.zone ?? '-'}/${p.instanceType}/${p.market}`;
  if (Object.isFrozen(p)) POOL_KEYS.set(p, key);
  return key;
}

const POOL_KEYS = new WeakMap<Pool, string>();

export const JOB_STATES = [
  'queued',
  'held',
  'scheduled',
  'provisioning',
  'running',
  'checkpointing',
  'migrating',
  'suspended',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export const NODE_STATES = [
  'provisioning',
  'ready',
  'draining',
  'terminating',
  'terminated',
  'lost',
] as const;
export type NodeState = (typeof NODE_STATES)[number];

export interface Checkpoint {
  /** The checkpoint's directory, relative to the job's checkpoint directory. */
  path: string;
  step: number;
  at: string;
  /** Its size, when the job says (prices a move across regions). */
  bytes?: number;
  /**
   * Where it was written, `cloud:region` (the node's): resuming in another region copies it there, which
   * placement prices. Absent on checkpoints recorded before the daemon kept it.
   */
  region?: string;
}

/** A job as the core sees it: its validated spec plus what the system has decided about it. */
export interface Job {
  id: string;
  name: string;
  team: string;
  spec: import('./jobspec.js').JobSpec;
  state: JobState;
  /** Why the job is in its state (held reason, failure reason). */
  reason: string | null;
  priority: number;
  submittedAt: string;
  updatedAt: string;
  /** Ids of the jobs this one waits for (resolved from names at submission). */
  dependsOn: string[];
  /** Nodes the job is placed on (one per spec.resources.nodes). */
  nodeIds: string[];
  startedAt: string | null;
  finishedAt: string | null;
  /** Accrued cost in USD (what ran, at the price in force). */
  costUsd: number;
  /** Cost the scheduler expected when it placed the job. */
  expectedCostUsd: number | null;
  checkpoint: Checkpoint | null;
  /** Share of the job's work (0..1) saved by its last checkpoint: a moved job is placed for the rest. */
  progress: number;
  /** Its deadline's safety net has fired: on-demand until done (core/deadline.ts). */
  safetyNet: boolean;
}

/** A job as it enters the queue: queued, nothing decided, nothing spent. */
export function queuedJob(j: {
  id: string;
  team: string;
  spec: Job['spec'];
  submittedAt: string;
  priority?: number;
  dependsOn?: string[];
}): Job {
  return {
    id: j.id,
    name: j.spec.name,
    team: j.team,
    spec: j.spec,
    state: 'queued',
    reason: null,
    priority: j.priority ?? j.spec.priority ?? 50,
    submittedAt: j.submittedAt,
    updatedAt: j.submittedAt,
    dependsOn: j.dependsOn ?? [],
    nodeIds: [],
    startedAt: null,
    finishedAt: null,
    costUsd: 0,
    expectedCostUsd: null,
    checkpoint: null,
    progress: 0,
    safetyNet: false,
  };
}

export interface NodeRecord {
  id: string;
  cloud: CloudName;
  /** Which CapacityProvider owns it: 'sim' or the cloud name. */
  provider: string;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
  gpu: GpuShape;
  pricePerHour: number;
  state: NodeState;
  /** The provider's own id for the instance, once known. */
  providerId: string | null;
  createdAt: string;
  readyAt: string | null;
  /** Last time the node did something useful (ran a job); scale-down measures idleness from here. */
  lastBusyAt: string;
  terminatedAt: string | null;
  /** When its cloud gave notice of reclaiming it (spot); counted in the pool's interruption rate. */
  interruptedAt: string | null;
  /** Accrued cost of the node itself (boot and idle included). */
  costUsd: number;
}

export interface JobEvent {
  jobId: string;
  at: string;
  from: JobState | null;
  to: JobState;
  reason: string;
}

// What every feasibility filter sees and answers.
import type { JobSpec } from '../../jobspec.js';
import type { CloudName, Market } from '../../model.js';
import type { ReasonCode } from '../reasons.js';

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

/** null: the job may run here; otherwise the one reason it may not. */
export type Filter = (spec: JobSpec, cap: Capacity, now: Date) => ReasonCode | null;

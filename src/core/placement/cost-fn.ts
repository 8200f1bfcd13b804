// What a placement costs, as one function the scheduler, explain and `gpusched plan` all call, so that
// they agree. Implementations: pricing.ts (price × hours) and model-cost.ts (the cost model).
import type { CloudName, Job, Market, Offer } from '../model.js';
import type { ReasonCode } from './reasons.js';

/** Capacity as the cost function sees it: an offer, or a node already running (no availability). */
export interface Priced {
  cloud: CloudName;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
  pricePerHour: number;
  gpu: Offer['gpu'];
  vcpus?: number;
  memoryGiB?: number;
  availability?: Offer['availability'];
}

export interface PriceQuote {
  totalUsd: number;
  /** How the total is made up (and the figures behind it), for explain. */
  parts: Record<string, number>;
  /**
   * Rules the capacity out for a reason that needs the price model (a deadline it cannot meet). Such a quote
   * has no price (totalUsd is infinite); its parts hold the time figures (runtimeHours, transferHours).
   */
  refusal?: ReasonCode;
}

/** The expected cost of running `job` on `count` nodes of this capacity. */
export type CostFn = (job: Job, cap: Priced, count: number, now: Date) => PriceQuote;

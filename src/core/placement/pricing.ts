// The first scheduler's price of a job: the capacity's price × nodes × the estimated hours (inference,
// which has no end, is quoted per hour). The cost model (core/cost.ts) replaces it behind the same
// CostFn, so the scheduler and `explain` always agree on what a placement costs.
import type { Job } from '../model.js';
import type { CostFn } from './cost-fn.js';

/** Hours a job is priced for: its estimate; inference runs open-ended, so its cost is quoted per hour. */
export function pricedHours(job: Job): number {
  return job.spec.runtime?.estimateHours ?? 1;
}

export const priceTimesHours: CostFn = (job, cap, count) => {
  const hours = pricedHours(job);
  const computeUsd = cap.pricePerHour * count * hours;
  return { totalUsd: computeUsd, parts: { computeUsd, runtimeHours: hours } };
};

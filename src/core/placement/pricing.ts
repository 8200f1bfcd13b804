// The first scheduler's price of a job: the capacity's price × nodes × the estimated hours (inference,
// which has no end, is quoted per hour). The cost model (core/cost.ts) replaces it behind the same
// CostFn, so the scheduler and `explain` always agree on what a placement costs.
import type { Job } from '../model.js';
import type { CostFn } from './cost-fn.js';

/**
 * Hours a job is priced for: what its estimate leaves after the progress its last checkpoint saved; inference
 * runs open-ended, so its cost is quoted per hour.
 */
export function pricedHours(job: Job): number {
  const est = job.spec.runtime?.estimateHours;
  return est === undefined ? 1 : est * (1 - Math.min(Math.max(job.progress, 0), 1));
}

export const priceTimesHours: CostFn = (job, cap, count) => {
  const hours = pricedHours(job);
  const computeUsd = cap.pricePerHour * count * hours;
  return { totalUsd: computeUsd, parts: { computeUsd, runtimeHours: hours } };
};

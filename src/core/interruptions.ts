// Interruption rate per spot pool: a prior from public data, moved by what the daemon observes.
// Pure: priors and observations come in as data.
//
// Model: interruptions of one instance are a Poisson process with rate λ per instance-hour. The prior is
// a Gamma distribution with mean λ₀ worth PRIOR_WEIGHT_HOURS of observation; after k interruptions in h
// observed instance-hours the posterior mean is (λ₀·H₀ + k) / (H₀ + h). A pool the daemon has used a
// lot is judged by its own record; a new one by the prior.

/** The AWS Spot Advisor buckets as fractions of instances interrupted per month (bucket midpoints). */
export const SPOT_ADVISOR_MONTHLY_FRACTION: readonly number[] = [0.025, 0.075, 0.125, 0.175, 0.25];

/**
 * Where no public figure exists (GCP, Azure, AWS types the advisor does not list): twice the worst AWS
 * bucket, half the instances interrupted per month. Pessimistic on purpose: the learned rate corrects it
 * downwards with use, while an optimistic prior would cost lost work before it was corrected.
 */
export const DEFAULT_MONTHLY_FRACTION = 0.5;

/** Observation-hours the prior is worth. */
export const PRIOR_WEIGHT_HOURS = 500;

const HOURS_PER_MONTH = 730;

/** A monthly interrupted fraction as a rate per instance-hour: P(interrupted in a month) = 1 − e^(−λ·730). */
export function monthlyFractionToRate(fraction: number): number {
  return -Math.log(1 - Math.min(fraction, 0.999)) / HOURS_PER_MONTH;
}

export function bucketRate(bucket: number): number {
  const fraction = SPOT_ADVISOR_MONTHLY_FRACTION[Math.max(0, Math.min(4, Math.round(bucket)))]!;
  return monthlyFractionToRate(fraction);
}

export interface PoolObservation {
  interruptions: number;
  /** Spot instance-hours observed in the pool. */
  hours: number;
}

export function posteriorRate(priorRate: number, seen: PoolObservation | undefined): number {
  const k = seen?.interruptions ?? 0;
  const h = seen?.hours ?? 0;
  return (priorRate * PRIOR_WEIGHT_HOURS + k) / (PRIOR_WEIGHT_HOURS + h);
}

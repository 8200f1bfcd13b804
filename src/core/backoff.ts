// Retry delays: exponential with full jitter (AWS's "Exponential Backoff and Jitter"), so that many
// daemons, or many sources of one daemon, do not retry in step. Pure: the random number comes in.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt` (1 = the first retry): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * Math.min(1, Math.max(0, random)));
}

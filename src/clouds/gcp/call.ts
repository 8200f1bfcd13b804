// One wrapper for every GCP request: a deadline (the REST transport ignores gax's `timeout`, so a hung
// server would hang the poller), a few retries of Throttled and Transient failures with jittered
// backoff, and classification into CloudError naming the API. Retrying writes is safe because every
// insert and delete carries a requestId, which GCE deduplicates.
import { backoffMs } from '../../core/backoff.js';
import { CloudError } from '../errors.js';
import { classifyGcpError, httpStatusOf } from './errors.js';

export interface CallPolicy {
  timeoutMs: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** For tests; defaults to Math.random. */
  random?: () => number;
}

function withDeadline<T>(api: string, ms: number, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new CloudError('Transient', `GCP ${api}: no answer within ${ms} ms`, 'gcp'));
    }, ms);
    timer.unref?.();
    run().then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `run` under the policy (timeoutMs overrides the policy's deadline); throws a CloudError. */
export async function gcpCall<T>(
  api: string,
  policy: CallPolicy,
  run: () => Promise<T>,
  timeoutMs = policy.timeoutMs,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withDeadline(api, timeoutMs, run);
    } catch (err) {
      const e = classifyGcpError(err, api);
      // A 4xx other than 408/429 answers the same next time (bad request, conflict): not worth a retry.
      const status = httpStatusOf(err);
      const definitive = status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
      const retryable = e.kind === 'Throttled' || (e.kind === 'Transient' && !definitive);
      if (!retryable || attempt >= policy.attempts) throw e;
      // Throttling means "slow down": start one step further along the backoff.
      const step = e.kind === 'Throttled' ? attempt + 1 : attempt;
      const policyMs = { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs };
      await sleep(backoffMs(step, policyMs, (policy.random ?? Math.random)()));
    }
  }
}

// Asking a job for a checkpoint: its signal (SIGUSR1 by default) through the runtime's handle, or, when the
// spec's `checkpoint.signal` is a URL, a POST to it (job contract, "When to checkpoint": the job says where it
// listens; the request is the agent's to make). Resolves whether it was delivered; throws on a refused request.
import { isUrlSignal } from './assignment.js';
import type { WorkloadHandle } from './runtime/types.js';

/** The request to a job's checkpoint URL gets this long: the job is local, and the window is short. */
const URL_SIGNAL_TIMEOUT_MS = 5_000;

export async function deliverCheckpointSignal(
  handle: WorkloadHandle,
  signal: string,
  request: { jobId: string; reason: string; fetch: typeof fetch },
): Promise<boolean> {
  if (!isUrlSignal(signal)) return handle.signal(signal as NodeJS.Signals);
  const res = await request.fetch(signal, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jobId: request.jobId, reason: request.reason }),
    signal: AbortSignal.timeout(URL_SIGNAL_TIMEOUT_MS),
  });
  await res.body?.cancel();
  return res.ok;
}

/** Waits for `p` to settle, but no longer than `ms`. */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

// Has the job written a new checkpoint? The agent asks by change, not by step: the checkpoint directory outlives
// a run, and a run resumed from step 155 may find in it the manifest of step 160, written by the run before it
// when it was stopped after the daemon had moved the job. The resumed run's checkpoints at 156 to 159 are new
// all the same; ordering by step (isNewerManifest) would hide them, and a notice's wait would time out.
import { type CheckpointManifest, readLatestCheckpoint } from './checkpoint.js';

/** The same manifest: same checkpoint, same step, same time. */
export function sameManifest(a: CheckpointManifest | null, b: CheckpointManifest | null): boolean {
  if (a === null || b === null) return a === b;
  return a.path === b.path && a.step === b.step && Date.parse(a.at) === Date.parse(b.at);
}

/** `latest.json` now, or null when there is none or it is unusable (`onInvalid` hears why). */
export async function readManifest(
  dir: string,
  onInvalid?: (e: Error) => void,
): Promise<CheckpointManifest | null> {
  try {
    return await readLatestCheckpoint(dir);
  } catch (e) {
    onInvalid?.(e as Error);
    return null;
  }
}

export interface WaitForChangeOptions {
  readonly dir: string;
  /** The manifest before the signal. */
  readonly before: CheckpointManifest | null;
  /** Give up at this time (ms since the epoch); looks once more then. */
  readonly until: number;
  readonly pollMs: number;
  readonly signal?: AbortSignal;
  /** Each distinct problem with the file, once. */
  readonly onInvalid?: (e: Error) => void;
  /** Only a manifest written at or after this instant (ms since the epoch: when the signal went) answers. */
  readonly notBefore?: number;
}

/** The first manifest other than `before`, or null at `until` (or when aborted). Polls: FUSE mounts send no events. */
/**
 * A manifest written before the signal answers nothing: a periodic checkpoint the job wrote between the read of
 * the old manifest and the signal would otherwise be taken, and the steps between it and the signal lost.
 */
function writtenSince(m: CheckpointManifest, notBefore: number | undefined): boolean {
  return notBefore === undefined || Date.parse(m.at) >= notBefore;
}

export async function waitForNewManifest(o: WaitForChangeOptions): Promise<CheckpointManifest | null> {
  let lastProblem = '';
  const onInvalid = (e: Error) => {
    if (e.message !== lastProblem) o.onInvalid?.(e);
    lastProblem = e.message;
  };
  for (;;) {
    const m = await readManifest(o.dir, onInvalid);
    if (m && !sameManifest(m, o.before) && writtenSince(m, o.notBefore)) return m;
    const left = o.until - Date.now();
    if (left <= 0 || o.signal?.aborted) return null;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(o.pollMs, left));
      o.signal?.addEventListener('abort', done, { once: true });
    });
    if (o.signal?.aborted) {
      // One last look: what was written before the abort still counts.
      const last = await readManifest(o.dir, onInvalid);
      return last && !sameManifest(last, o.before) && writtenSince(last, o.notBefore) ? last : null;
    }
  }
}

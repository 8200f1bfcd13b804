// The loop that drives a notice watcher: poll once a second, report each distinct notice once, and keep
// going through whatever the metadata endpoint does (refuses, hangs, answers 500 or garbage).
//
// Why every second: the shortest window is Azure's (30 s at most, often less) and GCP's (about 30 s);
// the job needs most of it to write its checkpoint. A poll costs a local request or two to a server on
// the machine's own hypervisor. One second of detection latency out of 30 is the budget DESIGN.md sets.
import { type Notice, type NoticeWatcher, noticeKey } from './notice.js';

export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export interface WatchErrorInfo {
  /** `endpoint`: a poll failed; `handler`: onNotice threw or rejected. */
  source: 'endpoint' | 'handler';
  /** How many polls in a row have failed, this one included (0 for handler errors). */
  consecutiveFailures: number;
}

export interface WatchOptions {
  /** Time from the start of one poll to the start of the next. Default 1000 ms. */
  intervalMs?: number;
  /**
   * Called once per distinct notice (see noticeKey), as soon as it is seen. Not awaited: a handler that
   * waits for the checkpoint does not stop the watcher from seeing the next notice. Its errors go to onError.
   */
  onNotice: (notice: Notice) => void | Promise<void>;
  /**
   * Errors worth a log line. A failing endpoint would fail every second, so a streak of failures is
   * reported on its first failure, whenever the message changes, and then every `errorRepeatEvery`-th
   * failure. Never throw from here; if it does, the throw is ignored.
   */
  onError?: (error: Error, info: WatchErrorInfo) => void;
  /** Called on the first good poll after a streak of failures (how many there were). */
  onRecovered?: (failures: number) => void;
  /** Every this-many consecutive failures a still-failing endpoint is reported again. Default 60 (a minute). */
  errorRepeatEvery?: number;
  /** Stops the loop; `watch` then resolves (it never rejects). */
  signal?: AbortSignal;
  /** For tests: how to wait. Must resolve early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For tests: a monotonic clock in milliseconds. */
  clock?: () => number;
}

/** Polls `watcher` until `opts.signal` aborts. Resolves then; never rejects. */
export async function watch(watcher: NoticeWatcher, opts: WatchOptions): Promise<void> {
  const interval = opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const repeatEvery = Math.max(1, opts.errorRepeatEvery ?? 60);
  const sleep = opts.sleep ?? abortableSleep;
  const clock = opts.clock ?? (() => performance.now());
  const { signal } = opts;
  const seen = new Set<string>();
  let failures = 0;
  let lastReported = '';

  const report = (error: unknown, info: WatchErrorInfo): void => {
    try {
      opts.onError?.(toError(error), info);
    } catch {
      // A logger that throws must not stop the watcher.
    }
  };

  const deliver = (notice: Notice): void => {
    try {
      Promise.resolve(opts.onNotice(notice)).catch((e: unknown) =>
        report(e, { source: 'handler', consecutiveFailures: 0 }),
      );
    } catch (e) {
      report(e, { source: 'handler', consecutiveFailures: 0 });
    }
  };

  while (!signal?.aborted) {
    const started = clock();
    try {
      const notice = await watcher.poll(signal);
      if (failures > 0) {
        try {
          opts.onRecovered?.(failures);
        } catch {
          // As for onError.
        }
        failures = 0;
        lastReported = '';
      }
      if (notice) {
        const key = noticeKey(notice);
        if (!seen.has(key)) {
          seen.add(key);
          deliver(notice);
        }
      }
    } catch (err) {
      if (signal?.aborted) break;
      failures++;
      const error = toError(err);
      if (failures === 1 || error.message !== lastReported || failures % repeatEvery === 0) {
        report(error, { source: 'endpoint', consecutiveFailures: failures });
        lastReported = error.message;
      }
    }
    if (signal?.aborted) break;
    await sleep(Math.max(0, interval - (clock() - started)), signal);
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// The market poller: asks each market source for its offers and stores them with their price history.
// A source that fails keeps its last good offers in force, is marked stale with its error, and is
// retried with exponential backoff and jitter (longer when the cloud throttles us). An empty answer
// where there were offers before is treated as a failure: a partial answer never wipes good data.
import type { Logger } from 'pino';
import { isCloudError } from '../clouds/errors.js';
import type { MarketSource } from '../clouds/ports.js';
import { type BackoffPolicy, backoffMs } from '../core/backoff.js';
import type { Store } from '../store/store.js';

export interface MarketPollerOptions {
  retry: BackoffPolicy;
  random?: () => number;
}

export interface PollOutcome {
  ok: boolean;
  /** When the poll failed: wait this long before trying again (the caller schedules it). */
  retryInMs: number | null;
}

export class MarketPoller {
  private readonly answered = new Set<MarketSource>();
  private readonly failures = new Map<MarketSource, number>();

  constructor(
    private readonly store: Store,
    readonly sources: readonly MarketSource[],
    private readonly opts: MarketPollerOptions,
    private readonly log: Logger,
  ) {}

  /** True once every source answered at least once (or has offers from before a restart). */
  get ready(): boolean {
    const stored = new Set(
      this.store.offers
        .sources()
        .filter((s) => s.fetchedAt !== null)
        .map((s) => `${s.cloud}/${s.kind}`),
    );
    return this.sources.every((s) => this.answered.has(s) || stored.has(`${s.cloud}/${s.kind}`));
  }

  async poll(source: MarketSource, now: Date): Promise<PollOutcome> {
    const at = now.toISOString();
    try {
      const offers = await source.poll(now);
      const before =
        offers.length === 0
          ? this.store.offers.sources().find((s) => s.cloud === source.cloud && s.kind === source.kind)
          : undefined;
      if (before && before.offers > 0) {
        throw new Error(`answered no offers where it had ${before.offers}; keeping the last good data`);
      }
      const { changed } = this.store.offers.replace(source.cloud, source.kind, offers, at);
      this.answered.add(source);
      this.failures.delete(source);
      this.log.info(
        { cloud: source.cloud, kind: source.kind, offers: offers.length, priceChanges: changed },
        'market polled',
      );
      return { ok: true, retryInMs: null };
    } catch (err) {
      const failures = (this.failures.get(source) ?? 0) + 1;
      this.failures.set(source, failures);
      const kind = isCloudError(err) ? err.kind : 'Error';
      const message = `${kind}: ${(err as Error).message}`;
      this.store.offers.recordFailure(source.cloud, source.kind, at, message);
      // Throttling means "slow down": start the backoff one step further along.
      const attempt = kind === 'Throttled' ? failures + 1 : failures;
      const retryInMs = backoffMs(attempt, this.opts.retry, (this.opts.random ?? Math.random)());
      this.log.warn(
        { cloud: source.cloud, kind: source.kind, err: message, failures, retryInMs },
        'market poll failed',
      );
      return { ok: false, retryInMs };
    }
  }
}

// The market poller: asks every market source for its offers and stores them with their price history.
// A source that fails keeps its previous offers (marked stale by age), never an empty market.
import type { Logger } from 'pino';
import type { MarketSource } from '../clouds/ports.js';
import type { Store } from '../store/store.js';

export class MarketPoller {
  private polledOnce = false;

  constructor(
    private readonly store: Store,
    private readonly sources: readonly MarketSource[],
    private readonly log: Logger,
  ) {}

  /** True once every source answered at least once (or has offers from before a restart). */
  get ready(): boolean {
    return this.polledOnce || this.store.offers.sources().length >= this.sources.length;
  }

  async tick(now: Date): Promise<void> {
    let ok = 0;
    for (const source of this.sources) {
      try {
        const offers = await source.poll(now);
        const { changed } = this.store.offers.replace(source.cloud, source.kind, offers, now.toISOString());
        ok++;
        this.log.debug(
          { cloud: source.cloud, kind: source.kind, offers: offers.length, changed },
          'market polled',
        );
      } catch (err) {
        this.log.warn(
          { cloud: source.cloud, kind: source.kind, err: (err as Error).message },
          'market poll failed',
        );
      }
    }
    if (ok === this.sources.length) this.polledOnce = true;
  }
}

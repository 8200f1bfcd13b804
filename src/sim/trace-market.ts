// The replay's market as the daemon sees it: one MarketSource per cloud, answering each poll with the offers of
// the replay's market that sell at that virtual instant, at their price then. It goes through the same port and
// the same poller as a live cloud; only the clock is virtual. Kind 'simulated': offers launch on the simulated
// cloud (the daemon routes simulated offers to SimProvider).
import type { MarketSource } from '../clouds/ports.js';
import type { CloudName, Offer } from '../core/model.js';
import { CLOUDS } from '../core/model.js';
import type { MarketTimeline } from './market-model.js';

export class TraceMarket implements MarketSource {
  readonly kind = 'simulated';

  constructor(
    readonly cloud: CloudName,
    private readonly market: MarketTimeline,
  ) {}

  /** Each of the market's offers as this source last answered it (the same object while the price holds). */
  private readonly answered = new WeakMap<Offer, Offer>();

  async poll(now: Date): Promise<Offer[]> {
    return this.market.offersAt(now.getTime(), this.cloud).map((o) => {
      let out = this.answered.get(o);
      if (!out) {
        out = Object.freeze({ ...o, source: this.kind });
        if (Object.isFrozen(o)) this.answered.set(o, out);
      }
      return out;
    });
  }
}

/** One source per cloud that has pools in the market. */
export function traceMarketSources(market: MarketTimeline): TraceMarket[] {
  const clouds = new Set(market.pools.map((p) => p.offer.cloud));
  return CLOUDS.filter((c) => clouds.has(c)).map((c) => new TraceMarket(c, market));
}

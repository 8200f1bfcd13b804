// The simulated market: one source per cloud, serving the bundled real price catalog. Offers keep the
// real clouds' names (cloud: aws) so constraints and budgets behave as they will against live prices;
// the source says 'simulated' so nobody mistakes them for live quotes.
import type { CloudName, Offer } from '../../core/model.js';
import type { MarketSource } from '../ports.js';

export class SimMarket implements MarketSource {
  readonly kind = 'simulated';

  constructor(
    readonly cloud: CloudName,
    /** The catalog's offers (all clouds); this source serves its own cloud's. */
    private readonly catalog: readonly Offer[],
  ) {}

  async poll(now: Date): Promise<Offer[]> {
    const observedAt = now.toISOString();
    return this.catalog
      .filter((o) => o.cloud === this.cloud)
      .map((o) => ({ ...o, observedAt, source: this.kind }));
  }
}

// Learned availability: each spot pool's interruption rate, from the public prior and from what this
// daemon saw (spot node-hours and interruptions per pool, from the nodes table), folded into the offers
// the scheduler and the API see. Pool blocks are folded in by the offer repository already.

import {
  bucketRate,
  DEFAULT_MONTHLY_FRACTION,
  monthlyFractionToRate,
  type PoolObservation,
  posteriorRate,
} from '../core/interruptions.js';
import type { Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { Store } from '../store/store.js';
import { type Providers, providerOf } from './billing.js';

export class Availability {
  private readonly defaultRate = monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION);

  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    /** AWS Spot Advisor buckets by `region/instanceType`. */
    private readonly awsBuckets: ReadonlyMap<string, number>,
  ) {}

  priorRate(offer: Pick<Offer, 'cloud' | 'region' | 'instanceType'>): number {
    const bucket =
      offer.cloud === 'aws' ? this.awsBuckets.get(`${offer.region}/${offer.instanceType}`) : undefined;
    return bucket === undefined ? this.defaultRate : bucketRate(bucket);
  }

  /** Per pool: interruptions and spot node-hours seen (billable hours, so sim time counts as sim time). */
  observed(now: Date): Map<string, PoolObservation> {
    const seen = new Map<string, PoolObservation>();
    for (const n of this.store.nodes.spotHistory()) {
      if (!this.providers.has(n.provider) || !n.readyAt) continue;
      const end = n.terminatedAt ? new Date(n.terminatedAt) : now;
      const hours = providerOf(this.providers, n).billableHours(new Date(n.readyAt), end);
      const key = poolKey(n);
      const o = seen.get(key) ?? { interruptions: 0, hours: 0 };
      o.hours += hours;
      if (n.interruptedAt) o.interruptions++;
      seen.set(key, o);
    }
    return seen;
  }

  /** Spot offers with their interruption rate; on-demand offers are not interrupted (null). */
  annotate(offers: Offer[], now: Date): Offer[] {
    const seen = this.observed(now);
    return offers.map((o) =>
      o.market === 'spot'
        ? {
            ...o,
            availability: {
              ...o.availability,
              interruptionsPerHour:
                o.availability.interruptionsPerHour ?? posteriorRate(this.priorRate(o), seen.get(poolKey(o))),
            },
          }
        : o,
    );
  }
}

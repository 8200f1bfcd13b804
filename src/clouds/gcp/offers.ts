// Zone shapes × component prices → Offers: one per (zone, shape, market) whose every part has a price
// in the zone's region. A shape missing a part (no spot SKU for that GPU in the region, a family whose
// SKUs we do not read) is left out and counted, never priced from a guess.
import { MARKETS, type Offer } from '../../core/model.js';
import type { PriceTable } from './prices.js';
import type { Shape } from './shapes.js';
import type { ZoneShapes } from './zones.js';

export interface OfferStats {
  offers: number;
  /** (zone, shape, market) left out because a component had no price. */
  unpriced: number;
}

/** Sums of prices carry float noise; six decimals is below any price step (as in catalog/build.ts). */
function money(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function priceOf(
  shape: Shape,
  region: string,
  market: Offer['market'],
  prices: PriceTable,
): number | null {
  let total = 0;
  for (const part of shape.parts) {
    const unit = prices.get(region, part.component, market);
    if (unit === undefined) return null;
    total += unit * part.quantity;
  }
  return money(total);
}

export function assembleOffers(
  zones: readonly ZoneShapes[],
  prices: PriceTable,
  observedAt: string,
): { offers: Offer[]; stats: OfferStats } {
  const offers: Offer[] = [];
  let unpriced = 0;
  for (const z of zones) {
    for (const shape of z.shapes) {
      for (const market of MARKETS) {
        const pricePerHour = priceOf(shape, z.region, market, prices);
        if (pricePerHour === null) {
          unpriced++;
          continue;
        }
        offers.push({
          cloud: 'gcp',
          region: z.region,
          zone: z.zone,
          instanceType: shape.instanceType,
          gpu: { ...shape.gpu },
          vcpus: shape.vcpus,
          memoryGiB: shape.memoryGiB,
          market,
          pricePerHour,
          observedAt,
          availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
          source: 'live',
        });
      }
    }
  }
  return { offers, stats: { offers: offers.length, unpriced } };
}

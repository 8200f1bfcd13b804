// GCP's MarketSource: billing-catalog prices × zone GPU availability. The two halves refresh on their
// own clocks: the catalog rarely changes (spot SKU prices at most once a day), so it is reused for
// `priceRefreshHours`; zone availability for `availabilityRefreshMinutes`. A poll refreshes whichever
// is due. A failed refresh throws (the poller keeps its last good offers and retries) and leaves the
// cached half untouched, so a half that is good is not fetched again on the retry.

import type { Offer } from '../../core/model.js';
import { CloudError } from '../errors.js';
import type { MarketSource } from '../ports.js';
import { classifyGcpError } from './errors.js';
import { assembleOffers, type OfferStats } from './offers.js';
import type { ResolvedGcpOptions } from './options.js';
import { type PriceStats, PriceTable } from './prices.js';
import type { GcpApi } from './sdk.js';
import { GPU_MACHINE_TYPE_FILTER } from './shapes.js';
import { type ZoneShapes, zoneShapes } from './zones.js';

interface Cached<T> {
  value: T;
  /** Epoch ms of the poll that fetched it. */
  at: number;
}

export interface GcpPollStats {
  prices: PriceStats & { pages: number; fetchedAt: string };
  zones: { zones: number; shapes: number; fetchedAt: string };
  offers: OfferStats;
}

/** Refuses a catalog that pages forever (a server bug or a loop of tokens). */
const MAX_SKU_PAGES = 1000;

export class GcpMarket implements MarketSource {
  readonly cloud = 'gcp' as const;
  readonly kind = 'live';
  /** Figures of the last successful poll, for logs and benchmarks. */
  lastStats: GcpPollStats | null = null;
  private prices: Cached<{ table: PriceTable; pages: number }> | null = null;
  private zones: Cached<ZoneShapes[]> | null = null;
  // One fetch at a time per half, even when polls overlap.
  private pricesInFlight: Promise<Cached<{ table: PriceTable; pages: number }>> | null = null;
  private zonesInFlight: Promise<Cached<ZoneShapes[]>> | null = null;

  constructor(
    private readonly api: GcpApi,
    private readonly opts: Pick<ResolvedGcpOptions, 'regions' | 'priceRefreshMs' | 'availabilityRefreshMs'>,
  ) {}

  async poll(now: Date): Promise<Offer[]> {
    const t = now.getTime();
    const [prices, zones] = await Promise.all([this.freshPrices(t), this.freshZones(t)]);
    const observedAt = new Date(prices.at).toISOString();
    const { offers, stats } = assembleOffers(zones.value, prices.value.table, observedAt);
    this.lastStats = {
      prices: { ...prices.value.table.stats, pages: prices.value.pages, fetchedAt: observedAt },
      zones: {
        zones: zones.value.length,
        shapes: zones.value.reduce((n, z) => n + z.shapes.length, 0),
        fetchedAt: new Date(zones.at).toISOString(),
      },
      offers: stats,
    };
    return offers;
  }

  /** Forgets both caches: the next poll fetches everything. */
  invalidate(): void {
    this.prices = null;
    this.zones = null;
  }

  private static due(c: Cached<unknown> | null, now: number, maxAgeMs: number): boolean {
    return c === null || now < c.at || now - c.at >= maxAgeMs;
  }

  private async freshPrices(now: number): Promise<Cached<{ table: PriceTable; pages: number }>> {
    if (!GcpMarket.due(this.prices, now, this.opts.priceRefreshMs) && this.prices) return this.prices;
    this.pricesInFlight ??= this.fetchPrices(now).finally(() => {
      this.pricesInFlight = null;
    });
    this.prices = await this.pricesInFlight;
    return this.prices;
  }

  private async freshZones(now: number): Promise<Cached<ZoneShapes[]>> {
    if (!GcpMarket.due(this.zones, now, this.opts.availabilityRefreshMs) && this.zones) return this.zones;
    this.zonesInFlight ??= this.fetchZones(now).finally(() => {
      this.zonesInFlight = null;
    });
    this.zones = await this.zonesInFlight;
    return this.zones;
  }

  private async fetchPrices(now: number): Promise<Cached<{ table: PriceTable; pages: number }>> {
    const api = 'cloudbilling services.skus.list';
    const table = new PriceTable(this.opts.regions);
    let token: string | null = null;
    let pages = 0;
    const seen = new Set<string>();
    do {
      const page = await this.api.listSkus(token);
      pages++;
      try {
        for (const sku of page.skus) table.addRaw(sku);
      } catch (err) {
        throw classifyGcpError(err, `${api} (page ${pages})`);
      }
      token = page.nextPageToken;
      if (token !== null && (seen.has(token) || pages >= MAX_SKU_PAGES)) {
        throw new CloudError('Transient', `GCP ${api}: pagination does not end (page ${pages})`, 'gcp');
      }
      if (token !== null) seen.add(token);
    } while (token !== null);
    // Compute Engine always sells GPUs: a catalog without one GPU SKU we know is not one we understand.
    if (table.stats.gpuSkus === 0) {
      throw new CloudError(
        'Transient',
        `GCP ${api}: no GPU SKU recognised in ${table.stats.skusSeen} SKUs over ${pages} page(s); ` +
          'the catalog is empty or its format changed',
        'gcp',
      );
    }
    return { value: { table, pages }, at: now };
  }

  private async fetchZones(now: number): Promise<Cached<ZoneShapes[]>> {
    const [accelerators, machineTypes] = await Promise.all([
      this.api.acceleratorTypes(),
      this.api.machineTypes(GPU_MACHINE_TYPE_FILTER),
    ]);
    try {
      return { value: zoneShapes(accelerators, machineTypes, this.opts.regions), at: now };
    } catch (err) {
      throw classifyGcpError(err, 'compute aggregatedList');
    }
  }
}

// Azure's MarketSource: GPU sizes and their zones from Resource SKUs (per region, refreshed every
// availabilityRefreshMinutes) joined with Linux prices from the Retail Prices API (per region, refreshed
// every priceRefreshHours: Azure's list prices and spot prices move slowly, and one region's VM meters
// are ~60 pages). The services may call poll() as often as they like; only stale parts are fetched.
import type { Market, Offer } from '../../core/model.js';
import type { MarketSource } from '../ports.js';
import { classifyAzureError } from './errors.js';
import { emptyPriceSelection, type PriceSelection, priceKey, selectLinuxPrices } from './retail-prices.js';
import { emptySkuScan, type ResourceSkuLike, type SkuScan, scanResourceSkus } from './skus.js';

/** The two fetches the market needs; the adapter wires them to the SDK and fetch, tests may stub them. */
export interface AzureMarketFetchers {
  /** Every resource SKU of the region (all pages). Throws on any failed page. */
  listSkus(region: string): AsyncIterable<ResourceSkuLike>;
  /** Every Retail Prices item of the region's VM query (all pages). */
  fetchPrices(region: string): Promise<unknown[]>;
}

export interface AzureMarketSettings {
  regions: readonly string[];
  priceRefreshHours: number;
  availabilityRefreshMinutes: number;
  concurrency: number;
}

/** What the last successful poll did and dropped, for logs and `gpusched market fetch`. */
export interface AzureMarketReport {
  at: string;
  offers: number;
  /** Regions whose SKUs / prices were fetched by this poll (the others came from the cache). */
  fetched: { skus: string[]; prices: string[] };
  skus: SkuScan['skipped'] & { restrictedZones: number };
  prices: PriceSelection['skipped'];
  offersSkipped: { 'no-price': number; 'spot-not-capable': number };
}

interface Cached<T> {
  at: number;
  value: T;
}

const MARKETS: readonly Market[] = ['on-demand', 'spot'];

/** Runs fn over items with at most `limit` in flight; rejects with the first failure. */
async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Azure logical zone '1' of eastus is offered as 'eastus-1', so that a zone name alone is unambiguous. */
export function offerZone(region: string, zone: string): string {
  return `${region}-${zone}`;
}

export class AzureMarket implements MarketSource {
  readonly cloud = 'azure' as const;
  readonly kind = 'live';
  lastReport: AzureMarketReport | null = null;
  private readonly skus = new Map<string, Cached<SkuScan>>();
  private readonly prices = new Map<string, Cached<PriceSelection>>();

  constructor(
    private readonly settings: AzureMarketSettings,
    private readonly fetchers: AzureMarketFetchers,
  ) {}

  async poll(now: Date): Promise<Offer[]> {
    const t = now.getTime();
    const fetched = { skus: [] as string[], prices: [] as string[] };
    const skuTtl = this.settings.availabilityRefreshMinutes * 60_000;
    const priceTtl = this.settings.priceRefreshHours * 3_600_000;
    const jobs: { kind: 'skus' | 'prices'; region: string }[] = [];
    for (const region of this.settings.regions) {
      if (isStale(this.skus.get(region), t, skuTtl)) jobs.push({ kind: 'skus', region });
      if (isStale(this.prices.get(region), t, priceTtl)) jobs.push({ kind: 'prices', region });
    }
    // Each region's result is cached only once complete; a failure anywhere fails the whole poll (the
    // caller keeps its previous offers), while what did complete is reused by the next poll.
    await mapLimit(jobs, this.settings.concurrency, async ({ kind, region }) => {
      if (kind === 'skus') {
        this.skus.set(region, { at: t, value: await this.fetchSkus(region) });
        fetched.skus.push(region);
      } else {
        this.prices.set(region, { at: t, value: await this.fetchPrices(region) });
        fetched.prices.push(region);
      }
    });
    return this.assemble(now, fetched);
  }

  private async fetchSkus(region: string): Promise<SkuScan> {
    const all: ResourceSkuLike[] = [];
    try {
      for await (const sku of this.fetchers.listSkus(region)) all.push(sku);
    } catch (e) {
      throw classifyAzureError(e, `resource SKUs of ${region}`);
    }
    return scanResourceSkus(region, all);
  }

  private async fetchPrices(region: string): Promise<PriceSelection> {
    let items: unknown[];
    try {
      items = await this.fetchers.fetchPrices(region);
    } catch (e) {
      throw classifyAzureError(e, `Retail Prices of ${region}`);
    }
    return selectLinuxPrices(items);
  }

  private assemble(now: Date, fetched: AzureMarketReport['fetched']): Offer[] {
    const offers: Offer[] = [];
    const report: AzureMarketReport = {
      at: now.toISOString(),
      offers: 0,
      fetched,
      skus: { ...emptySkuScan().skipped, restrictedZones: 0 },
      prices: emptyPriceSelection().skipped,
      offersSkipped: { 'no-price': 0, 'spot-not-capable': 0 },
    };
    for (const region of this.settings.regions) {
      const skus = this.skus.get(region);
      const prices = this.prices.get(region);
      if (!skus || !prices) continue; // unreachable after a successful poll; keeps the types honest
      addCounts(report.skus, skus.value.skipped);
      report.skus.restrictedZones += skus.value.restrictedZones;
      addCounts(report.prices, prices.value.skipped);
      const observedAt = new Date(prices.at).toISOString();
      for (const sku of skus.value.skus) {
        for (const market of MARKETS) {
          const price = prices.value.prices.get(priceKey(region, sku.name, market));
          if (!price) {
            report.offersSkipped['no-price']++;
            continue;
          }
          if (market === 'spot' && !sku.spotCapable) {
            report.offersSkipped['spot-not-capable']++;
            continue;
          }
          const zones: (string | null)[] =
            sku.zones.length > 0 ? sku.zones.map((z) => offerZone(region, z)) : [null];
          for (const zone of zones) {
            offers.push({
              cloud: 'azure',
              region,
              zone,
              instanceType: sku.name,
              gpu: { ...sku.gpu },
              vcpus: sku.vcpus,
              memoryGiB: sku.memoryGiB,
              market,
              pricePerHour: price.pricePerHour,
              observedAt,
              availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
              source: this.kind,
            });
          }
        }
      }
    }
    report.offers = offers.length;
    this.lastReport = report;
    return offers;
  }
}

function isStale(c: Cached<unknown> | undefined, now: number, ttl: number): boolean {
  return c === undefined || now - c.at >= ttl || now < c.at;
}

function addCounts<K extends string>(into: Record<K, number>, from: Record<K, number>): void {
  for (const k of Object.keys(from) as K[]) into[k] += from[k];
}

// Component prices per (region, component, market), collected from the whole catalog. When two SKUs
// price the same thing in one region (a multi-regional "Americas" SKU and a regional one), the more
// specific SKU (fewer regions) wins; between equally specific ones, the higher price, so that an
// ambiguity never makes an offer look cheaper than it is.
import type { Market } from '../../core/model.js';
import { type Component, type RecognizedSku, recognizeSku } from './skus.js';

interface Entry {
  usdPerHour: number;
  regionCount: number;
  skuId: string;
}

export interface PriceStats {
  skusSeen: number;
  skusUsed: number;
  /** GPU SKUs recognised in any region (before the region filter). */
  gpuSkus: number;
  /** Times two SKUs claimed the same (region, component, market). */
  conflicts: number;
}

export class PriceTable {
  private readonly entries = new Map<string, Entry>();
  readonly stats: PriceStats = { skusSeen: 0, skusUsed: 0, gpuSkus: 0, conflicts: 0 };

  constructor(
    /** Regions to keep; empty = all. */
    private readonly regions: ReadonlySet<string> = new Set(),
  ) {}

  private static key(region: string, component: Component, market: Market): string {
    return `${region}|${component}|${market}`;
  }

  /** Reads one raw SKU (throws GcpMalformedError for a SKU we use whose price is unreadable). */
  addRaw(raw: unknown): void {
    this.stats.skusSeen++;
    const sku = recognizeSku(raw);
    if (!sku) return;
    if (sku.component.startsWith('gpu:')) this.stats.gpuSkus++;
    this.add(sku);
  }

  add(sku: RecognizedSku): void {
    let used = false;
    for (const region of sku.regions) {
      if (this.regions.size > 0 && !this.regions.has(region)) continue;
      used = true;
      const key = PriceTable.key(region, sku.component, sku.market);
      const next: Entry = { usdPerHour: sku.usdPerHour, regionCount: sku.regions.length, skuId: sku.skuId };
      const prev = this.entries.get(key);
      if (prev && prev.skuId !== sku.skuId) {
        this.stats.conflicts++;
        const better =
          next.regionCount < prev.regionCount ||
          (next.regionCount === prev.regionCount && next.usdPerHour > prev.usdPerHour);
        if (!better) continue;
      }
      this.entries.set(key, next);
    }
    if (used) this.stats.skusUsed++;
  }

  get(region: string, component: Component, market: Market): number | undefined {
    return this.entries.get(PriceTable.key(region, component, market))?.usdPerHour;
  }

  get size(): number {
    return this.entries.size;
  }
}

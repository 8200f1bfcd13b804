// A catalog snapshot from live offers (`gpusched catalog build --live ...`): how the bundled catalog is
// refreshed from the clouds' own APIs rather than from a third-party dump.
import { gpuLabel } from '../core/gpus.js';
import type { Offer } from '../core/model.js';
import { compareRows } from './build.js';
import { CATALOG_COLUMNS, CATALOG_FORMAT, type CatalogFile, type CatalogRow } from './load.js';

/** One row per pool (both markets' prices in it); pools sold only as spot are left out, counted. */
export function catalogFromOffers(offers: readonly Offer[], sources: string[]): CatalogFile {
  const pools = new Map<string, { base: Offer; onDemand?: number; spot?: number }>();
  for (const o of offers) {
    const key = [o.cloud, o.region, o.zone ?? '', o.instanceType].join('/');
    const entry = pools.get(key) ?? { base: o };
    if (o.market === 'spot') entry.spot = o.pricePerHour;
    else entry.onDemand = o.pricePerHour;
    pools.set(key, entry);
  }
  const rows: CatalogRow[] = [];
  let spotOnly = 0;
  for (const { base: o, onDemand, spot } of pools.values()) {
    if (onDemand === undefined) {
      spotOnly++;
      continue;
    }
    rows.push([
      o.cloud,
      o.region,
      o.zone,
      o.zoneId ?? null,
      o.instanceType,
      gpuLabel(o.gpu),
      o.gpu.count,
      o.vcpus,
      o.memoryGiB,
      onDemand,
      spot ?? null,
    ]);
  }
  rows.sort(compareRows);
  return {
    format: CATALOG_FORMAT,
    columns: CATALOG_COLUMNS,
    sources,
    stats: {
      rowsIn: offers.length,
      rowsOut: rows.length,
      skipped: spotOnly ? { 'no-on-demand-price': spotOnly } : {},
    },
    rows,
  };
}

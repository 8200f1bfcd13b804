// Price history as charts want it: for one GPU model, the cheapest price per GPU-hour on each cloud and market
// over time, from the per-pool history (a row only when a pool's price changed). Prices are per GPU so that an
// 8-GPU instance and a 1-GPU one compare. Pure.

export interface PoolPrice {
  readonly pool: string;
  readonly cloud: string;
  readonly market: string;
  readonly gpuCount: number;
  readonly at: string;
  readonly pricePerHour: number;
}

export interface PricePoint {
  readonly at: string;
  readonly pricePerGpuHour: number;
}

export interface PriceSeries {
  readonly cloud: string;
  readonly market: string;
  readonly points: readonly PricePoint[];
}

/**
 * One step series per cloud and market: its cheapest pool's price per GPU-hour, a point each time that minimum
 * changes. `before` are each pool's last prices before `from` (the state the chart starts in, shown at `from`);
 * `rows` the changes from `from` on, in time order.
 */
export function cheapestSeries(
  before: readonly PoolPrice[],
  rows: readonly PoolPrice[],
  from: string,
): PriceSeries[] {
  const groups = new Map<string, { cloud: string; market: string; changes: PoolPrice[] }>();
  const group = (p: PoolPrice) => {
    const key = `${p.cloud}\u0000${p.market}`;
    let g = groups.get(key);
    if (!g) {
      g = { cloud: p.cloud, market: p.market, changes: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const p of before) group(p).changes.push({ ...p, at: from });
  for (const p of rows) group(p).changes.push(p);

  const out: PriceSeries[] = [];
  for (const g of groups.values()) {
    const current = new Map<string, number>();
    const points: PricePoint[] = [];
    const changes = [...g.changes].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      current.set(c.pool, c.pricePerHour / Math.max(1, c.gpuCount));
      // All changes at one instant first, then one point for it.
      if (changes[i + 1]?.at === c.at) continue;
      const min = Math.min(...current.values());
      if (points.at(-1)?.pricePerGpuHour !== min) points.push({ at: c.at, pricePerGpuHour: min });
    }
    out.push({ cloud: g.cloud, market: g.market, points });
  }
  return out.sort((a, b) => (a.cloud + a.market < b.cloud + b.market ? -1 : 1));
}

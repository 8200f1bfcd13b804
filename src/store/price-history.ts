// Reading price history for charts (GET /v1/offers/history): the changes of every pool of one GPU model since a
// time, and each pool's last price before it. Pools are known by their current offers (a pool no longer
// offered drops out of the chart). Read-only; OfferRepo writes the history.
import type { PoolPrice } from '../core/price-series.js';
import type { Db } from './db.js';

export interface PriceHistoryQuery {
  readonly gpu: string;
  readonly market?: string | undefined;
  /** ISO time: the chart's start. */
  readonly from: string;
}

interface Row {
  pool_key: string;
  cloud: string;
  market: string;
  gpu_count: number;
  at: string;
  price_per_hour: number;
}

const toPrice = (r: Row): PoolPrice => ({
  pool: r.pool_key,
  cloud: r.cloud,
  market: r.market,
  gpuCount: r.gpu_count,
  at: r.at,
  pricePerHour: r.price_per_hour,
});

export function gpuPriceHistory(db: Db, q: PriceHistoryQuery): { before: PoolPrice[]; rows: PoolPrice[] } {
  const market = q.market === undefined ? '' : 'AND o.market = @market';
  const params = { gpu: q.gpu, market: q.market, from: q.from };
  const before = db
    .prepare(
      `SELECT h.pool_key, o.cloud, o.market, o.gpu_count, h.at, h.price_per_hour
       FROM price_history h JOIN offers o ON o.pool_key = h.pool_key
       JOIN (SELECT pool_key, MAX(at) AS at FROM price_history WHERE at < @from GROUP BY pool_key) m
         ON m.pool_key = h.pool_key AND m.at = h.at
       WHERE o.gpu_model = @gpu COLLATE NOCASE ${market}`,
    )
    .all(params) as Row[];
  const rows = db
    .prepare(
      `SELECT h.pool_key, o.cloud, o.market, o.gpu_count, h.at, h.price_per_hour
       FROM price_history h JOIN offers o ON o.pool_key = h.pool_key
       WHERE o.gpu_model = @gpu COLLATE NOCASE ${market} AND h.at >= @from ORDER BY h.at`,
    )
    .all(params) as Row[];
  return { before: before.map(toPrice), rows: rows.map(toPrice) };
}

/** The GPU models on offer now, by name. */
export function gpuModels(db: Db): string[] {
  return (
    db.prepare('SELECT DISTINCT gpu_model FROM offers ORDER BY gpu_model').all() as { gpu_model: string }[]
  ).map((r) => r.gpu_model);
}

// GET /v1/offers/history?gpu=A100[&market=spot][&hours=168]: the cheapest price per GPU-hour of one GPU model on
// each cloud and market over time (the dashboard's price chart), from the price history the market poller keeps.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { cheapestSeries } from '../../core/price-series.js';
import { gpuModels, gpuPriceHistory } from '../../store/price-history.js';
import type { Store } from '../../store/store.js';
import { MarketName } from '../schemas/common.js';

const Query = Type.Object(
  {
    gpu: Type.String({ minLength: 1, maxLength: 32, description: 'GPU model (A100, H100, L4, ...)' }),
    market: Type.Optional(MarketName),
    hours: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366, default: 168, description: 'how far back' }),
    ),
  },
  { additionalProperties: false },
);

export const priceHistoryRoutes: FastifyPluginAsync<{ store: Store; now: () => Date }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/offers/history',
    {
      schema: {
        summary:
          'Price history of a GPU model: the cheapest price per GPU-hour per cloud and market over time',
        querystring: Query,
      },
    },
    async (req) => {
      const q = req.query as { gpu: string; market?: string; hours?: number };
      const to = now();
      const from = new Date(to.getTime() - (q.hours ?? 168) * 3_600_000).toISOString();
      const { before, rows } = gpuPriceHistory(store.db, { gpu: q.gpu, market: q.market, from });
      return {
        gpu: q.gpu,
        market: q.market ?? null,
        unit: 'USD per GPU-hour',
        from,
        to: to.toISOString(),
        models: gpuModels(store.db),
        series: cheapestSeries(before, rows, from),
      };
    },
  );
};

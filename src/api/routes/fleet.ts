// GET /v1/fleet: the running fleet for the dashboard: every node not terminated (as GET /v1/nodes shows it) with
// its GPU utilisation from agent telemetry, and the totals by cloud, region and market.
import type { FastifyPluginAsync } from 'fastify';
import { nodeUtilization, type TelemetrySource } from '../../services/telemetry.js';
import type { AppDeps } from '../app.js';
import { nodeViews } from '../views.js';

interface Group {
  cloud: string;
  region: string;
  market: string;
  nodes: number;
  gpus: number;
  pricePerHour: number;
  /** Mean over the group's nodes that report utilisation; null when none does. */
  utilizationPercent: number | null;
  reporting: number;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export const fleetRoutes: FastifyPluginAsync<{ deps: AppDeps; telemetry: TelemetrySource }> = async (
  app,
  { deps, telemetry },
) => {
  app.get(
    '/fleet',
    {
      schema: {
        summary:
          'The fleet: nodes not terminated with GPU utilisation, and totals by cloud, region and market',
      },
    },
    async () => {
      const now = deps.now();
      const nodes = deps.store.nodes.list(['provisioning', 'ready', 'draining', 'terminating', 'lost']);
      const views = nodeViews(deps.store, deps.providers, nodes, now).map((v) => {
        const t = telemetry.latest(v.id);
        const u = nodeUtilization(t, now);
        return {
          ...v,
          utilizationPercent: u === null ? null : round(u),
          telemetryAt: t?.at ?? null,
        };
      });
      const groups = new Map<string, Group & { sum: number }>();
      for (const v of views) {
        const key = `${v.cloud}/${v.region}/${v.market}`;
        const g = groups.get(key) ?? {
          cloud: v.cloud,
          region: v.region,
          market: v.market,
          nodes: 0,
          gpus: 0,
          pricePerHour: 0,
          utilizationPercent: null,
          reporting: 0,
          sum: 0,
        };
        g.nodes += 1;
        g.gpus += v.gpu.count;
        g.pricePerHour += v.pricePerHour;
        if (v.utilizationPercent !== null) {
          g.reporting += 1;
          g.sum += v.utilizationPercent;
        }
        groups.set(key, g);
      }
      return {
        at: now.toISOString(),
        items: views,
        groups: [...groups.values()]
          .map(({ sum, ...g }) => ({
            ...g,
            pricePerHour: round(g.pricePerHour),
            utilizationPercent: g.reporting > 0 ? round(sum / g.reporting) : null,
          }))
          .sort((a, b) => b.pricePerHour - a.pricePerHour),
      };
    },
  );
};

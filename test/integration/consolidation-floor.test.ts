// Consolidation packs each candidate node's jobs against the whole market, which is most of its work. With the
// cost model's floor (core/placement/model-cost.ts, gpuShareFloor) a candidate that could not save enough even
// at its jobs' floors is not packed. The moves must be the ones packing every candidate gives, on nodes cheap
// and dear, shared and whole, with data and deadlines, for less pricing.
import { describe, expect, it } from 'vitest';
import { defaultCatalogPath, loadCatalog } from '../../src/catalog/load.js';
import { loadCostTables } from '../../src/config/cost-tables.js';
import { migrationCost } from '../../src/core/cost.js';
import { NO_AVAILABILITY, type Offer } from '../../src/core/model.js';
import {
  type ConsolidationPolicy,
  consolidate,
  type RunningJob,
} from '../../src/core/placement/consolidate.js';
import type { CostFn } from '../../src/core/placement/cost-fn.js';
import { costModel, gpuShareFloor } from '../../src/core/placement/model-cost.js';
import type { SnapshotNode } from '../../src/core/schedule.js';
import { at, job, node, spec, T0 } from '../helpers/builders.js';

const ctx = { tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 };
// One-GPU offers, where the floor is close to the price (a one-GPU job alone on a bigger node pays the node):
// a floor set too high would show here as a move lost.
const offers = loadCatalog(defaultCatalogPath(), T0.toISOString()).filter(
  (o) => ['A100', 'V100', 'T4'].includes(o.gpu.model) && o.gpu.count === 1,
);
const cheapest = (model: string, market: Offer['market']) =>
  offers
    .filter((o) => o.gpu.model === model && o.market === market)
    .sort((a, b) => a.pricePerHour - b.pricePerHour)[0]!;

/** A node like the offer, running one job of `gpus` GPUs (a share of it, or all). */
function running(
  id: string,
  o: Offer,
  gpus: number,
  over: object = {},
): { node: SnapshotNode; run: RunningJob } {
  const j = job({
    id: `j-${id}`,
    spec: spec({
      resources: { gpu: { models: [o.gpu.model], count: gpus } },
      runtime: { estimateHours: 12 },
      checkpoint: { dir: '/ckpt' },
      ...over,
    }),
    state: 'running',
    nodeIds: [id],
    startedAt: at(-3600).toISOString(),
  });
  return {
    node: node({ ...o, id, state: 'ready', jobIds: [j.id], createdAt: at(-3600).toISOString() }),
    run: { job: j, progress: 0.25, runHours: 3 },
  };
}

function counted(cost: CostFn): { cost: CostFn; calls: () => number } {
  let n = 0;
  return {
    cost: (...args) => {
      n++;
      return cost(...args);
    },
    calls: () => n,
  };
}

describe('consolidation with a floor under the cost', () => {
  it('moves what packing every candidate moves, and packs fewer of them', () => {
    const fleet = [
      running('a100-od', cheapest('A100', 'on-demand'), 1),
      running('a100-spot', cheapest('A100', 'spot'), 1),
      running('v100-od-data', cheapest('V100', 'on-demand'), 1, {
        data: [{ uri: 's3://d', region: 'aws:us-east-1', sizeGiB: 500 }],
      }),
      running('v100-spot', cheapest('V100', 'spot'), 1),
      running('t4-spot', cheapest('T4', 'spot'), 1),
      // Dearer than the cheapest of their kind by a little: moving them saves close to the margins.
      ...[1.15, 1.25, 1.4].map((x) => {
        const o = cheapest('A100', 'spot');
        return running(`a100-spot-x${x}`, { ...o, pricePerHour: o.pricePerHour * x }, 1);
      }),
      running('a100-deadline', cheapest('A100', 'on-demand'), 1, {
        deadline: at(20 * 3600).toISOString(),
      }),
    ];
    const input = { running: fleet.map((f) => f.run), nodes: fleet.map((f) => f.node), offers };
    const base = {
      moveCost: (j: RunningJob['job'], from: { cloud: string; region: string }, to: object) =>
        migrationCost(
          j.spec,
          `${from.cloud}:${from.region}`,
          { ...to, availability: NO_AVAILABILITY } as Offer,
          ctx,
        ).totalUsd,
      minSavingUsd: 1,
      minSavingFraction: 0.15,
      minRunMinutes: 30,
      maxCandidates: 20,
    };
    const plain = counted(costModel(ctx));
    const floored = counted(costModel(ctx));
    const without: ConsolidationPolicy = { ...base, cost: plain.cost };
    const withFloor: ConsolidationPolicy = { ...base, cost: floored.cost, floor: gpuShareFloor(ctx) };
    const moves = consolidate(input, T0, without);
    expect(moves.length).toBeGreaterThan(0);
    expect(consolidate(input, T0, withFloor)).toEqual(moves);
    // Each node alone, the marginal ones included: the same answer.
    let moved = 0;
    for (const f of fleet) {
      const alone = { running: [f.run], nodes: [f.node], offers };
      const expected = consolidate(alone, T0, without);
      moved += expected.length;
      expect(consolidate(alone, T0, withFloor)).toEqual(expected);
    }
    expect(moved).toBeGreaterThan(1);
    expect(floored.calls()).toBeLessThan(plain.calls());
  });
});

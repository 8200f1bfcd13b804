// Placement benchmarks (issue 4), on the bundled catalog (4,298 offers) and the bundled cost tables.
//   npm run bench:placement
// 1. One scheduling cycle (src/core/schedule.ts: fair share, the packer) for 1k, 10k and 100k queued jobs,
//    with 0 and 2,000 half-full running nodes; baseline in the same run: each job alone on its cheapest
//    offer (one node per job). Reports the time of each and the plan's expected cost against the baseline's.
// 2. Egress-aware against egress-blind placement of jobs whose data sits in other regions: the total
//    expected cost (cost model) of the plan each makes.
// Figures only; nothing is asserted about speed.
import { it } from 'vitest';
import { defaultCatalogPath, loadCatalog } from '../src/catalog/load.js';
import { loadCostTables } from '../src/config/cost-tables.js';
import { expectedCost } from '../src/core/cost.js';
import type { JobSpec } from '../src/core/jobspec.js';
import { nodesNeeded } from '../src/core/jobspec.js';
import { type Job, queuedJob } from '../src/core/model.js';
import { firstRefusal } from '../src/core/placement/filters/index.js';
import { costModel } from '../src/core/placement/model-cost.js';
import { costGroupOf } from '../src/core/placement/pack.js';
import { priceTimesHours } from '../src/core/placement/pricing.js';
import { heldInventory } from '../src/core/placement/slices.js';
import { type Action, type SnapshotNode, schedule } from '../src/core/schedule.js';

const now = new Date('2026-11-28T12:00:00Z');
const offers = loadCatalog(defaultCatalogPath(), now.toISOString());
const tables = loadCostTables();
const ctx = { tables, restartHours: 5 / 60, noticeMarginSeconds: 5 };
const cost = costModel(ctx);

// A small deterministic generator (mulberry32), so that every run plans the same queue.
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAPES: JobSpec['resources']['gpu'][] = [
  { models: ['A100'], count: 1 },
  { models: ['A100'], count: 4 },
  { models: ['A100', 'H100'], count: 8 },
  { models: ['H100'], count: 2 },
  { models: ['L4', 'T4'], count: 1 },
  { models: ['A10G', 'L4'], count: 2 },
  { models: ['T4'], fraction: 0.25, memoryGiB: 4 },
  { models: ['A100'], fraction: 0.5, memoryGiB: 10 },
];

function makeJobs(n: number, seed: number, withData = false): Job[] {
  const r = rng(seed);
  const regions = [...new Set(offers.map((o) => `${o.cloud}:${o.region}`))];
  return Array.from({ length: n }, (_, i) => {
    const gpu = SHAPES[Math.floor(r() * SHAPES.length)]!;
    const spec: JobSpec = {
      name: `j${i}`,
      image: 'x',
      resources: { gpu },
      runtime: { estimateHours: [1, 2, 4, 8][Math.floor(r() * 4)]! },
      market: r() < 0.3 ? 'on-demand' : 'auto',
      ...(withData
        ? {
            data: [
              {
                uri: 's3://d',
                region: regions[Math.floor(r() * regions.length)]!,
                sizeGiB: 500 + Math.floor(r() * 1500),
              },
            ],
          }
        : {}),
    };
    return queuedJob({ id: `job-${i}`, team: `team-${i % 5}`, spec, submittedAt: now.toISOString() });
  });
}

/** Running nodes, each half full (its first GPUs held by another team's job), for the scheduler's snapshot. */
function runningNodes(n: number, seed: number): SnapshotNode[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const o = offers[Math.floor(r() * offers.length)]!;
    const held = Math.floor(o.gpu.count / 2);
    const holder = `other-${i}`;
    const slots =
      held > 0
        ? [
            {
              jobId: holder,
              team: 'other',
              slot: { kind: 'whole' as const, gpuIndices: [...Array(held).keys()] },
            },
          ]
        : [];
    return {
      id: `node-${i}`,
      cloud: o.cloud,
      provider: 'sim',
      region: o.region,
      zone: o.zone,
      instanceType: o.instanceType,
      market: o.market,
      gpu: o.gpu,
      pricePerHour: o.pricePerHour,
      state: 'ready',
      providerId: `sim-${i}`,
      createdAt: now.toISOString(),
      readyAt: now.toISOString(),
      lastBusyAt: now.toISOString(),
      terminatedAt: null,
      interruptedAt: null,
      costUsd: 0,
      jobIds: held > 0 ? [holder] : [],
      inventory: heldInventory(o.gpu, held > 0 ? [holder] : [], slots),
    };
  });
}

/**
 * The baseline: each job alone on new nodes of its cheapest feasible offer (one node per gang member or
 * replica, no sharing, no running nodes), priced by the same cost model, decided once per cost group.
 */
function oneNodePerJob(jobs: Job[]): number {
  const best = new Map<string, number>();
  let total = 0;
  for (const job of jobs) {
    const key = costGroupOf(job.spec);
    let c = best.get(key);
    if (c === undefined) {
      c = Number.POSITIVE_INFINITY;
      for (const o of offers) {
        if (firstRefusal(job.spec, o, now)) continue;
        const q = cost(job, o, nodesNeeded(job.spec), now);
        if (!q.refusal && q.totalUsd < c) c = q.totalUsd;
      }
      best.set(key, c);
    }
    if (Number.isFinite(c)) total += c;
  }
  return total;
}

/** A plan's expected cost: every placed job's part (its slots on running nodes, its share of new nodes). */
const planCost = (actions: Action[]) =>
  actions.reduce(
    (s, a) =>
      s +
      (a.kind === 'launch'
        ? a.jobs.reduce((t, j) => t + j.expectedCostUsd, 0)
        : a.kind === 'assign'
          ? a.expectedCostUsd
          : 0),
    0,
  );

function warm<T>(fn: () => T): { ms: number; value: T } {
  time(fn);
  return time(fn);
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

it('one scheduling cycle (the packer) for 1k, 10k and 100k jobs, with 0 and 2,000 running nodes', () => {
  const rows = [
    'jobs\tnodes\tschedule ms\tone-node-per-job ms\ttime ratio\tplan cost / one-node-per-job cost\tunplaced',
  ];
  for (const n of [1_000, 10_000, 100_000]) {
    const jobs = makeJobs(n, 7);
    for (const nodeCount of [0, 2_000]) {
      const nodes = runningNodes(nodeCount, 11);
      const snapshot = { pending: jobs, dependencyStates: new Map(), nodes, offers };
      // Each measured warm (its second run), as a daemon's cycles are: the first also pays for compiling.
      const cycle = warm(() => schedule(snapshot, now, { idleNodeSeconds: 60, cost }));
      const base = warm(() => oneNodePerJob(jobs));
      rows.push(
        [
          n,
          nodeCount,
          cycle.ms.toFixed(0),
          base.ms.toFixed(0),
          (cycle.ms / base.ms).toFixed(2),
          (planCost(cycle.value.actions) / base.value).toFixed(3),
          cycle.value.unplaced.length,
        ].join('\t'),
      );
    }
  }
  console.log(`\n${rows.join('\n')}\n`);
});

it('prices egress: egress-aware against egress-blind placement of jobs with remote data', () => {
  const jobs = makeJobs(500, 3, true).filter((j) => j.spec.resources.gpu.count !== undefined);
  const snapshot = { pending: jobs, dependencyStates: new Map(), nodes: [], offers };
  const aware = schedule(snapshot, now, { idleNodeSeconds: 60, cost });
  const blind = schedule(snapshot, now, { idleNodeSeconds: 60, cost: priceTimesHours });
  // Both plans judged by the same yardstick: the cost model's expected cost of each job on the offer it got,
  // egress in full, compute and interruption overhead at the job's share of the node's GPUs.
  const truth = (actions: Action[]) => {
    let total = 0;
    let egress = 0;
    for (const a of actions) {
      if (a.kind !== 'launch') continue;
      const offerOf = new Map(a.nodes.map((n) => [n.launchId, n.offer]));
      for (const p of a.jobs) {
        const job = jobs.find((j) => j.id === p.jobId)!;
        const first = p.units[0]!.where;
        const offer = offerOf.get(first.kind === 'launch' ? first.launchId : '')!;
        const b = expectedCost(job.spec, offer, p.units.length, ctx);
        const share = Math.min(1, (job.spec.resources.gpu.count ?? 1) / offer.gpu.count);
        total += b.egressUsd + (b.totalUsd - b.egressUsd) * share;
        egress += b.egressUsd;
      }
    }
    return { total, egress };
  };
  const a = truth(aware.actions);
  const b = truth(blind.actions);
  console.log(
    `\njobs ${jobs.length}: egress-aware total $${a.total.toFixed(0)} (egress $${a.egress.toFixed(0)}), ` +
      `egress-blind total $${b.total.toFixed(0)} (egress $${b.egress.toFixed(0)}), aware / blind ${(a.total / b.total).toFixed(3)}\n`,
  );
});

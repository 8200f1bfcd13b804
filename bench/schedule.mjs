// Scheduling time of the scheduler (with the cost model) against the whole bundled catalog, by queue size.
// Baseline measured in the same run: a bare scan that finds the cheapest offer per job with no filters,
// so the ratio shows what the feasibility chain costs over the minimum work, whatever the machine.
//   npm run bench:schedule
import { performance } from 'node:perf_hooks';
import { defaultCatalogPath, loadCatalog } from '../dist/catalog/load.js';
import { loadCostTables } from '../dist/config/cost-tables.js';
import { queuedJob } from '../dist/core/model.js';
import { costModel } from '../dist/core/placement/model-cost.js';
import { schedule } from '../dist/core/schedule.js';

const now = new Date('2026-11-28T12:00:00Z');
const offers = loadCatalog(defaultCatalogPath(), now.toISOString());
// The daemon's cost function: the cost model with the bundled tables.
const cost = costModel({ tables: loadCostTables(), restartHours: 5 / 60, noticeMarginSeconds: 5 });
const models = [['A100'], ['H100'], ['L4', 'T4'], ['A10G'], undefined];

// `distinct`: every job a shape of its own (a different price cap), the worst case for the shape cache.
function jobs(n, distinct) {
  return Array.from({ length: n }, (_, i) => {
    const spec = {
      name: `j${i}`,
      image: 'x',
      resources: { gpu: { models: models[i % models.length], count: [1, 2, 4, 8][i % 4] } },
      runtime: { estimateHours: 1 + (i % 7) },
      market: i % 3 === 0 ? 'on-demand' : 'auto',
      ...(distinct ? { constraints: { maxPricePerHour: 1000 + i } } : {}),
    };
    return queuedJob({ id: `job-${i}`, team: 't', spec, submittedAt: now.toISOString() });
  });
}

function baseline(pending) {
  let sum = 0;
  for (const j of pending) {
    let best = Number.POSITIVE_INFINITY;
    for (const o of offers) if (o.pricePerHour < best) best = o.pricePerHour;
    sum += best * j.spec.runtime.estimateHours;
  }
  return sum;
}

function time(fn, reps) {
  fn(); // warm up
  const start = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - start) / reps;
}

console.log(`offers in the catalog: ${offers.length}`);
console.log('shapes\tjobs\tschedule ms\tbaseline ms\tratio\tper job µs');
for (const [distinct, n] of [
  [false, 10],
  [false, 100],
  [false, 1000],
  [false, 3000],
  [true, 100],
  [true, 1000],
  [true, 3000],
]) {
  const pending = jobs(n, distinct);
  const snap = { pending, dependencyStates: new Map(), nodes: [], offers };
  const reps = n >= 1000 ? 3 : 20;
  const s = time(() => schedule(snap, now, { idleNodeSeconds: 60, cost }), reps);
  const b = time(() => baseline(pending), reps);
  console.log(
    `${distinct ? 'all' : 'few'}\t${n}\t${s.toFixed(1)}\t\t${b.toFixed(1)}\t\t${(s / b).toFixed(1)}\t${((s * 1000) / n).toFixed(0)}`,
  );
}

// The packer against the exact optimum (issue 4): small instances on the bundled catalog and cost tables,
// half random and half drawn from the reduced Alibaba GPU trace (data/traces/), each solved exactly as a MIP
// by HiGHS (bench/pack-exact/mip.ts says what it models) and packed by the packer, first-fit-decreasing and
// one node per job. Every plan is priced by the same function (bench/pack-exact/instance.ts: the packer's
// cost semantics), and every MIP answer is checked against the slot rules (verify.ts) before it counts.
//   npm run bench:placement
// Figures only; nothing is asserted about speed or quality.
import { it } from 'vitest';
import { defaultCatalogPath, loadCatalog } from '../src/catalog/load.js';
import { generate } from './pack-exact/generate.js';
import { loadHighs } from './pack-exact/highs.js';
import { evaluate, type Instance, unitCount } from './pack-exact/instance.js';
import { firstFitDecreasing, oneNodePerJob, packer } from './pack-exact/methods.js';
import { solveExact } from './pack-exact/mip.js';
import { catalogPrice } from './pack-exact/pricing.js';
import { loadTrace } from './pack-exact/trace.js';
import { verify } from './pack-exact/verify.js';

const NOW = new Date('2026-11-28T12:00:00Z');
/** Instances per source (random, trace). */
const PER_SOURCE = 108;
const SEEDS = { random: 1_000, trace: 2_000 } as const;
/** Seconds HiGHS may take per instance; one that hits it is reported, not counted. */
const TIME_LIMIT_S = 6;

interface Row {
  readonly inst: Instance;
  readonly optimum: number;
  readonly packer: number;
  readonly ffd: number;
  readonly one: number;
  readonly solveMs: number;
  readonly packMs: number;
}

const METHODS = [
  ['packer', (r: Row) => r.packer / r.optimum],
  ['first-fit-decreasing', (r: Row) => r.ffd / r.optimum],
  ['one node per job', (r: Row) => r.one / r.optimum],
] as const;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const atOpt = s.filter((x) => x <= 1 + 1e-6).length / Math.max(1, s.length);
  return { mean, median: mid, worst: s[s.length - 1] ?? Number.NaN, atOpt };
}

function table(rows: readonly Row[]): string {
  const out = ['set\tmethod\tinstances\tmean\tmedian\tworst\tat optimum'];
  for (const [set, list] of [
    ['random', rows.filter((r) => r.inst.source === 'random')],
    ['trace', rows.filter((r) => r.inst.source === 'trace')],
    ['with running nodes', rows.filter((r) => r.inst.nodes.length > 0)],
    ['no running nodes', rows.filter((r) => r.inst.nodes.length === 0)],
    ['all', rows],
  ] as const) {
    for (const [name, ratio] of METHODS) {
      const s = stats(list.map(ratio));
      out.push(
        [
          set,
          name,
          list.length,
          s.mean.toFixed(4),
          s.median.toFixed(4),
          s.worst.toFixed(3),
          `${(100 * s.atOpt).toFixed(1)} %`,
        ].join('\t'),
      );
    }
  }
  return out.join('\n');
}

it('packs 216 small instances against the exact optimum of a MIP (HiGHS)', async () => {
  const highs = await loadHighs();
  const ctx = {
    catalog: loadCatalog(defaultCatalogPath(), NOW.toISOString()),
    pods: loadTrace(),
    price: catalogPrice(NOW),
  };
  const rows: Row[] = [];
  const skipped: string[] = [];
  let mismatches = 0;
  for (const source of ['random', 'trace'] as const) {
    for (let i = 0; i < PER_SOURCE; i++) {
      const inst = generate(ctx, source, SEEDS[source] + i, `${source}-${i}`);
      const t0 = performance.now();
      const p = packer(inst);
      const packMs = performance.now() - t0;
      const packed = evaluate(inst, p.plan);
      // The common yardstick must agree with the packer's own account of its plan.
      if (Math.abs(packed - p.totalCost) > 1e-6 * Math.max(1, packed)) mismatches++;
      const ffd = firstFitDecreasing(inst);
      const one = oneNodePerJob(inst);
      // The better heuristic plan is the solver's first incumbent: it only has to prove (or beat) it.
      const ex = solveExact(highs, inst, TIME_LIMIT_S, evaluate(inst, ffd) < packed ? ffd : p.plan);
      const bad = ex.optimal ? verify(inst, ex) : `${ex.status}, gap ${(ex.objective / ex.bound).toFixed(3)}`;
      const unplaced = p.plan.unplaced + ffd.unplaced + one.unplaced;
      if (bad || unplaced > 0) {
        skipped.push(`${inst.name}: ${bad ?? `${unplaced} units unplaced`}`);
        continue;
      }
      rows.push({
        inst,
        optimum: ex.objective,
        packer: packed,
        ffd: evaluate(inst, ffd),
        one: evaluate(inst, one),
        solveMs: ex.ms,
        packMs,
      });
    }
  }
  const solve = rows.map((r) => r.solveMs);
  const worst = [...rows].sort((a, b) => b.packer / b.optimum - a.packer / a.optimum).slice(0, 5);
  console.log(
    [
      '',
      table(rows),
      '',
      `instances ${rows.length} (${rows.reduce((s, r) => s + r.inst.requests.length, 0)} requests, ` +
        `${rows.reduce((s, r) => s + unitCount(r.inst), 0)} units, ` +
        `${rows.reduce((s, r) => s + r.inst.nodes.length, 0)} running nodes); ` +
        `not counted: ${skipped.length}` +
        (skipped.length > 0 ? ` (${skipped.join('; ')})` : ''),
      `MIP solve: total ${(solve.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s, ` +
        `median ${stats(solve).median.toFixed(0)} ms, max ${Math.max(...solve).toFixed(0)} ms; ` +
        `packer: total ${rows.reduce((s, r) => s + r.packMs, 0).toFixed(0)} ms`,
      `packer's totalCost differs from the common yardstick in ${mismatches} instances; ` +
        `plans cheaper than the optimum (a modelling error if any): ${
          rows.filter((r) => Math.min(r.packer, r.ffd, r.one) < r.optimum * (1 - 1e-6)).length
        }`,
      `packer's worst: ${worst.map((r) => `${r.inst.name} ${(r.packer / r.optimum).toFixed(3)}`).join(', ')}`,
      '',
    ].join('\n'),
  );
});

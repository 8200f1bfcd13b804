#!/usr/bin/env node
// `npm run bench:replay`: replays the bundled scenarios (data/replay/) through the daemon, against the baselines
// and the offline lower bound, and prints for each the comparison table (Markdown, as docs/benchmarks.md holds
// it), the targets of the standard scenario, and the wall time. Reports go to var/replay/.
//
//   node bench/replay.mjs [scenario ...]      default: month-v100 week-preemption
//
// Reads only the project's own files (the build in dist/ and data/); a clean clone with `npm ci` runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { progressBar } from '../dist/sim/progress.js';
import { replay } from '../dist/sim/replay.js';
import { reportHtml, reportMarkdown } from '../dist/sim/report.js';
import { loadInputs, readScenario } from '../dist/sim/scenario.js';

const names = process.argv.slice(2);
const scenarios = names.length > 0 ? names : ['month-v100', 'week-preemption'];
const out = 'var/replay';
mkdirSync(out, { recursive: true });

const pct = (x) => `${(x * 100).toFixed(1)}%`;

for (const name of scenarios) {
  const t0 = performance.now();
  const { scenario, dir } = readScenario(name);
  const inputs = loadInputs(scenario, dir);
  const loadSeconds = (performance.now() - t0) / 1000;
  const bar = progressBar(process.stderr);
  const result = await replay(inputs, { progress: (stage, done) => bar.update(`${name}: ${stage}`, done) });
  bar.finish();
  const total = (performance.now() - t0) / 1000;
  const { report } = result;
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, `${name}.html`), reportHtml(report, { replaySeconds: result.wallSeconds }));

  const s = report.scenario;
  console.log(`\n## ${name}\n`);
  console.log(
    `${s.jobs.total} jobs (${s.jobs.bySource.philly ?? 0} Philly-derived, ${s.jobs.bySource.alibaba ?? 0} Alibaba pods; ${s.jobs.withDeadline} with a deadline, ${s.jobs.inference} deployments), ${s.start.slice(0, 10)} + ${scenario.days} days of arrivals + ${scenario.drainDays} to finish; market: ${s.market.pools} pools, ${s.market.spotPools} spot (${s.market.tracedPools.length} traced, ${s.market.modelledSpotPools} modelled), ${s.market.changes} changes. Seed ${s.seed}.\n`,
  );
  console.log(reportMarkdown(report));
  console.log('\ncompute on spot / on-demand, and egress:');
  for (const p of report.policies)
    console.log(
      `- ${p.policy}: $${p.spotUsd.toFixed(2)} / $${p.onDemandUsd.toFixed(2)}, egress $${p.egressUsd.toFixed(2)}; ${p.unfinished} batch job(s) unfinished`,
    );
  const g = report.policies.find((p) => p.policy === 'gpusched');
  const sky = report.policies.find((p) => p.policy === 'skypilot');
  if (g && sky) {
    const checks = [
      ['saved vs on-demand ≥ 60%', g.savingsVsOnDemand >= 0.6, pct(g.savingsVsOnDemand)],
      ['≤ 1.15 × the lower bound', g.ratioToLowerBound <= 1.15, `${g.ratioToLowerBound.toFixed(3)} ×`],
      ['no deadline missed', g.deadlineMisses === 0, `${g.deadlineMisses} of ${g.jobsWithDeadline}`],
      [
        'cheaper than SkyPilot-like',
        g.totalUsd < sky.totalUsd,
        `$${g.totalUsd.toFixed(2)} vs $${sky.totalUsd.toFixed(2)} (${
          g.totalUsd < sky.totalUsd
            ? `${pct(1 - g.totalUsd / sky.totalUsd)} less`
            : `${pct(g.totalUsd / sky.totalUsd - 1)} more`
        })`,
      ],
    ];
    console.log('\ntargets:');
    for (const [what, ok, value] of checks) console.log(`- ${ok ? 'met' : 'MISSED'}: ${what}: ${value}`);
  }
  const walls = Object.entries(result.wallSeconds)
    .map(([p, sec]) => `${p} ${sec.toFixed(1)} s`)
    .join(', ');
  const st = g?.stats ?? {};
  console.log(
    `\nwall time: ${total.toFixed(1)} s (inputs ${loadSeconds.toFixed(1)} s; ${walls}); daemon ticks ${st.ticks ?? '-'}, market polls ${st.polls ?? '-'}, reclaims ${st.reclaims ?? '-'}; jobs moved for notices ${st.noticeMoves ?? '-'}, consolidation ${st.consolidationMoves ?? '-'}, deadlines ${st.deadlineMoves ?? '-'} (${st.deadlineMovesToSpot ?? '-'} of them back to spot); daemon errors ${st.daemonErrors ?? '-'}`,
  );
  console.log(`reports: ${join(out, `${name}.json`)}, ${join(out, `${name}.html`)}`);
}

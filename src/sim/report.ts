// The replay's report: every policy priced the same way against the same market (capacity at the prices in force
// while it ran, egress as charged), with the measures docs/replay.md defines, as JSON (deterministic: no wall
// time, no ids the daemon drew), as a plain table, as a Markdown table, and as a self-contained HTML page with
// inline SVG charts (nothing fetched when it is viewed). Pure: runs in, text out.
import { capacityCost, POLICIES, type PolicyName, type PolicyRun } from './outcome.js';
import type { ReplayInputs } from './scenario.js';

export const REPORT_FORMAT = 'gpusched-replay-report/1';

export interface PolicySummary {
  policy: PolicyName;
  totalUsd: number;
  computeUsd: number;
  /** Of the compute, what spot and on-demand capacity cost. */
  spotUsd: number;
  onDemandUsd: number;
  egressUsd: number;
  /** 1 − total / on-demand's total. */
  savingsVsOnDemand: number | null;
  /** total / the lower bound's total. */
  ratioToLowerBound: number | null;
  jobsWithDeadline: number;
  deadlineMisses: number;
  /** Batch jobs not done by the horizon. */
  unfinished: number;
  /** Batch jobs: submission to completion, hours (null for the lower bound, which has no completion times). */
  jctHours: { mean: number; p95: number } | null;
  gpuHoursLost: number;
  interruptions: number;
  /** Instances (or, for the lower bound, pieces of schedule) paid for. */
  capacityItems: number;
  stats: Record<string, number>;
}

export interface ReplayReport {
  format: typeof REPORT_FORMAT;
  scenario: {
    name: string;
    description: string;
    start: string;
    arrivalsEnd: string;
    end: string;
    seed: number;
    jobs: {
      total: number;
      batch: number;
      inference: number;
      withDeadline: number;
      bySource: Record<string, number>;
    };
    market: {
      pools: number;
      spotPools: number;
      tracedPools: { name: string; pool: string; availableShare: number }[];
      modelledSpotPools: number;
      changes: number;
    };
  };
  policies: PolicySummary[];
  /** Cumulative spend at the end of each day of the replay, per policy. */
  costOverTime: { at: string[]; usd: Record<string, number[]> };
}

const DAY = 86_400_000;

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(
  run: PolicyRun,
  inputs: ReplayInputs,
): Omit<PolicySummary, 'savingsVsOnDemand' | 'ratioToLowerBound'> {
  let spotUsd = 0;
  let onDemandUsd = 0;
  for (const c of run.capacity) {
    const usd = capacityCost(inputs.market, c);
    if (c.pool.endsWith('/spot')) spotUsd += usd;
    else onDemandUsd += usd;
  }
  const computeUsd = spotUsd + onDemandUsd;
  const egressUsd = run.charges.reduce((s, c) => s + c.usd, 0);
  const batch = run.jobs.filter((j) => j.kind === 'batch');
  const withDeadline = batch.filter((j) => j.deadlineAt !== null);
  const misses = withDeadline.filter((j) => j.finishedAt === null || j.finishedAt > j.deadlineAt! + 1).length;
  const jct = batch
    .filter((j) => j.finishedAt !== null)
    .map((j) => (j.finishedAt! - j.submitAt) / 3_600_000)
    .sort((a, b) => a - b);
  const lb = run.policy === 'lower-bound';
  return {
    policy: run.policy,
    totalUsd: round(computeUsd + egressUsd, 4),
    computeUsd: round(computeUsd, 4),
    spotUsd: round(spotUsd, 4),
    onDemandUsd: round(onDemandUsd, 4),
    egressUsd: round(egressUsd, 4),
    jobsWithDeadline: withDeadline.length,
    deadlineMisses: lb ? 0 : misses,
    unfinished: batch.filter((j) => j.finishedAt === null).length,
    jctHours:
      lb || jct.length === 0
        ? null
        : { mean: round(jct.reduce((s, x) => s + x, 0) / jct.length, 4), p95: round(quantile(jct, 0.95), 4) },
    gpuHoursLost: round(
      run.jobs.reduce((s, j) => s + j.gpuHoursLost, 0),
      4,
    ),
    interruptions: run.interruptions,
    capacityItems: run.capacity.length,
    stats: run.stats,
  };
}

/** Cumulative spend at each day's end: capacity as it runs, charges when they fall. */
function costOverTime(runs: readonly PolicyRun[], inputs: ReplayInputs): ReplayReport['costOverTime'] {
  const { start, end, market } = inputs;
  const days = Math.ceil((end - start) / DAY);
  const at = Array.from({ length: days }, (_, i) =>
    new Date(Math.min(end, start + (i + 1) * DAY)).toISOString(),
  );
  const usd: Record<string, number[]> = {};
  for (const run of runs) {
    const perDay = new Array<number>(days).fill(0);
    for (const c of run.capacity) {
      for (let d = Math.max(0, Math.floor((c.from - start) / DAY)); d < days; d++) {
        const a = Math.max(c.from, start + d * DAY);
        const b = Math.min(c.to, start + (d + 1) * DAY);
        if (b <= a) break;
        perDay[d]! += c.share * market.cost(c.pool, a, b);
      }
    }
    for (const ch of run.charges) {
      const d = Math.min(days - 1, Math.max(0, Math.floor((ch.at - start) / DAY)));
      perDay[d]! += ch.usd;
    }
    let sum = 0;
    usd[run.policy] = perDay.map((x) => {
      sum += x;
      return round(sum, 2);
    });
  }
  return { at, usd };
}

export function buildReport(inputs: ReplayInputs, runs: readonly PolicyRun[]): ReplayReport {
  const ordered = [...runs].sort((a, b) => POLICIES.indexOf(a.policy) - POLICIES.indexOf(b.policy));
  const base = ordered.map((r) => summarize(r, inputs));
  const od = base.find((s) => s.policy === 'on-demand')?.totalUsd ?? null;
  const lb = base.find((s) => s.policy === 'lower-bound')?.totalUsd ?? null;
  const policies: PolicySummary[] = base.map((s) => ({
    ...s,
    savingsVsOnDemand: od ? round(1 - s.totalUsd / od, 4) : null,
    ratioToLowerBound: lb ? round(s.totalUsd / lb, 4) : null,
  }));
  const jobs = inputs.jobs;
  const bySource: Record<string, number> = {};
  for (const j of jobs) bySource[j.source] = (bySource[j.source] ?? 0) + 1;
  const spot = inputs.market.pools.filter((p) => p.offer.market === 'spot');
  return {
    format: REPORT_FORMAT,
    scenario: {
      name: inputs.scenario.name,
      description: inputs.scenario.description,
      start: new Date(inputs.start).toISOString(),
      arrivalsEnd: new Date(inputs.arrivalsEnd).toISOString(),
      end: new Date(inputs.end).toISOString(),
      seed: inputs.scenario.seed,
      jobs: {
        total: jobs.length,
        batch: jobs.filter((j) => (j.spec.kind ?? 'batch') === 'batch').length,
        inference: jobs.filter((j) => j.spec.kind === 'inference').length,
        withDeadline: jobs.filter((j) => j.deadlineAt !== null).length,
        bySource,
      },
      market: {
        pools: inputs.market.pools.length,
        spotPools: spot.length,
        tracedPools: inputs.traced.map((t) => ({
          name: t.name,
          pool: t.pool,
          availableShare: round(t.share, 4),
        })),
        modelledSpotPools: spot.filter((p) => p.driver === 'model').length,
        changes: inputs.market.changes.length,
      },
    },
    policies,
    costOverTime: costOverTime(ordered, inputs),
  };
}

// ---- text ----------------------------------------------------------------------------------------------------

const LABELS: Record<PolicyName, string> = {
  gpusched: 'gpusched',
  skypilot: 'SkyPilot-like',
  greedy: 'greedy spot + on-demand',
  'on-demand': 'on-demand (home region)',
  'lower-bound': 'offline lower bound',
};

function usd(x: number): string {
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function pct(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** The comparison as rows of cells (header first), for the table and the Markdown. */
export function comparisonRows(report: ReplayReport): string[][] {
  const head = [
    'policy',
    'total',
    'saved vs on-demand',
    '× lower bound',
    'deadline misses',
    'JCT mean h',
    'JCT p95 h',
    'GPU-h lost',
    'egress',
    'interruptions',
  ];
  const rows = report.policies.map((p) => [
    LABELS[p.policy],
    usd(p.totalUsd),
    pct(p.savingsVsOnDemand),
    p.ratioToLowerBound === null ? '-' : p.ratioToLowerBound.toFixed(3),
    p.policy === 'lower-bound' ? '-' : `${p.deadlineMisses} / ${p.jobsWithDeadline}`,
    p.jctHours ? p.jctHours.mean.toFixed(2) : '-',
    p.jctHours ? p.jctHours.p95.toFixed(2) : '-',
    p.gpuHoursLost.toFixed(1),
    usd(p.egressUsd),
    String(p.interruptions),
  ]);
  return [head, ...rows];
}

/** A plain-text table (for the terminal). */
export function reportTable(report: ReplayReport): string {
  const rows = comparisonRows(report);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function reportMarkdown(report: ReplayReport): string {
  const rows = comparisonRows(report);
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  const sep = `|${rows[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

// ---- HTML ----------------------------------------------------------------------------------------------------

const COLORS: Record<PolicyName, string> = {
  gpusched: '#1b7f3b',
  skypilot: '#2f6db5',
  greedy: '#c47a0a',
  'on-demand': '#b3261e',
  'lower-bound': '#6d6d6d',
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function lineChart(report: ReplayReport): string {
  const W = 760;
  const H = 320;
  const m = { l: 80, r: 20, t: 20, b: 40 };
  const series = Object.entries(report.costOverTime.usd) as [PolicyName, number[]][];
  const n = report.costOverTime.at.length;
  const max = niceMax(Math.max(1, ...series.flatMap(([, v]) => v)));
  const x = (i: number) => m.l + ((W - m.l - m.r) * (i + 1)) / n;
  const y = (v: number) => H - m.b - ((H - m.t - m.b) * v) / max;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = max * f;
      return `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${esc(usd(v).replace('.00', ''))}</text>`;
    })
    .join('');
  const ticks = report.costOverTime.at
    .map((_, i) => i)
    .filter((i) => i % Math.max(1, Math.ceil(n / 10)) === 0 || i === n - 1)
    .map((i) => `<text x="${x(i)}" y="${H - m.b + 16}" text-anchor="middle">day ${i + 1}</text>`)
    .join('');
  const lines = series
    .map(([policy, v]) => {
      const pts = [`${m.l},${y(0)}`, ...v.map((val, i) => `${x(i).toFixed(1)},${y(val).toFixed(1)}`)].join(
        ' ',
      );
      const dash = policy === 'lower-bound' ? ' stroke-dasharray="6 4"' : '';
      return `<polyline fill="none" stroke="${COLORS[policy]}" stroke-width="2"${dash} points="${pts}"><title>${esc(LABELS[policy])}</title></polyline>`;
    })
    .join('');
  const legend = series
    .map(
      ([policy], i) =>
        `<g transform="translate(${m.l + 10},${m.t + 10 + i * 16})"><rect width="12" height="3" y="-4" fill="${COLORS[policy]}"/><text x="18" y="0">${esc(LABELS[policy])}</text></g>`,
    )
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Cumulative cost per policy">${grid}${ticks}<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#999"/>${lines}${legend}</svg>`;
}

function barChart(
  report: ReplayReport,
  title: string,
  value: (p: PolicySummary) => number,
  label: (v: number) => string,
): string {
  const W = 760;
  const rowH = 30;
  const m = { l: 190, r: 110, t: 10 };
  const rows = report.policies;
  const H = m.t * 2 + rows.length * rowH;
  const max = niceMax(Math.max(1e-9, ...rows.map(value)));
  const bars = rows
    .map((p, i) => {
      const v = value(p);
      const w = ((W - m.l - m.r) * v) / max;
      const yy = m.t + i * rowH;
      return `<text x="${m.l - 8}" y="${yy + 19}" text-anchor="end">${esc(LABELS[p.policy])}</text><rect x="${m.l}" y="${yy + 6}" width="${w.toFixed(1)}" height="18" fill="${COLORS[p.policy]}"><title>${esc(label(v))}</title></rect><text x="${(m.l + w + 6).toFixed(1)}" y="${yy + 19}">${esc(label(v))}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${bars}</svg>`;
}

/** A self-contained page: the comparison, the charts, the scenario; inline CSS and SVG only. */
export function reportHtml(
  report: ReplayReport,
  extra: { replaySeconds?: Record<string, number> } = {},
): string {
  const rows = comparisonRows(report);
  const table = `<table><thead><tr>${rows[0]!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const s = report.scenario;
  const traced = s.market.tracedPools
    .map((t) => `<li>${esc(t.pool)}: spot ${(t.availableShare * 100).toFixed(0)}% of the trace</li>`)
    .join('');
  const timing = extra.replaySeconds
    ? `<p class="small">Replay wall time: ${Object.entries(extra.replaySeconds)
        .map(([k, v]) => `${esc(k)} ${v.toFixed(1)} s`)
        .join(', ')} (not part of the JSON report, which is the same for a given seed).</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gpusched replay: ${esc(s.name)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:64rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}svg text{font:12px system-ui,sans-serif;fill:#333}.small{color:#666;font-size:12px}
</style></head><body>
<h1>gpusched replay: ${esc(s.name)}</h1>
<p>${esc(s.description)}</p>
<p class="small">Jobs arrive ${esc(s.start)} → ${esc(s.arrivalsEnd)}; the replay runs to ${esc(s.end)}. Seed ${s.seed}. ${s.jobs.total} jobs (${s.jobs.batch} batch, ${s.jobs.inference} inference; ${s.jobs.withDeadline} with a deadline). Market: ${s.market.pools} pools, ${s.market.spotPools} spot (${s.market.tracedPools.length} traced, ${s.market.modelledSpotPools} modelled).</p>
<h2>Comparison</h2>
${table}
${timing}
<h2>Cost over time (cumulative, end of each day)</h2>
${lineChart(report)}
<h2>Total cost per policy</h2>
${barChart(report, 'Total cost per policy', (p) => p.totalUsd, usd)}
<h2>GPU-hours lost to interruptions</h2>
${barChart(
  report,
  'GPU-hours lost',
  (p) => p.gpuHoursLost,
  (v) => `${v.toFixed(1)} GPU-h`,
)}
<h2>Traced spot pools</h2>
<ul>${traced}</ul>
<p class="small">How the market is built from the traces, what is measured and what is modelled: docs/replay.md.</p>
</body></html>
`;
}

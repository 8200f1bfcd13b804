import { Writable } from 'node:stream';
// The report: every policy priced on the same market, the measures, and the three renderings; and the bar.
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/core/model.js';
import { poolKey } from '../../src/core/model.js';
import { MarketTimeline, type PoolTimeline } from '../../src/sim/market-model.js';
import type { JobOutcome, PolicyRun } from '../../src/sim/outcome.js';
import { type Progress, type ProgressStream, progressBar } from '../../src/sim/progress.js';
import { buildReport, reportHtml, reportMarkdown, reportTable } from '../../src/sim/report.js';
import type { ReplayInputs } from '../../src/sim/scenario.js';
import { offer } from '../helpers/builders.js';

const T0 = Date.parse('2023-02-15T00:00:00Z');
const H = 3_600_000;
const D = 24 * H;

function pool(over: Partial<Offer>): PoolTimeline {
  const o = offer({ gpu: { model: 'V100', count: 1, memoryGiB: 16 }, ...over });
  return {
    key: poolKey(o),
    offer: o,
    driver: 'on-demand',
    source: 'c',
    outages: [],
    prices: [{ at: T0, price: o.pricePerHour }],
  };
}

const spot = pool({ market: 'spot', pricePerHour: 1 });
const od = pool({ market: 'on-demand', pricePerHour: 4 });
const market = new MarketTimeline(T0, T0 + 2 * D, [spot, od]);
const inputs = {
  scenario: { name: 'tiny', description: 'two jobs', seed: 3 },
  start: T0,
  arrivalsEnd: T0 + D,
  end: T0 + 2 * D,
  market,
  jobs: [],
  tables: null,
  traced: [],
} as unknown as ReplayInputs;

const jobs = (finished: (number | null)[], lost = 0): JobOutcome[] =>
  finished.map((f, i) => ({
    id: `j${i}`,
    kind: 'batch',
    submitAt: T0,
    deadlineAt: T0 + 10 * H,
    finishedAt: f === null ? null : T0 + f * H,
    gpuHoursLost: lost,
    interruptions: lost > 0 ? 1 : 0,
  }));

const run = (
  policy: PolicyRun['policy'],
  capacity: PolicyRun['capacity'],
  j: JobOutcome[],
  egress = 0,
): PolicyRun => ({
  policy,
  capacity,
  charges: egress ? [{ at: T0 + 25 * H, usd: egress, kind: 'egress' }] : [],
  jobs: j,
  interruptions: j.reduce((s, x) => s + x.interruptions, 0),
  stats: {},
});

const report = buildReport(inputs, [
  run('lower-bound', [{ pool: spot.key, from: T0, to: T0 + 4 * H, share: 1 }], jobs([2, 2])),
  run('on-demand', [{ pool: od.key, from: T0, to: T0 + 4 * H, share: 1 }], jobs([2, 4])),
  run(
    'gpusched',
    [
      { pool: spot.key, from: T0, to: T0 + 3 * H, share: 1 },
      { pool: od.key, from: T0 + 24 * H, to: T0 + 26 * H, share: 1 },
    ],
    jobs([3, 12], 0.5),
    2,
  ),
]);

describe('the measures', () => {
  const g = report.policies.find((p) => p.policy === 'gpusched')!;

  it('price capacity at the market and add the charges', () => {
    expect(g.computeUsd).toBe(3 + 8);
    expect([g.spotUsd, g.onDemandUsd]).toEqual([3, 8]);
    expect(g.egressUsd).toBe(2);
    expect(g.totalUsd).toBe(13);
  });

  it('compare with on-demand and the lower bound', () => {
    expect(report.policies.map((p) => p.policy)).toEqual(['gpusched', 'on-demand', 'lower-bound']);
    expect(g.savingsVsOnDemand).toBeCloseTo(1 - 13 / 16, 4);
    expect(g.ratioToLowerBound).toBeCloseTo(13 / 4, 4);
  });

  it('count missed deadlines, completion times, lost work and interruptions', () => {
    expect(g.deadlineMisses).toBe(1);
    expect(g.jobsWithDeadline).toBe(2);
    expect(g.jctHours).toEqual({ mean: 7.5, p95: 11.55 });
    expect(g.gpuHoursLost).toBe(1);
    expect(g.interruptions).toBe(2);
    expect(report.policies.find((p) => p.policy === 'lower-bound')!.jctHours).toBeNull();
  });

  it('accumulate spend day by day, charges on the day they fall', () => {
    expect(report.costOverTime.at).toEqual(['2023-02-16T00:00:00.000Z', '2023-02-17T00:00:00.000Z']);
    expect(report.costOverTime.usd.gpusched).toEqual([3, 13]);
    expect(report.costOverTime.usd['on-demand']).toEqual([16, 16]);
  });
});

describe('renderings', () => {
  it('a table and Markdown with one row per policy', () => {
    const text = reportTable(report);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(/gpusched\s+\$13\.00\s+18\.8%\s+3\.250\s+1 \/ 2/);
    const md = reportMarkdown(report);
    expect(md.split('\n')[1]).toMatch(/^\|---\|---:\|/);
    expect(md).toContain('| offline lower bound | $4.00 | 75.0% | 1.000 | - |');
  });

  it('an HTML page that needs nothing from the network', () => {
    const html = reportHtml(report, { replaySeconds: { gpusched: 1.5 } });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).not.toMatch(/<script/);
    expect(html).toContain('gpusched 1.5 s');
  });
});

/** A stand-in for standard error that keeps what is written (ANSI sequences and all). */
function stream(isTTY: boolean): { out: string[]; stream: ProgressStream } {
  const out: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return { out, stream: Object.assign(w, { isTTY, columns: 80 }) };
}

describe('the progress bar', () => {
  const run = (bar: Progress) => {
    bar.update('gpusched', 0.5);
    bar.update('gpusched', 0.7);
    bar.update('greedy', 0.2);
    bar.update('greedy', 1);
    bar.finish();
  };

  it('redraws one line on a terminal and clears it at the end', () => {
    const { out, stream: s } = stream(true);
    run(progressBar(s));
    const lines = out.filter((l) => l.startsWith('['));
    expect(lines[0]).toBe('[###############---------------] 50% | gpusched | 0s');
    expect(lines.at(-1)).toBe('[##############################] 100% | greedy | 0s');
    expect(out.join('')).not.toContain('\n');
    expect(out.at(-1)).toBe('\u001b[2K');
  });

  it('writes whole lines elsewhere, one at each stage end', () => {
    const { out, stream: s } = stream(false);
    run(progressBar(s));
    expect(out.join('')).toBe(
      [
        '[###############---------------] 50% | gpusched | 0s',
        '[##############################] 100% | gpusched | 0s',
        '[##############################] 100% | greedy | 0s',
        '',
      ].join('\n'),
    );
  });
});

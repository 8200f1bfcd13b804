// Anomaly decisions (core/anomalies.ts): idle GPUs over time, repeated failures in a window, price jumps.
import { describe, expect, it } from 'vitest';
import {
  type Failure,
  failingJobs,
  type IdleStretch,
  priceJumps,
  trackIdle,
  type UtilizationSample,
} from '../../src/core/anomalies.js';

const POLICY = { utilizationPercent: 5, minutes: 30 };
const min = (m: number) => new Date(Date.UTC(2026, 10, 28, 12, m)).toISOString();
const sample = (m: number, u: number | null, over: Partial<UtilizationSample> = {}): UtilizationSample => ({
  jobId: 'job-a',
  runStartedAt: min(0),
  utilizationPercent: u,
  at: min(m),
  ...over,
});

/** Runs the samples through trackIdle one round at a time; returns each round's due job ids. */
function rounds(samples: UtilizationSample[][]): { due: string[][]; last: Map<string, IdleStretch> } {
  let stretches = new Map<string, IdleStretch>();
  const due: string[][] = [];
  for (const round of samples) {
    const r = trackIdle(stretches, round, POLICY);
    stretches = r.stretches;
    due.push(r.due.map((d) => `${d.jobId}:${Math.round(d.idleMinutes)}`));
  }
  return { due, last: stretches };
}

describe('idle GPUs', () => {
  it('a job idle for the whole window is due, with how long and its mean utilisation', () => {
    let stretches = new Map<string, IdleStretch>();
    let due: ReturnType<typeof trackIdle>['due'] = [];
    for (const [m, u] of [
      [0, 2],
      [10, 4],
      [20, 0],
      [30, 2],
    ] as const) {
      ({ stretches, due } = trackIdle(stretches, [sample(m, u)], POLICY));
    }
    expect(due).toEqual([
      { jobId: 'job-a', runStartedAt: min(0), idleMinutes: 30, meanUtilizationPercent: 2 },
    ]);
  });

  it('is not due before the window is full', () => {
    expect(rounds([[sample(0, 1)], [sample(29, 1)]]).due).toEqual([[], []]);
  });

  it('a busy sample ends the stretch; the clock starts again', () => {
    expect(
      rounds([[sample(0, 1)], [sample(20, 90)], [sample(25, 1)], [sample(50, 1)], [sample(55, 1)]]).due,
    ).toEqual([[], [], [], [], ['job-a:30']]);
  });

  it('a sample at the threshold is busy (below it is idle)', () => {
    expect(rounds([[sample(0, 5)], [sample(40, 5)]]).due).toEqual([[], []]);
  });

  it('no telemetry says nothing: the stretch ends', () => {
    expect(rounds([[sample(0, 1)], [sample(20, null)], [sample(40, 1)]]).due).toEqual([[], [], []]);
  });

  it('a new run (a requeued job started again) starts a new stretch', () => {
    const r = rounds([[sample(0, 1)], [sample(40, 1, { runStartedAt: min(35) })]]);
    expect(r.due).toEqual([[], []]);
    expect(r.last.get('job-a')?.since).toBe(min(40));
  });

  it('a job no longer sampled (finished) is forgotten', () => {
    expect(rounds([[sample(0, 1)], []]).last.size).toBe(0);
  });

  it('stays due on later rounds (the alert key makes it once per run)', () => {
    expect(rounds([[sample(0, 1)], [sample(30, 1)], [sample(31, 1)]]).due).toEqual([
      [],
      ['job-a:30'],
      ['job-a:31'],
    ]);
  });
});

describe('repeated failures', () => {
  const NOW = new Date(min(60));
  const f = (m: number, over: Partial<Failure> = {}): Failure => ({
    jobId: `job-${m}`,
    team: 'research',
    name: 'train',
    at: min(m),
    reason: `exited ${m}`,
    ...over,
  });
  const policy = { count: 3, windowMinutes: 60 };

  it('three failures of one job name in the window: due, newest first', () => {
    const found = failingJobs([f(10), f(20), f(30)], NOW, policy);
    expect(found).toHaveLength(1);
    expect(found[0]!.failures.map((x) => x.jobId)).toEqual(['job-30', 'job-20', 'job-10']);
  });

  it('failures before the window do not count', () => {
    expect(failingJobs([f(-10), f(20), f(30)], NOW, policy)).toEqual([]);
  });

  it('another team’s job of the same name is another job', () => {
    expect(failingJobs([f(10), f(20), f(30, { team: 'vision' })], NOW, policy)).toEqual([]);
  });

  it('each failing job name is its own finding', () => {
    const found = failingJobs(
      [f(1), f(2), f(3), f(4, { name: 'eval' }), f(5, { name: 'eval' }), f(6, { name: 'eval' })],
      NOW,
      policy,
    );
    expect(found.map((x) => x.name)).toEqual(['eval', 'train']);
  });
});

describe('price jumps', () => {
  const pool = (launch: number, now: number | null) => ({
    nodeId: 'node-1',
    launchPricePerHour: launch,
    pricePerHour: now,
    observedAt: now === null ? null : min(5),
  });

  it.each([
    ['50 % over the launch price is a jump at 50 %', 1, 1.5, 1],
    ['49 % is not', 1, 1.49, 0],
    ['a cheaper pool is not', 1, 0.5, 0],
    ['no price now says nothing', 1, null, 0],
    ['a node launched for free is never compared', 0, 2, 0],
  ])('%s', (_what, launch, now, count) => {
    expect(priceJumps([pool(launch, now)], 50)).toHaveLength(count);
  });

  it('says by how much', () => {
    expect(priceJumps([pool(2, 5)], 50)[0]).toMatchObject({ increasePercent: 150, pricePerHour: 5 });
  });
});

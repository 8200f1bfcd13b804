// The replay through the real daemon (startDaemon with a virtual clock), on scenarios small enough to work out
// on paper: every instant below follows from the daemon's settings (5 min boot, 5 min idle release, AWS 120 s and
// GCP 30 s notices, a checkpoint taking its 60 s grace, periodic checkpoints every 30 min).
import { describe, expect, it } from 'vitest';
import { runGpusched } from '../../src/sim/gpusched-run.js';
import { buildReport } from '../../src/sim/report.js';
import { HOUR, handInputs, MINUTE, R0, tracedPool, trainJob, v100 } from '../helpers/replay.js';

describe('replaying through the daemon', () => {
  it('rides out an AWS reclaim by checkpoint-and-migrate: nothing lost, the replacement booted meanwhile', async () => {
    const spot = v100({ market: 'spot', pricePerHour: 1 });
    const onDemand = v100({ market: 'on-demand', pricePerHour: 3 });
    // The spot pool sells for 2 h, then is dry for the rest of the day.
    const inputs = handInputs({
      catalog: [spot, onDemand],
      traced: [tracedPool(spot, [1, 1, ...Array<0>(22).fill(0)])],
      jobs: [trainJob('a', R0, 3, 'aws:us-east-1'), trainJob('b', R0 + 30 * MINUTE, 1, 'aws:us-east-1')],
      hours: 24,
    });
    const run = await runGpusched(inputs);
    expect(run.stats.daemonErrors).toBe(0);

    // a: spot node at 0 (up at 0:05), runs 1 h 56 min until the notice at 2:00 plus its 60 s checkpoint; its
    //    replacement is launched at the notice (on-demand: the spot pool is dry and blocked), up at 2:05, where a
    //    does the 64 min left: done at 3:09. Its spot node is released once emptied (2:01); the replacement 5 min
    //    after a is done (3:14).
    // b: a second spot node at 0:30 (a fills the first), up at 0:35, done at 1:35, released at 1:40.
    const [a, b] = run.jobs;
    expect(a!.finishedAt).toBe(R0 + 3 * HOUR + 9 * MINUTE);
    expect(b!.finishedAt).toBe(R0 + HOUR + 35 * MINUTE);
    expect(a!.interruptions).toBe(1);
    expect(a!.gpuHoursLost).toBeCloseTo(0, 9);
    expect(run.interruptions).toBe(1);
    const spans = run.capacity
      .map((c) => [c.pool.split('/').at(-1), (c.from - R0) / MINUTE, (c.to - R0) / MINUTE])
      .sort((x, y) => (x[1] as number) - (y[1] as number));
    expect(spans).toEqual([
      ['spot', 0, 121],
      ['spot', 30, 100],
      ['on-demand', 120, 194],
    ]);

    const g = buildReport(inputs, [run]).policies[0]!;
    // $1 × (121 + 70) min + $3 × 74 min; no egress (everything in the data's region).
    expect(g.totalUsd).toBeCloseTo((121 + 70) / 60 + (3 * 74) / 60, 3);
    expect(g.egressUsd).toBe(0);
    expect(g.jctHours?.mean).toBeCloseTo((189 + 65) / 2 / 60, 3);
  });

  it('loses the work since the last periodic checkpoint when the notice is too short to checkpoint', async () => {
    const spot = v100({
      cloud: 'gcp',
      region: 'us-central1',
      zone: 'us-central1-a',
      instanceType: 'n1-standard-8+1xV100',
      market: 'spot',
      pricePerHour: 1,
    });
    const onDemand = { ...spot, market: 'on-demand' as const, pricePerHour: 3 };
    // Dry from 1:50 (eleven ten-minute ticks) for the rest of the day.
    const traced = tracedPool(spot, [1, 0, ...Array<0>(22).fill(0)]);
    traced.trace.data.splice(0, 12, ...Array<number>(11).fill(1), 0);
    const inputs = handInputs({
      catalog: [spot, onDemand],
      traced: [traced],
      jobs: [trainJob('a', R0, 3, 'gcp:us-central1')],
      hours: 24,
    });
    const run = await runGpusched(inputs);
    expect(run.stats.daemonErrors).toBe(0);
    // Up at 0:05; periodic checkpoints at 0:35, 1:05, 1:35. Notice at 1:50, gone at 1:50:30 (GCP's 30 s), before
    // the checkpoint it asked for could be written (60 s): 15.5 min lost, 90 min saved. The replacement, launched
    // at the notice, is up at 1:55; the 90 min left end at 3:25; it is released at 3:30.
    const a = run.jobs[0]!;
    expect(a.gpuHoursLost).toBeCloseTo(15.5 / 60, 6);
    expect(a.interruptions).toBe(1);
    expect(a.finishedAt).toBe(R0 + 3 * HOUR + 25 * MINUTE);
    const g = buildReport(inputs, [run]).policies[0]!;
    expect(g.totalUsd).toBeCloseTo(110.5 / 60 + (3 * 100) / 60, 3);
  });
});

// A replay is the same for a given seed: two runs of every policy give the same JSON report, byte for byte —
// on a scenario by hand with modelled pools, and on the first hours of a bundled scenario.
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/sim/replay.js';
import { loadInputs, readScenario } from '../../src/sim/scenario.js';
import { HOUR, handInputs, MINUTE, R0, tracedPool, trainJob, v100 } from '../helpers/replay.js';

const profile = { name: 'hand', up: [1800, 3600, 7200], down: [600, 1200], availableShare: 0.7 };

function inputs(seed: number) {
  const traced = v100({ market: 'spot', pricePerHour: 1 });
  const modelled = v100({ zone: 'us-east-1b', market: 'spot', pricePerHour: 0.9 });
  const west = v100({ region: 'us-west-2', zone: 'us-west-2a', market: 'spot', pricePerHour: 0.8 });
  return handInputs({
    catalog: [traced, modelled, west, v100({ market: 'on-demand', pricePerHour: 3 })],
    traced: [tracedPool(traced, [1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1])],
    profiles: [profile],
    jobs: [
      trainJob('a', R0, 3, 'aws:us-east-1'),
      trainJob('b', R0, 2, 'aws:us-east-1'),
      trainJob('c', R0 + 20 * MINUTE, 4, 'aws:us-east-1'),
      { ...trainJob('d', R0 + HOUR, 1.5, 'aws:us-east-1'), deadlineAt: R0 + 4 * HOUR },
    ],
    hours: 12,
    seed,
  });
}

describe('determinism', () => {
  it('gives the same report twice for a seed, and another for another seed', async () => {
    const one = JSON.stringify((await replay(inputs(7))).report);
    const two = JSON.stringify((await replay(inputs(7))).report);
    expect(two).toBe(one);
    const other = JSON.stringify((await replay(inputs(8))).report);
    expect(other).not.toBe(one);
  });

  it('gives the same report twice on the first hour of the bundled week of preemptions', {
    timeout: 120_000,
  }, async () => {
    const { scenario, dir } = readScenario('week-preemption');
    // Half an hour of arrivals, two hours to run: real traces, modelled pools, the GCP history.
    const load = () => loadInputs({ ...scenario, days: 1 / 48, drainDays: 1 / 12 }, dir);
    const a = await replay(load());
    const b = await replay(load());
    expect(a.report.scenario.jobs.total).toBeGreaterThan(5);
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    expect(a.report.policies.find((p) => p.policy === 'gpusched')?.stats.daemonErrors).toBe(0);
  });
});

// The bundled scenarios: valid, built from the project's own copies of the traces, and what they say they are.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_SCENARIOS,
  bundledScenarioPath,
  loadInputs,
  parseGcpHistory,
  parseScenario,
  readScenario,
} from '../../src/sim/scenario.js';

describe('bundled scenarios', () => {
  it.each(BUNDLED_SCENARIOS)('%s is valid and reads only the project’s data', (name) => {
    const text = readFileSync(bundledScenarioPath(name), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared|\/work\//);
    const { scenario } = readScenario(name);
    expect(scenario.name).toBe(name);
    for (const t of scenario.market.traces) expect(t.startsWith('traces/')).toBe(true);
  });

  it('month-v100: 30 days of nine traced V100 pools, thousands of jobs with deadlines and shared GPUs', () => {
    const { scenario, dir } = readScenario('month-v100');
    const inputs = loadInputs(scenario, dir);
    expect(inputs.end - inputs.start).toBe(37 * 86_400_000);
    expect(inputs.traced).toHaveLength(9);
    expect(inputs.traced.every((t) => t.pool.endsWith('/p3.2xlarge/spot'))).toBe(true);
    const traced = inputs.market.pools.filter((p) => p.driver === 'trace');
    expect(traced.map((p) => p.offer.zone).sort()).toEqual([
      'us-east-1a',
      'us-east-1c',
      'us-east-1d',
      'us-east-1f',
      'us-east-2a',
      'us-east-2b',
      'us-west-2a',
      'us-west-2b',
      'us-west-2c',
    ]);
    expect(inputs.market.pools.every((p) => p.offer.gpu.model === 'V100')).toBe(true);
    expect(inputs.jobs.length).toBeGreaterThan(4000);
    expect(inputs.jobs.filter((j) => j.deadlineAt !== null).length).toBeGreaterThan(1900);
    expect(inputs.jobs.some((j) => j.spec.resources.gpu.fraction !== undefined)).toBe(true);
    expect(inputs.jobs.every((j) => j.submitAt >= inputs.start && j.submitAt < inputs.arrivalsEnd)).toBe(
      true,
    );
    // Every arrival at its own millisecond.
    expect(new Set(inputs.jobs.map((j) => j.submitAt)).size).toBe(inputs.jobs.length);
    // The GCP history moves GCP prices during the month.
    const gcpSpot = inputs.market.pools.filter((p) => p.offer.cloud === 'gcp' && p.offer.market === 'spot');
    expect(gcpSpot.some((p) => p.prices.length > 1)).toBe(true);
  });

  it('refuses a scenario with an unknown key or GPU, saying where', () => {
    const { scenario } = readScenario('week-preemption');
    expect(() => parseScenario({ ...scenario, extra: 1 }, 's.json')).toThrow(/s\.json/);
    expect(() =>
      parseScenario({ ...scenario, market: { ...scenario.market, gpuModels: ['V1000'] } }, 's.json'),
    ).toThrow(/unknown GPU model V1000/);
  });
});

describe('the GCP price history', () => {
  it('reads per zone and GPU count, spot and on-demand apart, in time order', () => {
    const h = parseGcpHistory(
      'accelerator,count,zone,effective_from,on_demand,spot\nV100,1,z,2026-04-13T00:00:00Z,2.48,1.14\nV100,1,z,2026-04-02T00:00:00Z,2.48,1.08\n',
    );
    expect(h.get('V100|1|z')?.spot.map((p) => p.price)).toEqual([1.08, 1.14]);
    expect(() =>
      parseGcpHistory('accelerator,count,zone,effective_from,on_demand,spot\nV100,1,z,never,1,1\n'),
    ).toThrow(/row 2/);
  });
});

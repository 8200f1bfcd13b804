// GET /v1/jobs/:id/explain and `gpusched explain`: the best placement now with its cost breakdown, the
// next alternatives, and the rejected pools grouped by reason; the same choice the scheduler makes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explanationText } from '../../src/cli/explain-format.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
let token: string;
let id: string;
const job = {
  name: 'explained',
  image: 'i',
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 2 },
  constraints: { clouds: ['gcp', 'azure'] },
};

beforeAll(async () => {
  d = await testDaemon();
  token = await d.teamToken('research');
  id = (await d.call('POST', '/v1/jobs', token, job)).body.id;
});
afterAll(async () => d.stop());

describe('explain', () => {
  it('names the best placement with its cost, then cheaper-first alternatives', async () => {
    const e = (await d.call('GET', `/v1/jobs/${id}/explain`, token)).body;
    expect(e.best.where.cloud).toMatch(/^(gcp|azure)$/);
    // The expected cost is compute at the T4's speed plus data movement plus interruption overhead.
    const b = e.best.breakdown;
    expect(e.best.costUsd).toBeCloseTo(b.computeUsd + b.egressUsd + b.interruptionUsd, 9);
    expect(b.runtimeHours).toBe(2);
    expect(b.computeUsd).toBeCloseTo(e.best.where.pricePerHour * 2, 9);
    if (e.best.where.market === 'spot') expect(b.interruptionUsd).toBeGreaterThan(0);
    const costs = [e.best.costUsd, ...e.alternatives.map((a: { costUsd: number }) => a.costUsd)];
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    expect(e.alternatives).toHaveLength(5);
  });

  it('groups the rejected pools by reason, largest first, with examples', async () => {
    const e = (await d.call('GET', `/v1/jobs/${id}/explain`, token)).body;
    const reasons = e.rejected.map((r: { reason: string }) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(['GPU_MODEL', 'CLOUD_EXCLUDED']));
    const cloud = e.rejected.find((r: { reason: string }) => r.reason === 'CLOUD_EXCLUDED');
    expect(cloud.examples[0]).toMatch(/^aws\//);
    const counts = e.rejected.map((r: { count: number }) => r.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('agrees with the scheduler: the job lands where explain said', async () => {
    const before = (await d.call('GET', `/v1/jobs/${id}/explain`, token)).body.best.where;
    await d.advance(0);
    const after = (await d.call('GET', `/v1/jobs/${id}/explain`, token)).body;
    expect(after.placement).toMatchObject({
      cloud: before.cloud,
      region: before.region,
      instanceType: before.instanceType,
    });
  });

  it('is a 404 for another team', async () => {
    const other = await d.teamToken('vision');
    expect((await d.call('GET', `/v1/jobs/${id}/explain`, other)).status).toBe(404);
  });

  it('reads as text for the CLI', async () => {
    const e = (await d.call('GET', `/v1/jobs/${id}/explain`, ADMIN)).body;
    const text = explanationText(e);
    expect(text).toMatch(/^job job-\w+: provisioning/);
    expect(text).toMatch(/best now {4}(gcp|azure) /);
    expect(text).toMatch(/rejected pools\nREASON +POOLS +WHY/);
    expect(text).toMatch(/CLOUD_EXCLUDED +\d+ +cloud not in constraints.clouds/);
  });
});

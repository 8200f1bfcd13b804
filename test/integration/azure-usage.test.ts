// Actual spend per node from usage details, through the real arm-consumption client against the ARM fake.
import { afterEach, describe, expect, it } from 'vitest';
import { createAzureCloud } from '../../src/clouds/azure/index.js';
import { isCloudError } from '../../src/clouds/errors.js';
import { type AzureFakes, startAzureFakes } from '../fakes/azure/index.js';

let fakes: AzureFakes | undefined;
afterEach(async () => {
  await fakes?.close();
  fakes = undefined;
});

const ours = (node: string) => ({ 'gpusched-node': node, 'gpusched-cluster': 'test-cluster' });
const from = new Date('2026-11-01T00:00:00Z');
const to = new Date('2026-12-01T00:00:00Z');

async function setup() {
  fakes = await startAzureFakes({ armPageSize: 2 });
  const cloud = await createAzureCloud(fakes.options());
  return { az: fakes, cloud };
}

describe('Azure spend by node from usage details', () => {
  it('sums every page of the period by the gpusched-node tag, for our cluster only', async () => {
    const { az, cloud } = await setup();
    az.arm.addUsage({ date: '2026-11-01', cost: 10.5, tags: ours('n1') });
    az.arm.addUsage({ date: '2026-11-02', cost: 4.25, tags: ours('n1') });
    az.arm.addUsage({ date: '2026-11-30', cost: 7, tags: ours('n2'), kind: 'modern' });
    az.arm.addUsage({ date: '2026-11-15', cost: 2, tags: { 'gpusched-cluster': 'test-cluster' } }); // our cluster, no node
    az.arm.addUsage({
      date: '2026-11-15',
      cost: 99,
      tags: { 'gpusched-node': 'x', 'gpusched-cluster': 'other' },
    });
    az.arm.addUsage({ date: '2026-10-31', cost: 50, tags: ours('n1') }); // before the period
    az.arm.addUsage({ date: '2026-12-01', cost: 50, tags: ours('n1') }); // after it
    const spend = await cloud.spendByNode(from, to);
    expect(spend).toEqual({
      currency: 'USD',
      byNode: { n1: 14.75, n2: 7 },
      total: 21.75,
      rows: 4,
      untaggedRows: 1,
    });
    const calls = az.arm.requests.filter((r) => r.path.endsWith('/usageDetails'));
    expect(calls.length).toBe(2); // two pages of two
    expect(calls[0]?.path).toBe(
      `/subscriptions/${az.arm.subscriptionId}/providers/Microsoft.Consumption/usageDetails`,
    );
    expect(decodeURIComponent(calls[0]?.query ?? '')).toContain(
      "properties/usageStart ge '2026-11-01' and properties/usageEnd le '2026-11-30' and tags eq 'gpusched-cluster:test-cluster'",
    );
  });

  it('is empty for a period without usage', async () => {
    const { cloud } = await setup();
    expect(await cloud.spendByNode(from, to)).toEqual({
      currency: 'USD',
      byNode: {},
      total: 0,
      rows: 0,
      untaggedRows: 0,
    });
  });

  it('refuses to add up rows in different currencies', async () => {
    const { az, cloud } = await setup();
    az.arm.addUsage({ date: '2026-11-01', cost: 1, tags: ours('n1') });
    az.arm.addUsage({ date: '2026-11-02', cost: 1, currency: 'EUR', tags: ours('n1') });
    await expect(cloud.spendByNode(from, to)).rejects.toThrow(/mix currencies \(USD, EUR\)/);
  });

  it('retries a throttled page, and fails without a partial sum when a page keeps failing', async () => {
    const { az, cloud } = await setup();
    for (let d = 1; d <= 5; d++) az.arm.addUsage({ date: `2026-11-0${d}`, cost: 1, tags: ours('n1') });
    az.arm.faults.throttle(1, { match: 'usageDetails' });
    expect((await cloud.spendByNode(from, to)).total).toBe(5);
    az.arm.faults.fail(10, { status: 500, match: 'usageDetails' });
    const e = await cloud.spendByNode(from, to).catch((err: unknown) => err);
    expect(isCloudError(e, 'Transient')).toBe(true);
    expect((e as Error).message).toMatch(/reading usage details failed/);
  });

  it('rejects an empty period', async () => {
    const { cloud } = await setup();
    await expect(cloud.spendByNode(to, from)).rejects.toThrow(/must end after it starts/);
  });
});

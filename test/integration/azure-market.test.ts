// The Azure market through the real SDK (arm-compute) and fetch, against the wire-level fakes.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAzureCloud } from '../../src/clouds/azure/index.js';
import type { AzureCloudOptions } from '../../src/clouds/azure/options.js';
import { isCloudError } from '../../src/clouds/errors.js';
import type { Offer } from '../../src/core/model.js';
import {
  ArmFake,
  type AzureFakes,
  defaultCatalog,
  fakeCredential,
  RetailPricesFake,
  startAzureFakes,
} from '../fakes/azure/index.js';

const T = new Date('2026-11-28T12:00:00Z');
let fakes: AzureFakes | undefined;

afterEach(async () => {
  await fakes?.close();
  fakes = undefined;
});

async function setup(
  opts: Parameters<typeof startAzureFakes>[0] = {},
  over: Partial<AzureCloudOptions> = {},
) {
  fakes = await startAzureFakes(opts);
  const cloud = await createAzureCloud(fakes.options(over));
  return { az: fakes, cloud };
}

const find = (offers: Offer[], region: string, type: string, market: Offer['market']) =>
  offers.filter((o) => o.region === region && o.instanceType === type && o.market === market);

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the promise to reject');
  return e;
}

describe('a full Azure poll', () => {
  it('joins GPU sizes, zones and Linux prices of three regions into offers', async () => {
    const { cloud } = await setup();
    const offers = await cloud.market.poll(T);
    // 54 in eastus, 31 in westus2, 24 in westeurope: see test/fakes/azure/data.ts.
    expect(offers).toHaveLength(109);
    const t4spot = find(offers, 'eastus', 'Standard_NC4as_T4_v3', 'spot');
    expect(t4spot.map((o) => o.zone)).toEqual(['eastus-1', 'eastus-2', 'eastus-3']);
    expect(t4spot[0]).toEqual({
      cloud: 'azure',
      region: 'eastus',
      zone: 'eastus-1',
      instanceType: 'Standard_NC4as_T4_v3',
      gpu: { model: 'T4', count: 1, memoryGiB: 16 },
      vcpus: 4,
      memoryGiB: 28,
      market: 'spot',
      pricePerHour: 0.204246,
      observedAt: T.toISOString(),
      availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
      source: 'live',
    });
    expect(find(offers, 'eastus', 'Standard_NC4as_T4_v3', 'on-demand')[0]?.pricePerHour).toBe(0.526);
    const keys = offers.map((o) => `${o.region}/${o.zone}/${o.instanceType}/${o.market}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('applies restrictions, zones, fractional sizes and missing spot prices', async () => {
    const { cloud } = await setup();
    const offers = await cloud.market.poll(T);
    const h100 = find(offers, 'eastus', 'Standard_NC40ads_H100_v5', 'spot');
    expect(h100.map((o) => o.zone)).toEqual(['eastus-1', 'eastus-2']); // zone 3 withheld
    expect(h100[0]?.gpu).toEqual({ model: 'H100', count: 1, memoryGiB: 94 });
    expect(find(offers, 'westeurope', 'Standard_ND96isr_H100_v5', 'on-demand')).toEqual([]); // location withheld
    expect(find(offers, 'westus2', 'Standard_ND40rs_v2', 'on-demand')).toEqual([]); // QuotaId
    expect(find(offers, 'westus2', 'Standard_ND96isr_H200_v5', 'on-demand').map((o) => o.zone)).toEqual([
      null,
    ]);
    expect(find(offers, 'westus2', 'Standard_ND96isr_H200_v5', 'spot')).toEqual([]);
    expect(find(offers, 'eastus', 'Standard_NV12s_v3', 'spot').map((o) => o.zone)).toEqual([null]);
    expect(offers.some((o) => o.instanceType === 'Standard_NV6ads_A10_v5')).toBe(false);
    expect(find(offers, 'eastus', 'Standard_NV36ads_A10_v5', 'spot')[0]?.gpu).toEqual({
      model: 'A10',
      count: 1,
      memoryGiB: 24,
    });
    expect(offers.some((o) => ['Standard_NP10s', 'Standard_D4s_v5'].includes(o.instanceType))).toBe(false);
    expect(cloud.market.lastReport).toMatchObject({
      offers: 109,
      skus: { 'fractional-gpu': 1, 'restricted-location': 2, restrictedZones: 1, 'unknown-gpu-family': 0 },
      offersSkipped: { 'no-price': 1 },
    });
  });

  it('reads every page of both APIs', async () => {
    const { az, cloud } = await setup({ armPageSize: 3, retailPageSize: 7 });
    expect(await cloud.market.poll(T)).toHaveLength(109);
    // Follow-up pages: SKUs 14/8/6 a region at 3 a page; prices 78/40/30 a region at 7 a page.
    expect(az.arm.requests.filter((r) => r.query.includes('skiptoken')).length).toBe(4 + 2 + 1);
    expect(az.retail.requests.filter((r) => r.includes('%24skip=')).length).toBe(11 + 5 + 4);
  });

  it('reuses SKUs for availabilityRefreshMinutes and prices for priceRefreshHours', async () => {
    const { az, cloud } = await setup({}, { availabilityRefreshMinutes: 10, priceRefreshHours: 24 });
    await cloud.market.poll(T);
    const arm0 = az.arm.requests.length;
    const retail0 = az.retail.requests.length;
    await cloud.market.poll(new Date(T.getTime() + 5 * 60_000));
    expect([az.arm.requests.length, az.retail.requests.length]).toEqual([arm0, retail0]);
    await cloud.market.poll(new Date(T.getTime() + 11 * 60_000));
    expect(az.arm.requests.length).toBeGreaterThan(arm0);
    expect(az.retail.requests.length).toBe(retail0);
    expect(cloud.market.lastReport?.fetched.prices).toEqual([]);
    await cloud.market.poll(new Date(T.getTime() + 25 * 3_600_000));
    expect(az.retail.requests.length).toBeGreaterThan(retail0);
  });
});

describe('Azure poll failures', () => {
  it('retries a 429 with Retry-After on ARM and succeeds', async () => {
    const { az, cloud } = await setup();
    az.arm.faults.throttle(2, { match: '/skus' });
    expect(await cloud.market.poll(T)).toHaveLength(109);
  });

  it('honours the Retry-After of a throttled Retail Prices page', async () => {
    const { az, cloud } = await setup();
    az.retail.faults.throttle(1, { retryAfterSeconds: 1 });
    const t0 = Date.now();
    expect(await cloud.market.poll(T)).toHaveLength(109);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it.each([
    ['ARM', (az: AzureFakes) => az.arm.faults.throttle(10, { match: '/skus' })],
    ['Retail Prices', (az: AzureFakes) => az.retail.faults.throttle(10)],
  ])('fails the poll as Throttled when %s keeps throttling', async (_name, inject) => {
    const { az, cloud } = await setup();
    inject(az);
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e, 'Throttled')).toBe(true);
  });

  it('fails the whole poll when one region fails, and recovers on the next poll', async () => {
    const { az, cloud } = await setup({}, { concurrency: 1 });
    az.retail.faults.fail(10, { status: 503, match: 'GET /api/retail/prices' });
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e, 'Transient')).toBe(true);
    expect(e.message).toMatch(/Retail Prices request failed \[HTTP 503\]/);
    az.retail.faults.clear();
    expect(await cloud.market.poll(T)).toHaveLength(109);
  });

  it('fails on a 500 from Resource SKUs after retries', async () => {
    const { az, cloud } = await setup();
    az.arm.faults.fail(10, { match: '/skus' });
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e, 'Transient')).toBe(true);
    expect(e.message).toMatch(/resource SKUs of \w+ failed \[InternalServerError, HTTP 500\]/);
  });

  it('reports an ARM answer that is not JSON as a clear error', async () => {
    const { az, cloud } = await setup({}, { retry: { maxRetries: 0 } });
    az.arm.faults.malformed(1, { match: '/skus' });
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e)).toBe(true);
    expect(e.message).toMatch(
      /azure: resource SKUs of \w+ failed \[PARSE_ERROR, HTTP 200\]: malformed answer \(not JSON\)/,
    );
  });

  it('reports ARM JSON of the wrong shape as a clear error', async () => {
    const { az, cloud } = await setup();
    az.arm.faults.wrongShape(1, { match: '/skus' });
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e, 'Transient')).toBe(true);
    expect(e.message).toMatch(/resource SKUs of \w+ failed: malformed answer \(unexpected shape\)/);
  });

  it.each([
    [
      'not JSON',
      (az: AzureFakes) => az.retail.faults.malformed(1),
      /malformed Retail Prices answer: invalid JSON/,
    ],
    [
      'JSON without Items',
      (az: AzureFakes) => az.retail.faults.wrongShape(1),
      /malformed Retail Prices answer: no Items array/,
    ],
  ])('reports a Retail Prices answer that is %s as a clear error', async (_name, inject, message) => {
    const { az, cloud } = await setup();
    inject(az);
    const e = await failure(cloud.market.poll(T));
    expect(e.message).toMatch(message);
  });

  it('times out a Retail Prices answer that is too slow', async () => {
    const { az, cloud } = await setup({}, { requestTimeoutMs: 100 });
    az.retail.faults.slow(600, 50);
    const e = await failure(cloud.market.poll(T));
    expect(isCloudError(e, 'Transient')).toBe(true);
    expect(e.message).toMatch(/TimeoutError|timeout/i);
  });

  it('classifies an ARM authentication failure as AuthFailed', async () => {
    const { az, cloud } = await setup();
    az.arm.faults.fail(1, { status: 401, code: 'InvalidAuthenticationToken', match: '/skus' });
    expect(isCloudError(await failure(cloud.market.poll(T)), 'AuthFailed')).toBe(true);
  });
});

describe('the real ResourceSkus example served to the real SDK', () => {
  it('parses, and a GPU size in its exact shape becomes offers', async () => {
    const fixture = JSON.parse(
      readFileSync(
        new URL('../fixtures/azure/compute.resourceSkus.list.example.json', import.meta.url),
        'utf8',
      ),
    ) as { responses: { 200: { body: { value: Record<string, unknown>[] } } } };
    const value = fixture.responses[200].body.value;
    const a1 = value[1]!;
    const gpuSku = {
      ...a1,
      name: 'Standard_NC4as_T4_v3',
      capabilities: [...(a1.capabilities as unknown[]), { name: 'GPUs', value: '1' }],
    };
    // ARM serves the fixture (westus) and nothing else; Retail Prices knows westus prices for the T4 size.
    const retailCatalog = new Map([['westus', { ...defaultCatalog().get('eastus')!, name: 'westus' }]]);
    const arm = await ArmFake.start({ catalog: new Map(), extraSkus: [...value, gpuSku] });
    const retail = await RetailPricesFake.start({ catalog: retailCatalog });
    try {
      const cloud = await createAzureCloud({
        subscriptionId: arm.subscriptionId,
        resourceGroup: 'rg',
        regions: ['westus'],
        endpoint: arm.url,
        tlsCa: arm.ca,
        retailPricesUrl: retail.url,
        credential: fakeCredential,
        launch: { imageReference: { id: '/img' }, subnetId: '/subnet' },
        clusterTag: 'c',
      });
      const offers = await cloud.market.poll(T);
      expect(offers.map((o) => `${o.zone} ${o.market} ${o.vcpus} ${o.memoryGiB}`).sort()).toEqual([
        'westus-1 on-demand 1 1.75',
        'westus-1 spot 1 1.75',
        'westus-2 on-demand 1 1.75',
        'westus-2 spot 1 1.75',
        'westus-3 on-demand 1 1.75',
        'westus-3 spot 1 1.75',
      ]);
    } finally {
      await Promise.all([arm.close(), retail.close()]);
    }
  });
});

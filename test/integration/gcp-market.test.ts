// The GCP market source with the real SDKs (@google-cloud/compute, @google-cloud/billing over REST)
// against the wire-level fake: a full poll, pagination, caching, throttling, failures and malformed
// answers, the API key path, and the real fixture bodies served to the SDKs.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isCloudError } from '../../src/clouds/errors.js';
import { createGcpCloud, type GcpCloudOptions } from '../../src/clouds/gcp/index.js';
import type { Offer } from '../../src/core/model.js';
import { fakeAuthClient } from '../fakes/gcp/auth.js';
import { makeSku } from '../fakes/gcp/catalog.js';
import { type GcpFake, type GcpFakeOptions, startGcpFake } from '../fakes/gcp/server.js';

const T0 = new Date('2026-11-28T12:00:00Z');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/gcp/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

let fake: GcpFake | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function setup(fakeOpts: GcpFakeOptions = {}, over: Partial<GcpCloudOptions> = {}) {
  fake = await startGcpFake(fakeOpts);
  const cloud = await createGcpCloud({
    project: fake.project,
    regions: [],
    apiEndpoint: fake.url,
    authClient: fakeAuthClient(),
    launch: { image: 'projects/debian-cloud/global/images/family/debian-12' },
    clusterLabel: 'test',
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    requestTimeoutMs: 3000,
    ...over,
  });
  return { fake, market: cloud.market };
}

const find = (offers: Offer[], zone: string, type: string, market: Offer['market']) =>
  offers.find((o) => o.zone === zone && o.instanceType === type && o.market === market);
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe('GCP market against the fake', () => {
  it('assembles one offer per zone, shape and market from SKUs and zone availability', async () => {
    const { market } = await setup();
    const offers = await market.poll(T0);
    const t4 = find(offers, 'us-central1-a', 'n1-standard-8+1xT4', 'on-demand');
    // 8 vCPU × $0.031611 + 30 GiB × $0.004237 + 1 T4 × $0.35
    expect(t4).toMatchObject({
      cloud: 'gcp',
      region: 'us-central1',
      gpu: { model: 'T4', count: 1, memoryGiB: 16 },
      vcpus: 8,
      memoryGiB: 30,
      pricePerHour: 0.729998,
      source: 'live',
      observedAt: T0.toISOString(),
    });
    expect(find(offers, 'us-central1-a', 'n1-standard-8+1xT4', 'spot')?.pricePerHour).toBe(0.19404);
    // a2-highgpu-1g: 12 × 0.031611 + 85 × 0.004237 + 2.933908 (Cyclenerd publishes 3.673385)
    expect(find(offers, 'us-central1-b', 'a2-highgpu-1g', 'on-demand')?.pricePerHour).toBe(3.673385);
    expect(find(offers, 'us-central1-a', 'g2-standard-4', 'on-demand')).toMatchObject({
      gpu: { model: 'L4', count: 1, memoryGiB: 24 },
      pricePerHour: 0.706832,
    });
    expect(find(offers, 'europe-west4-b', 'a3-megagpu-8g', 'on-demand')?.gpu).toEqual({
      model: 'H100',
      count: 8,
      memoryGiB: 80,
    });
    // No spot SKU for the H100 Mega here: the spot offer is absent, not guessed.
    expect(find(offers, 'europe-west4-b', 'a3-megagpu-8g', 'spot')).toBeUndefined();
    // K80 has no SKU (retired); -vws types are licensed workstations; plain machine types have no GPU.
    expect(offers.some((o) => o.instanceType.includes('K80'))).toBe(false);
    expect(offers.some((o) => o.instanceType.startsWith('e2-') || o.instanceType.startsWith('n2-'))).toBe(
      false,
    );
    // The contradictory T4 SKU ($0.01, words say spot, usageType OnDemand) was not read.
    expect(offers.every((o) => o.pricePerHour > 0.05)).toBe(true);
    const pools = new Set(offers.map((o) => `${o.zone}/${o.instanceType}/${o.market}`));
    expect(pools.size).toBe(offers.length);
    expect(new Set(offers.map((o) => o.region))).toEqual(
      new Set(['us-central1', 'europe-west4', 'asia-southeast1']),
    );
    expect(market.lastStats?.offers.unpriced).toBeGreaterThan(0);
  });

  it('keeps only the configured regions', async () => {
    const { market } = await setup({}, { regions: ['europe-west4'] });
    const offers = await market.poll(T0);
    expect(offers.length).toBeGreaterThan(0);
    expect(new Set(offers.map((o) => o.region))).toEqual(new Set(['europe-west4']));
  });

  it('follows nextPageToken through billing and aggregated-list pages', async () => {
    const { market: unpaged } = await setup();
    const all = await unpaged.poll(T0);
    await fake?.close();
    const { fake: f, market } = await setup({ skuPageSize: 7, computePageSize: 5 });
    const paged = await market.poll(T0);
    expect(paged).toHaveLength(all.length);
    const skuPages = f.requests.filter((r) => r.path.endsWith('/skus'));
    expect(skuPages.length).toBe(Math.ceil(f.catalog.length / 7));
    expect(skuPages.slice(1).every((r) => r.query.get('pageToken'))).toBe(true);
    expect(f.requests.filter((r) => r.path.endsWith('/aggregated/acceleratorTypes')).length).toBeGreaterThan(
      5,
    );
  });

  it('reuses the catalog for priceRefreshHours and zone availability for availabilityRefreshMinutes', async () => {
    const { fake: f, market } = await setup({}, { priceRefreshHours: 24, availabilityRefreshMinutes: 10 });
    const count = (suffix: string) => f.requests.filter((r) => r.path.endsWith(suffix)).length;
    await market.poll(T0);
    await market.poll(new Date(T0.getTime() + 5 * 60_000));
    expect([count('/skus'), count('/acceleratorTypes')]).toEqual([1, 1]);
    await market.poll(new Date(T0.getTime() + 11 * 60_000));
    expect([count('/skus'), count('/acceleratorTypes'), count('/machineTypes')]).toEqual([1, 2, 2]);
    const later = await market.poll(new Date(T0.getTime() + 25 * 3_600_000));
    expect(count('/skus')).toBe(2);
    expect(later[0]?.observedAt).toBe(new Date(T0.getTime() + 25 * 3_600_000).toISOString());
  });

  it('retries a 429 and succeeds', async () => {
    const { fake: f, market } = await setup();
    f.faults.throttle(2, '/skus');
    expect((await market.poll(T0)).length).toBeGreaterThan(100);
  });

  it('surfaces persistent throttling as Throttled', async () => {
    const { fake: f, market } = await setup();
    f.faults.throttle(10, '/aggregated/machineTypes');
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err, 'Throttled')).toBe(true);
    expect((err as Error).message).toContain('machineTypes.aggregatedList');
  });

  it('throws rather than answer a partial list, and recovers on the next poll', async () => {
    const { fake: f, market } = await setup({ skuPageSize: 50 });
    f.faults.serverError(10, /\/skus$/);
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toMatch(/cloudbilling services\.skus\.list.*HTTP 503/);
    f.faults.clear();
    expect((await market.poll(T0)).length).toBeGreaterThan(100);
  });

  it('fails a page in the middle of the catalog as a whole', async () => {
    const { fake: f, market } = await setup({ skuPageSize: 20 });
    // The third page keeps failing: pages one and two must not become a catalog.
    let served = 0;
    const original = f.faults.take.bind(f.faults);
    f.faults.take = (line) => (line.endsWith('/skus') && ++served >= 3 ? { kind: 'reset' } : original(line));
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err, 'Transient')).toBe(true);
  });

  it('reports malformed JSON as a clear error naming the API', async () => {
    const { fake: f, market } = await setup();
    f.faults.malformed(10, '/aggregated/acceleratorTypes');
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toMatch(/GCP compute acceleratorTypes\.aggregatedList: malformed answer/);
  });

  it('treats an UNREACHABLE zone scope as a failed poll, not as a zone without GPUs', async () => {
    const { fake: f, market } = await setup();
    f.unreachable.add('zones/us-central1-c');
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err)).toBe(true);
    expect((err as Error).message).toContain('UNREACHABLE');
  });

  it('gives up on a slow answer after requestTimeoutMs', async () => {
    const { fake: f, market } = await setup({}, { requestTimeoutMs: 200, retry: { attempts: 1 } });
    f.faults.slow(1500, 1, '/skus');
    const err = await rejection(market.poll(T0));
    expect(isCloudError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toContain('no answer within 200 ms');
  });

  it('reads the billing catalog with an API key instead of credentials', async () => {
    const { fake: f, market } = await setup({ apiKey: 'k-123' }, { apiKey: 'k-123' });
    await market.poll(T0);
    const billing = f.requests.filter((r) => r.path.endsWith('/skus'));
    expect(billing[0]?.headers['x-goog-api-key']).toBe('k-123');
    expect(billing[0]?.headers.authorization).toBeUndefined();
    const compute = f.requests.find((r) => r.path.includes('/aggregated/'));
    expect(compute?.headers.authorization).toBe('Bearer fake-token');
  });

  it('turns the real fixture bodies, served to the SDKs, into the right offers', async () => {
    const { fake: f, market } = await setup({}, { regions: ['us-central1'] });
    const page1 = fixture('cloudbilling.services.skus.list.gpu-a100-page.json');
    // The fixture's page points to a next page; serve one with the N1 and N1-GPU SKUs it would hold.
    const americas = ['us-central1', 'us-east1', 'us-west1'];
    const od = (description: string, group: string, usd: number, unit: 'h' | 'GiBy.h' = 'h') =>
      makeSku({ description, group, usageType: 'OnDemand', regions: americas, usd, unit });
    const page2 = {
      skus: [
        od('N1 Predefined Instance Core running in Americas', 'N1Standard', 0.031611),
        od('N1 Predefined Instance Ram running in Americas', 'N1Standard', 0.004237, 'GiBy.h'),
        od('Nvidia Tesla V100 GPU running in Americas', 'GPU', 2.48),
        od('Nvidia Tesla P4 GPU running in Americas', 'GPU', 0.6),
      ],
    };
    f.skuPages = [page1, page2];
    f.acceleratorTypesBody = fixture('compute.acceleratorTypes.aggregatedList.2018.json');
    const offers = await market.poll(T0);
    expect(f.requests.filter((r) => r.path.endsWith('/skus'))[1]?.query.get('pageToken')).toBe(
      page1.nextPageToken,
    );
    // A2 from the fixture page, on the fake's us-central1 machine types; on-demand only (no spot SKUs).
    expect(find(offers, 'us-central1-a', 'a2-highgpu-1g', 'on-demand')?.pricePerHour).toBe(3.673385);
    expect(offers.filter((o) => o.market === 'spot')).toEqual([]);
    // N1 shapes from the 2018 list: us-central1-a had K80 (no price), P4 (≤4) and V100 (≤8).
    const n1a = offers.filter((o) => o.zone === 'us-central1-a' && o.instanceType.startsWith('n1-'));
    expect(n1a.map((o) => o.instanceType).sort()).toEqual([
      'n1-standard-16+2xP4',
      'n1-standard-16+2xV100',
      'n1-standard-32+4xP4',
      'n1-standard-32+4xV100',
      'n1-standard-64+8xV100',
      'n1-standard-8+1xP4',
      'n1-standard-8+1xV100',
    ]);
    expect(find(offers, 'us-central1-a', 'n1-standard-8+1xV100', 'on-demand')?.pricePerHour).toBe(2.859998);
  });
});

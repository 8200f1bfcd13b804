// The real GCP bodies in test/fixtures/gcp through the adapter's normalisation (as plain JSON here;
// the integration test serves the same bodies to the SDKs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleOffers, priceOf } from '../../src/clouds/gcp/offers.js';
import { PriceTable } from '../../src/clouds/gcp/prices.js';
import { machineTypeShape } from '../../src/clouds/gcp/shapes.js';
import { recognizeSku } from '../../src/clouds/gcp/skus.js';
import { zoneShapes } from '../../src/clouds/gcp/zones.js';

const read = (name: string): any =>
  JSON.parse(readFileSync(new URL(`../fixtures/gcp/${name}`, import.meta.url), 'utf8'));

describe('Cloud Billing SKU page (A100 and A2 SKUs, 2023)', () => {
  const page = read('cloudbilling.services.skus.list.gpu-a100-page.json');

  it('recognises the three SKUs with int64-string units and numeric nanos', () => {
    const skus = page.skus.map(recognizeSku);
    expect(skus.map((s: any) => [s.component, s.market, s.usdPerHour])).toEqual([
      ['gpu:nvidia-tesla-a100', 'on-demand', 2.933908],
      ['ram:A2', 'on-demand', 0.004237],
      ['core:A2', 'on-demand', 0.031611],
    ]);
    expect(skus[0].regions).toEqual(['us-central1', 'us-east1', 'us-west1']);
    expect(page.nextPageToken).toMatch(/^APKCS1/);
  });

  it('prices a2-highgpu-1g at $3.673385/h in us-central1, as Cyclenerd publishes', () => {
    const table = new PriceTable();
    for (const s of page.skus) table.addRaw(s);
    const a2 = machineTypeShape({
      name: 'a2-highgpu-1g',
      guestCpus: 12,
      memoryMb: 85 * 1024,
      accelerators: [{ guestAcceleratorType: 'nvidia-tesla-a100', guestAcceleratorCount: 1 }],
    });
    expect(priceOf(a2!, 'us-central1', 'on-demand', table)).toBe(3.673385);
    expect(priceOf(a2!, 'us-west1', 'on-demand', table)).toBe(3.673385);
    expect(priceOf(a2!, 'us-central1', 'spot', table)).toBeNull();
    expect(priceOf(a2!, 'europe-west4', 'on-demand', table)).toBeNull();
  });
});

describe('acceleratorTypes.aggregatedList (2018)', () => {
  const body = read('compute.acceleratorTypes.aggregatedList.2018.json');
  const scopes = Object.entries(body.items) as Array<[string, any]>;

  it('skips NO_RESULTS_ON_PAGE scopes and -vws types, and offers N1 counts per zone', () => {
    expect(scopes.filter(([, s]) => s.warning?.code === 'NO_RESULTS_ON_PAGE').length).toBeGreaterThan(10);
    const zones = zoneShapes(scopes, [], new Set());
    expect(zones.some((z) => z.zone === 'europe-west1-c')).toBe(false);
    const a = zones.find((z) => z.zone === 'us-central1-a');
    expect(a?.shapes.map((s) => s.instanceType).sort()).toEqual([
      'n1-standard-16+2xK80',
      'n1-standard-16+2xP4',
      'n1-standard-16+2xV100',
      'n1-standard-32+4xK80',
      'n1-standard-32+4xP4',
      'n1-standard-32+4xV100',
      'n1-standard-64+8xK80',
      'n1-standard-64+8xV100',
      'n1-standard-8+1xK80',
      'n1-standard-8+1xP4',
      'n1-standard-8+1xV100',
    ]);
    expect(zones.every((z) => z.shapes.every((s) => !s.instanceType.includes('VWS')))).toBe(true);
  });

  it('keeps only the configured regions', () => {
    const zones = zoneShapes(scopes, [], new Set(['asia-east1']));
    expect(zones.map((z) => z.zone)).toEqual(['asia-east1-a', 'asia-east1-b', 'asia-east1-c']);
  });

  it('with the A2 page for prices, yields no offer: 2018 zones had no A100 and no N1 price is on that page', () => {
    const table = new PriceTable();
    for (const s of read('cloudbilling.services.skus.list.gpu-a100-page.json').skus) table.addRaw(s);
    const { offers, stats } = assembleOffers(
      zoneShapes(scopes, [], new Set()),
      table,
      '2026-01-01T00:00:00Z',
    );
    expect(offers).toEqual([]);
    expect(stats.unpriced).toBeGreaterThan(100);
  });

  it('refuses a scope that could not be listed (partial answer)', () => {
    const partial: Array<[string, any]> = [
      ...scopes,
      ['zones/us-east5-a', { warning: { code: 'UNREACHABLE', message: 'unreachable' } }],
    ];
    expect(() => zoneShapes(partial, [], new Set())).toThrow(/zones\/us-east5-a answered UNREACHABLE/);
  });
});

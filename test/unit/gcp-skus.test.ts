// Billing SKUs → component prices → machine prices: which SKUs count (spot vs on-demand, families,
// commitments, licences), how a price is read (int64 strings, nanos, tiers, units), which SKU wins
// when two price the same thing, and how the parts add up to a VM.
import { describe, expect, it } from 'vitest';
import { GcpMalformedError } from '../../src/clouds/gcp/errors.js';
import { priceOf } from '../../src/clouds/gcp/offers.js';
import { PriceTable } from '../../src/clouds/gcp/prices.js';
import { machineTypeShape, n1Shapes } from '../../src/clouds/gcp/shapes.js';
import { moneyToNumber, recognizeSku } from '../../src/clouds/gcp/skus.js';

function sku(
  description: string,
  over: Record<string, unknown> = {},
  price: unknown = { units: '0', nanos: 350000000 },
) {
  const usageType = /preemptible/i.test(description) ? 'Preemptible' : 'OnDemand';
  return {
    skuId: 'AAAA-BBBB-CCCC',
    description,
    category: { resourceFamily: 'Compute', resourceGroup: 'GPU', usageType },
    serviceRegions: ['us-central1'],
    pricingInfo: [
      {
        effectiveTime: { seconds: '1764576000', nanos: 0 },
        pricingExpression: {
          usageUnit: / Ram /.test(description) ? 'GiBy.h' : 'h',
          tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', ...(price as object) } }],
        },
      },
    ],
    ...over,
  };
}

describe('money (google.type.Money)', () => {
  it.each([
    ['int64 units as a string', { units: '2', nanos: 933908000 }, 2.933908],
    ['units as a number', { units: 0, nanos: 4237000 }, 0.004237],
    [
      'units as a Long (anything whose toString is decimal)',
      { units: { toString: () => '12' }, nanos: 500000000 },
      12.5,
    ],
    ['no units at all (proto3 omits zero)', { nanos: 31611000 }, 0.031611],
    ['no nanos', { units: '3' }, 3],
  ])('%s', (_name, money, usd) => {
    expect(moneyToNumber(money)).toBeCloseTo(usd, 9);
  });

  it.each([
    ['units not an integer', { units: '2.5', nanos: 0 }],
    ['units not a number', { units: 'two', nanos: 0 }],
    ['nanos out of range', { units: '0', nanos: 1e9 }],
    ['nanos as a string', { units: '0', nanos: '5' }],
  ])('rejects %s', (_name, money) => {
    expect(moneyToNumber(money)).toBeNull();
  });
});

describe('recognizeSku', () => {
  it.each([
    ['Nvidia Tesla T4 GPU running in Americas', 'gpu:nvidia-tesla-t4', 'on-demand'],
    [
      'Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas',
      'gpu:nvidia-tesla-t4',
      'spot',
    ],
    ['Nvidia Tesla A100 GPU running in Americas', 'gpu:nvidia-tesla-a100', 'on-demand'],
    ['Nvidia Tesla A100 80GB GPU running in Belgium', 'gpu:nvidia-a100-80gb', 'on-demand'],
    ['Nvidia A100 80GB GPU attached to Spot Preemptible VMs running in Iowa', 'gpu:nvidia-a100-80gb', 'spot'],
    ['Nvidia L4 GPU running in Sao Paulo', 'gpu:nvidia-l4', 'on-demand'],
    ['Nvidia H100 80GB GPU running in Americas', 'gpu:nvidia-h100-80gb', 'on-demand'],
    ['Nvidia H100 80GB Mega GPU running in Netherlands', 'gpu:nvidia-h100-mega-80gb', 'on-demand'],
    ['N1 Predefined Instance Core running in Americas', 'core:N1', 'on-demand'],
    ['Spot Preemptible N1 Predefined Instance Ram running in Americas', 'ram:N1', 'spot'],
    ['A2 Instance Core running in Americas', 'core:A2', 'on-demand'],
    ['Spot Preemptible A3 Instance Ram running in Netherlands', 'ram:A3', 'spot'],
    ['G2 Instance Core running in Salt Lake City', 'core:G2', 'on-demand'],
  ])('reads "%s" as %s %s', (description, component, market) => {
    expect(recognizeSku(sku(description))).toMatchObject({ component, market, regions: ['us-central1'] });
  });

  it.each([
    [
      'a commitment',
      'Commitment v1: Nvidia Tesla T4 GPU in Americas for 1 Year',
      { category: { usageType: 'Commit1Yr' } },
    ],
    [
      'a commitment usage type with ordinary words',
      'Nvidia Tesla T4 GPU running in Americas',
      { category: { usageType: 'Commit3Yr' } },
    ],
    ['a reservation', 'Reserved A2 Instance Core running in Americas', {}],
    ['a licensed virtual workstation GPU', 'Nvidia Tesla P4 Virtual Workstation GPU running in Americas', {}],
    ['a GPU this table does not know', 'Nvidia RTX PRO 6000 GPU running in Americas', {}],
    [
      'a product suffix after the location',
      'Nvidia H100 80GB GPU running in Americas (DWS Defined Duration)',
      {},
    ],
    ['another family', 'E2 Instance Core running in Americas', {}],
    ['a sole-tenancy premium', 'N1 Sole Tenancy Instance Core running in Americas', {}],
    ['a Windows licence', 'Licensing Fee for Windows Server 2022 on VM with 8 VCPU', {}],
    [
      'spot words with an on-demand usage type',
      'Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas',
      { category: { usageType: 'OnDemand' } },
    ],
    [
      'another resource family',
      'Nvidia Tesla T4 GPU running in Americas',
      { category: { resourceFamily: 'License', usageType: 'OnDemand' } },
    ],
    [
      'a global SKU (no region)',
      'Nvidia Tesla T4 GPU running in Americas',
      { serviceRegions: [], geoTaxonomy: { type: 'GLOBAL' } },
    ],
  ])('ignores %s', (_name, description, over) => {
    expect(recognizeSku(sku(description, over))).toBeNull();
  });

  it('takes regions from geoTaxonomy when serviceRegions is empty', () => {
    const s = sku('Nvidia L4 GPU running in Americas', {
      serviceRegions: [],
      geoTaxonomy: { regions: ['us-east4'] },
    });
    expect(recognizeSku(s)?.regions).toEqual(['us-east4']);
  });

  it('takes the latest pricingInfo and the first non-zero tier', () => {
    const s = sku('Nvidia Tesla T4 GPU running in Americas', {
      pricingInfo: [
        {
          effectiveTime: '2025-01-01T00:00:00Z',
          pricingExpression: { usageUnit: 'h', tieredRates: [{ unitPrice: { units: '9' } }] },
        },
        {
          effectiveTime: '2026-01-01T00:00:00Z',
          pricingExpression: {
            usageUnit: 'h',
            tieredRates: [
              { startUsageAmount: 744, unitPrice: { units: '0', nanos: 300000000 } },
              { startUsageAmount: 0, unitPrice: { units: '0', nanos: 0 } },
              { startUsageAmount: 100, unitPrice: { units: '0', nanos: 350000000 } },
            ],
          },
        },
      ],
    });
    expect(recognizeSku(s)?.usdPerHour).toBe(0.35);
  });

  it('treats an all-free SKU as no price', () => {
    expect(
      recognizeSku(sku('Nvidia Tesla T4 GPU running in Americas', {}, { units: '0', nanos: 0 })),
    ).toBeNull();
  });

  it.each([
    [
      'unreadable units',
      sku('Nvidia Tesla T4 GPU running in Americas', {}, { units: 'x', nanos: 1 }),
      /unreadable/,
    ],
    [
      'another currency',
      sku('Nvidia Tesla T4 GPU running in Americas', {}, { currencyCode: 'EUR', units: '1' }),
      /unreadable/,
    ],
    [
      'a negative price',
      sku('Nvidia Tesla T4 GPU running in Americas', {}, { units: '-1', nanos: 0 }),
      /unreadable/,
    ],
    [
      'an unexpected unit',
      sku('N1 Predefined Instance Ram running in Americas', {
        pricingInfo: [{ pricingExpression: { usageUnit: 'GBy.mo', tieredRates: [] } }],
      }),
      /usage unit 'GBy.mo'/,
    ],
    ['no pricingInfo', sku('Nvidia L4 GPU running in Americas', { pricingInfo: null }), /no pricingInfo/],
  ])('fails loudly on %s of a SKU it uses', (_name, s, message) => {
    expect(() => recognizeSku(s)).toThrow(GcpMalformedError);
    expect(() => recognizeSku(s)).toThrow(message);
  });
});

describe('PriceTable', () => {
  const t4 = (regions: string[], nanos: number, skuId: string) =>
    sku('Nvidia Tesla T4 GPU running in Americas', { skuId, serviceRegions: regions }, { units: '0', nanos });

  it('prefers the regional SKU over a multi-regional one, whatever the order', () => {
    for (const order of [0, 1]) {
      const table = new PriceTable();
      const skus = [
        t4(['us-central1', 'us-east1'], 400000000, 'MULTI'),
        t4(['us-central1'], 350000000, 'REGION'),
      ];
      for (const s of order ? skus.reverse() : skus) table.addRaw(s);
      expect(table.get('us-central1', 'gpu:nvidia-tesla-t4', 'on-demand')).toBe(0.35);
      expect(table.get('us-east1', 'gpu:nvidia-tesla-t4', 'on-demand')).toBe(0.4);
      expect(table.stats.conflicts).toBe(1);
    }
  });

  it('takes the higher of two equally specific prices, so an ambiguity never undercuts', () => {
    const table = new PriceTable();
    table.addRaw(t4(['us-central1'], 350000000, 'A'));
    table.addRaw(t4(['us-central1'], 370000000, 'B'));
    expect(table.get('us-central1', 'gpu:nvidia-tesla-t4', 'on-demand')).toBe(0.37);
  });

  it('keeps only the configured regions but counts GPU SKUs everywhere', () => {
    const table = new PriceTable(new Set(['europe-west4']));
    table.addRaw(t4(['us-central1'], 350000000, 'A'));
    expect(table.size).toBe(0);
    expect(table.stats).toMatchObject({ skusSeen: 1, skusUsed: 0, gpuSkus: 1 });
  });
});

describe('machine prices from parts', () => {
  const table = new PriceTable();
  const add = (description: string, nanos: number, units = '0') =>
    table.addRaw(sku(description, {}, { units, nanos }));
  add('N1 Predefined Instance Core running in Americas', 31611000);
  add('N1 Predefined Instance Ram running in Americas', 4237000);
  add('Nvidia Tesla V100 GPU running in Americas', 480000000, '2');
  add('Spot Preemptible N1 Predefined Instance Core running in Americas', 6980000);
  add('Spot Preemptible N1 Predefined Instance Ram running in Americas', 940000);
  add('G2 Instance Core running in Americas', 24988000);
  add('G2 Instance Ram running in Americas', 2927500);
  add('Nvidia L4 GPU running in Americas', 560040239);

  it('N1 host (8 vCPU and 30 GiB per GPU) plus the GPUs', () => {
    const [one, two] = n1Shapes('nvidia-tesla-v100', 8);
    expect(one?.instanceType).toBe('n1-standard-8+1xV100');
    expect(priceOf(one!, 'us-central1', 'on-demand', table)).toBe(2.859998);
    expect(two?.instanceType).toBe('n1-standard-16+2xV100');
    expect(priceOf(two!, 'us-central1', 'on-demand', table)).toBe(5.719996);
  });

  it('no price when any part lacks one (here: no spot V100 SKU)', () => {
    const [one] = n1Shapes('nvidia-tesla-v100', 8);
    expect(priceOf(one!, 'us-central1', 'spot', table)).toBeNull();
    expect(priceOf(one!, 'europe-west4', 'on-demand', table)).toBeNull();
  });

  it('an accelerator-optimised machine type from its API description', () => {
    const g2 = machineTypeShape({
      name: 'g2-standard-4',
      guestCpus: 4,
      memoryMb: 16384,
      accelerators: [{ guestAcceleratorType: 'nvidia-l4', guestAcceleratorCount: 1 }],
    });
    expect(g2).toMatchObject({ gpu: { model: 'L4', count: 1, memoryGiB: 24 }, vcpus: 4, memoryGiB: 16 });
    // Cyclenerd publishes $0.706832255 for g2-standard-4 in us-central1.
    expect(priceOf(g2!, 'us-central1', 'on-demand', table)).toBe(0.706832);
  });
});

// The Price List item → on-demand price, with the real m5.large item from test/fixtures/aws and its
// variants (Windows, dedicated, SQL Server, reservations), which must never become a Linux price.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onDemandPrice, onDemandPrices } from '../../src/clouds/aws/pricing.js';

const raw = readFileSync(
  new URL('../fixtures/aws/pricing.GetProducts.PriceListItem.m5_large.us-east-1.json', import.meta.url),
  'utf8',
);
const at = { api: 'Pricing GetProducts', region: 'us-east-1' };

function variant(attrs: Record<string, string>, usd = '0.0960000000'): string {
  const item = JSON.parse(raw);
  Object.assign(item.product.attributes, attrs);
  for (const term of Object.values<any>(item.terms.OnDemand)) {
    for (const dim of Object.values<any>(term.priceDimensions)) dim.pricePerUnit.USD = usd;
  }
  return JSON.stringify(item);
}

describe('onDemandPrice', () => {
  it('reads $0.096/h for m5.large from the real item (a JSON string, as the API sends it)', () => {
    expect(onDemandPrice(raw, at)).toEqual({
      instanceType: 'm5.large',
      pricePerHour: 0.096,
      regionCode: undefined,
    });
  });

  it('reads the SDK’s String objects and already-parsed items alike', () => {
    // The SDK hands out String objects, not primitive strings.
    expect(onDemandPrice(new String(raw), at)?.pricePerHour).toBe(0.096);
    expect(onDemandPrice(JSON.parse(raw), at)?.pricePerHour).toBe(0.096);
  });

  it('ignores the reserved terms (0.06, 0.034, ...) of the same item', () => {
    expect(onDemandPrice(raw, at)?.pricePerHour).not.toBe(0.06);
  });

  it.each([
    ['Windows', { operatingSystem: 'Windows' }],
    ['RHEL', { operatingSystem: 'RHEL' }],
    ['dedicated tenancy', { tenancy: 'Dedicated' }],
    ['SQL Server pre-installed', { preInstalledSw: 'SQL Std' }],
    ['an unused capacity reservation', { capacitystatus: 'UnusedCapacityReservation' }],
    ['an allocated capacity reservation', { capacitystatus: 'AllocatedCapacityReservation' }],
    ['a licensed operation', { operation: 'RunInstances:0004' }],
  ])('is not a Linux on-demand price: %s', (_case, attrs) => {
    expect(onDemandPrice(variant(attrs), at)).toBeNull();
  });

  it('treats a $0 row as "not sold", not as free', () => {
    expect(onDemandPrice(variant({}, '0.0000000000'), at)).toBeNull();
  });

  it('calls an unreadable price or a non-JSON item malformed, naming the API', () => {
    expect(() => onDemandPrice(variant({}, 'abc'), at)).toThrow(
      'AWS Pricing GetProducts in us-east-1: malformed answer: PriceList item 0 (m5.large) has price abc',
    );
    expect(() => onDemandPrice('{not json', at, 3)).toThrow(/PriceList item 3 is not JSON/);
    expect(() => onDemandPrice('{}', at)).toThrow(/no product\.attributes\.instanceType/);
  });
});

describe('onDemandPrices', () => {
  it('keeps the plain Linux price per type and skips other regions’ items', () => {
    const items = [
      variant({ instanceType: 'g5.xlarge', regionCode: 'us-east-1' }, '1.0060000000'),
      variant(
        { instanceType: 'g5.xlarge', regionCode: 'us-east-1', operatingSystem: 'Windows' },
        '1.8000000000',
      ),
      variant({ instanceType: 'g5.xlarge', regionCode: 'eu-west-1' }, '1.1230000000'),
      variant({ instanceType: 'p4d.24xlarge', regionCode: 'us-east-1' }, '32.7726000000'),
    ];
    expect(Object.fromEntries(onDemandPrices(items, 'us-east-1', at))).toEqual({
      'g5.xlarge': 1.006,
      'p4d.24xlarge': 32.7726,
    });
  });
});

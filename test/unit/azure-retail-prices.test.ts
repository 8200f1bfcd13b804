import { describe, expect, it } from 'vitest';
import { firstPageUrl, parseRetryAfter, retailFilter } from '../../src/clouds/azure/retail-fetch.js';
import { priceKey, type RetailPriceItem, selectLinuxPrices } from '../../src/clouds/azure/retail-prices.js';
import { isCloudError } from '../../src/clouds/errors.js';

// One meter as the Retail Prices API returns it; tests override what they care about.
function item(over: Partial<Record<keyof RetailPriceItem, unknown>> = {}): RetailPriceItem {
  return {
    currencyCode: 'USD',
    retailPrice: 0.526,
    armRegionName: 'eastus',
    armSkuName: 'Standard_NC4as_T4_v3',
    productName: 'Virtual Machines NCasT4_v3 Series',
    skuName: 'NC4as T4 v3',
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
    type: 'Consumption',
    effectiveStartDate: '2025-11-01T00:00:00Z',
    isPrimaryMeterRegion: true,
    ...over,
  };
}

const linuxSpot = item({ skuName: 'NC4as T4 v3 Spot', retailPrice: 0.204246 });
const linuxLowPriority = item({ skuName: 'NC4as T4 v3 Low Priority', retailPrice: 0.1 });
const windows = item({ productName: 'Virtual Machines NCasT4_v3 Series Windows', retailPrice: 0.71 });
const windowsSpot = item({
  productName: 'Virtual Machines NCasT4_v3 Series Windows',
  skuName: 'NC4as T4 v3 Spot',
  retailPrice: 0.39,
});

describe('Retail Prices: which meters are Linux hourly prices', () => {
  it('keeps the Linux Regular meter as on-demand and the Linux " Spot" meter as spot', () => {
    const sel = selectLinuxPrices([item(), linuxSpot]);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'on-demand'))?.pricePerHour).toBe(0.526);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'spot'))?.pricePerHour).toBe(0.204246);
  });

  it('drops Windows meters, Regular and Spot alike, whatever their order', () => {
    const sel = selectLinuxPrices([windows, windowsSpot, item(), linuxSpot, windows]);
    expect(sel.prices.size).toBe(2);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'on-demand'))?.pricePerHour).toBe(0.526);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'spot'))?.pricePerHour).toBe(0.204246);
    expect(sel.skipped.windows).toBe(3);
  });

  it('never takes a Low Priority meter for spot, even though it is cheaper', () => {
    const sel = selectLinuxPrices([linuxLowPriority, linuxSpot]);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'spot'))?.pricePerHour).toBe(0.204246);
    expect(sel.skipped['low-priority']).toBe(1);
  });

  it('has no spot price when only a Low Priority meter exists', () => {
    const sel = selectLinuxPrices([item(), linuxLowPriority]);
    expect(sel.prices.has(priceKey('eastus', 'Standard_NC4as_T4_v3', 'spot'))).toBe(false);
  });

  it.each([
    ['a DevTest meter', { type: 'DevTestConsumption' }, 'not-consumption'],
    ['a reservation', { type: 'Reservation' }, 'not-consumption'],
    ['a monthly unit', { unitOfMeasure: '1/Month' }, 'not-hourly'],
    ['another service', { serviceName: 'Storage' }, 'other-service'],
    ['a meter without an ARM SKU name', { armSkuName: '' }, 'no-sku'],
    ['a zero price', { retailPrice: 0 }, 'zero-price'],
  ] as const)('skips %s, and counts it', (_name, over, reason) => {
    const sel = selectLinuxPrices([item(over)]);
    expect(sel.prices.size).toBe(0);
    expect(sel.skipped[reason]).toBe(1);
  });

  it('prefers the primary meter region, then the newest price, when a size is priced twice', () => {
    const old = item({ retailPrice: 0.5, effectiveStartDate: '2024-01-01T00:00:00Z' });
    const secondary = item({
      retailPrice: 0.9,
      isPrimaryMeterRegion: false,
      effectiveStartDate: '2026-01-01T00:00:00Z',
    });
    const sel = selectLinuxPrices([old, secondary, item()]);
    expect(sel.prices.get(priceKey('eastus', 'Standard_NC4as_T4_v3', 'on-demand'))?.pricePerHour).toBe(0.526);
    expect(sel.skipped.duplicate).toBe(2);
  });

  it('lower-cases region names, as Resource SKUs use them', () => {
    const sel = selectLinuxPrices([item({ armRegionName: 'EastUS' })]);
    expect([...sel.prices.values()][0]?.region).toBe('eastus');
  });

  it.each([
    ['an item that is not an object', 'oops'],
    ['a price that is not a number', item({ retailPrice: '0.5' })],
    ['a negative price', item({ retailPrice: -1 })],
    ['a price in another currency', item({ currencyCode: 'EUR' })],
  ])('refuses %s as a malformed answer', (_name, bad) => {
    let caught: unknown;
    try {
      selectLinuxPrices([item(), bad]);
    } catch (e) {
      caught = e;
    }
    expect(isCloudError(caught, 'Transient')).toBe(true);
    expect(String((caught as Error).message)).toMatch(/malformed Retail Prices item/);
  });
});

describe('Retail Prices: the query', () => {
  it('filters VMs of one region at consumption prices, in USD', () => {
    expect(retailFilter('eastus')).toBe(
      "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and priceType eq 'Consumption'",
    );
    const u = new URL(firstPageUrl('https://prices.azure.com/api/retail/prices', 'eastus'));
    expect(u.searchParams.get('$filter')).toBe(retailFilter('eastus'));
    expect(u.searchParams.get('currencyCode')).toBe("'USD'");
  });

  it.each([
    ['delta seconds', '3', 3000],
    ['zero', '0', 0],
    ['an HTTP date 5 s ahead', new Date(Date.UTC(2026, 0, 1, 0, 0, 5)).toUTCString(), 5000],
    ['absent', null, null],
    ['garbage', 'soon', null],
  ])('reads Retry-After given as %s', (_name, value, ms) => {
    expect(parseRetryAfter(value, Date.UTC(2026, 0, 1))).toBe(ms);
  });
});

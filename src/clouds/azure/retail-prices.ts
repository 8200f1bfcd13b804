// Azure Retail Prices items → Linux hourly prices per (region, VM size, market). Pure.
// The traps (see docs/clouds/azure.md): one VM size has Linux and Windows meters, and Regular, Spot and
// Low Priority meters, all under serviceName 'Virtual Machines'. Linux is the product name without
// 'Windows'; Spot is the skuName ending in ' Spot'; Low Priority (the old Batch/VMSS discount, not
// purchasable as a VM) is excluded. Prices are per VM per hour ('1 Hour').
import type { Market } from '../../core/model.js';
import { malformedAnswer } from './errors.js';

/** The fields of a Retail Prices item this module reads. */
export interface RetailPriceItem {
  currencyCode?: unknown;
  retailPrice?: unknown;
  armRegionName?: unknown;
  armSkuName?: unknown;
  productName?: unknown;
  skuName?: unknown;
  serviceName?: unknown;
  unitOfMeasure?: unknown;
  type?: unknown;
  effectiveStartDate?: unknown;
  isPrimaryMeterRegion?: unknown;
}

export interface LinuxPrice {
  region: string;
  sku: string;
  market: Market;
  pricePerHour: number;
  effectiveStartDate: string | null;
  primary: boolean;
}

export type PriceSkipReason =
  | 'other-service'
  | 'windows'
  | 'low-priority'
  | 'not-hourly'
  | 'not-consumption'
  | 'no-sku'
  | 'zero-price'
  | 'duplicate';

export interface PriceSelection {
  /** Keyed by priceKey(region, sku, market). */
  prices: Map<string, LinuxPrice>;
  skipped: Record<PriceSkipReason, number>;
}

export function priceKey(region: string, sku: string, market: Market): string {
  return `${region.toLowerCase()}|${sku}|${market}`;
}

export function emptyPriceSelection(): PriceSelection {
  return {
    prices: new Map(),
    skipped: {
      'other-service': 0,
      windows: 0,
      'low-priority': 0,
      'not-hourly': 0,
      'not-consumption': 0,
      'no-sku': 0,
      'zero-price': 0,
      duplicate: 0,
    },
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** When two meters price the same (region, size, market): the primary meter region, then the newest, then the dearer. */
function better(a: LinuxPrice, b: LinuxPrice): boolean {
  if (a.primary !== b.primary) return a.primary;
  const ad = a.effectiveStartDate ?? '';
  const bd = b.effectiveStartDate ?? '';
  if (ad !== bd) return ad > bd;
  return a.pricePerHour > b.pricePerHour;
}

/**
 * Adds the Linux Regular and Spot hourly prices among `items` to `into`. Throws (malformed answer) on an
 * item that is not an object, has a non-numeric price, or is priced in another currency than USD.
 */
export function selectLinuxPrices(items: readonly unknown[], into = emptyPriceSelection()): PriceSelection {
  for (const raw of items) {
    if (typeof raw !== 'object' || raw === null)
      throw malformedAnswer('Retail Prices item', JSON.stringify(raw));
    const item = raw as RetailPriceItem;
    if (str(item.serviceName) !== 'Virtual Machines') {
      into.skipped['other-service']++;
      continue;
    }
    const sku = str(item.armSkuName);
    const region = str(item.armRegionName).toLowerCase();
    if (!sku || !region) {
      into.skipped['no-sku']++;
      continue;
    }
    if (str(item.productName).includes('Windows')) {
      into.skipped.windows++;
      continue;
    }
    const skuName = str(item.skuName);
    if (skuName.includes('Low Priority')) {
      into.skipped['low-priority']++;
      continue;
    }
    if (item.type !== undefined && item.type !== 'Consumption') {
      into.skipped['not-consumption']++;
      continue;
    }
    if (str(item.unitOfMeasure) !== '1 Hour') {
      into.skipped['not-hourly']++;
      continue;
    }
    if (typeof item.retailPrice !== 'number' || !Number.isFinite(item.retailPrice) || item.retailPrice < 0) {
      throw malformedAnswer(
        'Retail Prices item',
        `${sku} in ${region}: retailPrice ${JSON.stringify(item.retailPrice)}`,
      );
    }
    if (item.currencyCode !== undefined && item.currencyCode !== 'USD') {
      throw malformedAnswer(
        'Retail Prices item',
        `${sku} in ${region} is priced in ${String(item.currencyCode)}, not USD`,
      );
    }
    if (item.retailPrice === 0) {
      into.skipped['zero-price']++;
      continue;
    }
    const price: LinuxPrice = {
      region,
      sku,
      market: skuName.endsWith(' Spot') ? 'spot' : 'on-demand',
      pricePerHour: item.retailPrice,
      effectiveStartDate: typeof item.effectiveStartDate === 'string' ? item.effectiveStartDate : null,
      primary: item.isPrimaryMeterRegion !== false,
    };
    const key = priceKey(region, sku, price.market);
    const prev = into.prices.get(key);
    if (prev) into.skipped.duplicate++;
    if (!prev || better(price, prev)) into.prices.set(key, price);
  }
  return into;
}

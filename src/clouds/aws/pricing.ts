// The AWS Price List (Pricing API GetProducts) → on-demand $/h per instance type. Pure, no SDK.
// GetProducts returns each product as a JSON *string* (a String object at run time), with the product's
// attributes and its terms; one instance type has many products (OS, tenancy, licences, capacity
// reservations), of which exactly one is the plain Linux on-demand price.
import { type AwsCallSite, malformed } from './errors.js';

/**
 * The products wanted, as GetProducts TERM_MATCH filters and as the check applied to every answer
 * (the filters are the API's; the check keeps a wrong answer from becoming a wrong price).
 */
export const ON_DEMAND_ATTRIBUTES: Readonly<Record<string, string>> = {
  operatingSystem: 'Linux',
  tenancy: 'Shared',
  preInstalledSw: 'NA',
  // 'Used' is the ordinary on-demand rate; the other values price capacity reservations.
  capacitystatus: 'Used',
};

export interface OnDemandPrice {
  instanceType: string;
  pricePerHour: number;
  regionCode: string | undefined;
}

interface PriceDimension {
  unit?: unknown;
  pricePerUnit?: { USD?: unknown };
}

interface PriceListItem {
  product?: { attributes?: Record<string, unknown> };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, PriceDimension> }> };
}

function parseItem(raw: unknown, at: AwsCallSite, index: number): PriceListItem {
  // The SDK hands out String objects; fixtures and other callers may pass a string or the parsed object.
  if (typeof raw === 'string' || raw instanceof String) {
    try {
      return JSON.parse(String(raw)) as PriceListItem;
    } catch {
      throw malformed(at, `PriceList item ${index} is not JSON`);
    }
  }
  if (typeof raw === 'object' && raw !== null) return raw as PriceListItem;
  throw malformed(at, `PriceList item ${index} is neither a JSON string nor an object`);
}

/**
 * The plain Linux, shared-tenancy, no-software on-demand price of one PriceList item; null when the
 * item is some other product (Windows, dedicated, SQL Server, reservation) or has no hourly price.
 */
export function onDemandPrice(raw: unknown, at: AwsCallSite, index = 0): OnDemandPrice | null {
  const item = parseItem(raw, at, index);
  const attrs = item.product?.attributes;
  if (!attrs || typeof attrs.instanceType !== 'string') {
    throw malformed(at, `PriceList item ${index} has no product.attributes.instanceType`);
  }
  for (const [k, v] of Object.entries(ON_DEMAND_ATTRIBUTES)) if (attrs[k] !== v) return null;
  // 'RunInstances' is plain Linux; 'RunInstances:00xx' are licensed variants that slipped through.
  if (attrs.operation !== undefined && attrs.operation !== 'RunInstances') return null;
  const regionCode = typeof attrs.regionCode === 'string' ? attrs.regionCode : undefined;
  for (const term of Object.values(item.terms?.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions ?? {})) {
      if (dim.unit !== 'Hrs') continue;
      const usd = Number(dim.pricePerUnit?.USD);
      if (!Number.isFinite(usd) || usd < 0) {
        throw malformed(
          at,
          `PriceList item ${index} (${attrs.instanceType}) has price ${String(dim.pricePerUnit?.USD)}`,
        );
      }
      // A $0 row is how the list says "not sold here"; it is not a free instance.
      return usd > 0 ? { instanceType: attrs.instanceType, pricePerHour: usd, regionCode } : null;
    }
  }
  return null;
}

/** Instance type → $/h for one region, from a whole GetProducts answer (all pages). */
export function onDemandPrices(
  items: readonly unknown[],
  region: string,
  at: AwsCallSite,
): Map<string, number> {
  const prices = new Map<string, number>();
  for (const [i, raw] of items.entries()) {
    const p = onDemandPrice(raw, at, i);
    if (!p || (p.regionCode !== undefined && p.regionCode !== region)) continue;
    prices.set(p.instanceType, p.pricePerHour);
  }
  return prices;
}

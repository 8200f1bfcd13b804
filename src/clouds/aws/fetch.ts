// The reads behind one region's offers, each a paginated SDK call whose failure is classified with the
// API and region named. Normalisation lives in normalize.ts / pricing.ts; this file only talks.
import {
  type _InstanceType,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import { type AwsCallSite, awsCall, malformed } from './errors.js';
import {
  type AwsShape,
  GPU_TYPE_PATTERNS,
  newestSpotPrices,
  offeredPairs,
  SPOT_PRODUCT,
  type SpotQuote,
  shapesFrom,
  zonesFrom,
} from './normalize.js';
import { ON_DEMAND_ATTRIBUTES, onDemandPrices } from './pricing.js';

/** A bound on pages, so that an endpoint that keeps handing out tokens cannot hold a poll forever. */
const MAX_PAGES = 500;

/**
 * Follows NextToken until it is absent or empty. An empty `<nextToken/>` ends the list (a real EC2
 * answer has one); sending it back would restart from the first page.
 */
export async function paginate<T>(
  at: AwsCallSite,
  page: (token: string | undefined) => Promise<{ items: readonly T[] | undefined; next: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const r = await awsCall(at, () => page(token));
    if (r.items) all.push(...r.items);
    if (!r.next) return all;
    if (seen.has(r.next)) throw malformed(at, `NextToken ${r.next} came back twice`);
    seen.add(r.next);
    token = r.next;
  }
  throw malformed(at, `more than ${MAX_PAGES} pages`);
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Zone name → zone id. */
export async function fetchZones(ec2: EC2Client, region: string): Promise<Map<string, string>> {
  const at = { api: 'DescribeAvailabilityZones', region };
  const out = await awsCall(at, () => ec2.send(new DescribeAvailabilityZonesCommand({})));
  if (!out.AvailabilityZones) throw malformed(at, 'no availabilityZoneInfo');
  return zonesFrom(out.AvailabilityZones, at);
}

/** Instance type → GPU shape, for the GPU types of the region. */
export async function fetchGpuShapes(ec2: EC2Client, region: string): Promise<Map<string, AwsShape>> {
  const at = { api: 'DescribeInstanceTypes', region };
  const types = await paginate(at, async (NextToken) => {
    const out = await ec2.send(
      new DescribeInstanceTypesCommand({
        Filters: [{ Name: 'instance-type', Values: [...GPU_TYPE_PATTERNS] }],
        MaxResults: 100,
        NextToken,
      }),
    );
    return { items: out.InstanceTypes, next: out.NextToken };
  });
  return shapesFrom(types, at);
}

/** The (zone, type) pairs offered, for the given types. */
export async function fetchOfferings(
  ec2: EC2Client,
  region: string,
  types: readonly string[],
): Promise<Set<string>> {
  const at = { api: 'DescribeInstanceTypeOfferings', region };
  const all = new Set<string>();
  // A filter takes a bounded number of values; ask in groups.
  for (const group of chunks(types, 100)) {
    const offerings = await paginate(at, async (NextToken) => {
      const out = await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone',
          Filters: [{ Name: 'instance-type', Values: group }],
          MaxResults: 1000,
          NextToken,
        }),
      );
      return { items: out.InstanceTypeOfferings, next: out.NextToken };
    });
    for (const p of offeredPairs(offerings, at)) all.add(p);
  }
  return all;
}

/**
 * The spot price in force per (zone, type). StartTime = now makes EC2 return the record in force at
 * that instant (plus any a little older), not 90 days of history.
 */
export async function fetchSpotPrices(
  ec2: EC2Client,
  region: string,
  types: readonly string[],
  now: Date,
): Promise<Map<string, SpotQuote>> {
  const at = { api: 'DescribeSpotPriceHistory', region };
  const result = new Map<string, SpotQuote>();
  // No types means no request: without InstanceTypes EC2 would answer for every type it has.
  for (const group of chunks(types, 100)) {
    const records = await paginate(at, async (NextToken) => {
      const out = await ec2.send(
        new DescribeSpotPriceHistoryCommand({
          ProductDescriptions: [SPOT_PRODUCT],
          // The SDK's enum lags EC2's list of types; the wire takes any name.
          InstanceTypes: group as _InstanceType[],
          StartTime: now,
          MaxResults: 1000,
          NextToken,
        }),
      );
      return { items: out.SpotPriceHistory, next: out.NextToken };
    });
    for (const [k, q] of newestSpotPrices(records, at)) result.set(k, q);
  }
  return result;
}

/** Instance type → on-demand $/h in `region`, from the Price List. */
export async function fetchOnDemandPrices(
  pricing: PricingClient,
  region: string,
  types: readonly string[],
): Promise<Map<string, number>> {
  const at = { api: 'Pricing GetProducts', region };
  const result = new Map<string, number>();
  const fixed = [
    ...Object.entries(ON_DEMAND_ATTRIBUTES).map(([Field, Value]) => ({
      Type: 'TERM_MATCH' as const,
      Field,
      Value,
    })),
    { Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: region },
  ];
  for (const group of chunks(types, 50)) {
    const items = await paginate(at, async (NextToken) => {
      const out = await pricing.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          FormatVersion: 'aws_v1',
          Filters: [...fixed, { Type: 'ANY_OF', Field: 'instanceType', Value: group.join(',') }],
          MaxResults: 100,
          NextToken,
        }),
      );
      return { items: out.PriceList, next: out.NextToken };
    });
    for (const [t, p] of onDemandPrices(items, region, at)) result.set(t, p);
  }
  return result;
}

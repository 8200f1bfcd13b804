// The fake's read-only EC2 actions behind the market: zones, instance types, type offerings and spot
// price history, with EC2's filters and NextToken pagination.
import { Ec2Fault, ec2Response, page, type QueryParams, wildcardMatch, type XmlValue } from './wire.js';
import { type FakeGpuType, type FakeRegion, hash, type World } from './world.js';

export interface SpotRecord {
  zone: string;
  instanceType: string;
  product: string;
  price: number;
  at: Date;
}

const HOUR = 3_600_000;

/**
 * The spot price history of a region as EC2 keeps it: per pool an older price (30 h ago) and the one
 * in force (set 1–3 h ago), the same pool's Windows price (which a Linux query must not see), and any
 * record a test added. Oldest first per pool.
 */
export function spotHistory(
  world: World,
  region: string,
  now: Date,
  added: readonly SpotRecord[],
): SpotRecord[] {
  const r = world.region(region);
  if (!r) return [];
  const out: SpotRecord[] = [];
  for (const z of r.zones) {
    for (const ty of world.types) {
      const price = world.spotPrice(region, z.name, ty.instanceType);
      if (price === null) continue;
      const setAt = new Date(now.getTime() - (1 + (hash(`${z.name}/${ty.instanceType}/t`) % 3)) * HOUR);
      const base = { zone: z.name, instanceType: ty.instanceType, product: 'Linux/UNIX' };
      out.push({
        ...base,
        price: Math.round(price * 1.1 * 10000) / 10000,
        at: new Date(now.getTime() - 30 * HOUR),
      });
      out.push({ ...base, price, at: setAt });
      out.push({ ...base, product: 'Windows', price: Math.round(price * 2.2 * 10000) / 10000, at: setAt });
    }
  }
  for (const a of added) if (r.zones.some((z) => z.name === a.zone)) out.push(a);
  return out;
}

export interface PageSizes {
  spotPriceHistory: number;
  instanceTypes: number;
  instanceTypeOfferings: number;
  instances: number;
}

export interface MarketCtx {
  world: World;
  region: FakeRegion;
  params: QueryParams;
  now: Date;
  pageSizes: PageSizes;
  addedSpot: readonly SpotRecord[];
}

function checkFilters(params: QueryParams, known: readonly string[]): { name: string; values: string[] }[] {
  const filters = params.filters();
  for (const f of filters) {
    if (!known.includes(f.name))
      throw new Ec2Fault('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  }
  return filters;
}

function pageSize(params: QueryParams, cap: number): number {
  const max = params.int('MaxResults');
  return Math.min(cap, max ?? cap);
}

export function describeAvailabilityZones(ctx: MarketCtx): string {
  const zones = ctx.region.zones.map((z) => ({
    zoneState: 'available',
    optInStatus: z.type === 'availability-zone' ? 'opt-in-not-required' : 'opted-in',
    messageSet: [],
    regionName: ctx.region.name,
    zoneName: z.name,
    zoneId: z.id,
    groupName: z.type === 'availability-zone' ? ctx.region.name : z.name.replace(/[a-z]$/, ''),
    networkBorderGroup: z.type === 'availability-zone' ? ctx.region.name : z.name.replace(/[a-z]$/, ''),
    zoneType: z.type,
  }));
  return ec2Response('DescribeAvailabilityZones', { availabilityZoneInfo: zones });
}

function typeXml(t: FakeGpuType): XmlValue {
  return {
    instanceType: t.instanceType,
    currentGeneration: true,
    supportedUsageClasses: t.spot === null ? ['on-demand'] : ['on-demand', 'spot'],
    processorInfo: { supportedArchitectures: ['x86_64'] },
    vCpuInfo: { defaultVCpus: t.vcpus },
    memoryInfo: { sizeInMiB: t.memoryMiB },
    gpuInfo: t.gpu
      ? {
          gpus: [
            {
              name: t.gpu.name,
              manufacturer: t.gpu.manufacturer,
              count: t.gpu.count,
              memoryInfo: { sizeInMiB: t.gpu.memoryMiB },
            },
          ],
          totalGpuMemoryInMiB: t.gpu.count * t.gpu.memoryMiB,
        }
      : undefined,
  };
}

export function describeInstanceTypes(ctx: MarketCtx): string {
  const filters = checkFilters(ctx.params, ['instance-type', 'current-generation']);
  const wanted = ctx.params.list('InstanceType');
  const types = ctx.world.types.filter(
    (t) =>
      (wanted.length === 0 || wanted.includes(t.instanceType)) &&
      filters.every(
        (f) => f.name !== 'instance-type' || f.values.some((v) => wildcardMatch(v, t.instanceType)),
      ),
  );
  const p = page(types, ctx.params.get('NextToken'), pageSize(ctx.params, ctx.pageSizes.instanceTypes));
  return ec2Response('DescribeInstanceTypes', { instanceTypeSet: p.items.map(typeXml), nextToken: p.next });
}

export function describeInstanceTypeOfferings(ctx: MarketCtx): string {
  const filters = checkFilters(ctx.params, ['instance-type', 'location']);
  const locationType = ctx.params.get('LocationType') ?? 'region';
  const rows: { instanceType: string; locationType: string; location: string }[] = [];
  for (const t of ctx.world.types) {
    const where =
      locationType === 'region'
        ? [ctx.region.name]
        : ctx.region.zones
            .filter((z) => ctx.world.offered(ctx.region.name, z.name, t.instanceType))
            .map((z) => (locationType === 'availability-zone-id' ? z.id : z.name));
    for (const location of where) rows.push({ instanceType: t.instanceType, locationType, location });
  }
  const selected = rows.filter((r) =>
    filters.every((f) =>
      f.values.some((v) => wildcardMatch(v, f.name === 'instance-type' ? r.instanceType : r.location)),
    ),
  );
  const p = page(
    selected,
    ctx.params.get('NextToken'),
    pageSize(ctx.params, ctx.pageSizes.instanceTypeOfferings),
  );
  return ec2Response('DescribeInstanceTypeOfferings', {
    instanceTypeOfferingSet: p.items,
    nextToken: p.next,
  });
}

/**
 * Like EC2: with a StartTime, each pool's record in force at that time, the one before it, and any
 * later ones; records come in an order that promises nothing (newest first for some pools, not others).
 * The last page carries an empty <nextToken/>, as a real answer does.
 */
export function describeSpotPriceHistory(ctx: MarketCtx): string {
  const products = ctx.params.list('ProductDescription');
  const types = ctx.params.list('InstanceType');
  const zone = ctx.params.get('AvailabilityZone');
  const startParam = ctx.params.get('StartTime');
  const start = startParam ? new Date(startParam).getTime() : undefined;
  const pools = new Map<string, SpotRecord[]>();
  for (const r of spotHistory(ctx.world, ctx.region.name, ctx.now, ctx.addedSpot)) {
    if (products.length > 0 && !products.includes(r.product)) continue;
    if (types.length > 0 && !types.includes(r.instanceType)) continue;
    if (zone && r.zone !== zone) continue;
    const key = `${r.zone}/${r.instanceType}/${r.product}`;
    pools.set(key, [...(pools.get(key) ?? []), r]);
  }
  const selected: SpotRecord[] = [];
  for (const [key, recs] of pools) {
    recs.sort((a, b) => a.at.getTime() - b.at.getTime());
    let from = 0;
    if (start !== undefined) {
      let inForce = -1;
      recs.forEach((r, k) => {
        if (r.at.getTime() <= start) inForce = k;
      });
      from = Math.max(0, inForce - 1);
    }
    const kept = recs.slice(from);
    selected.push(...(hash(key) % 2 === 0 ? kept : kept.reverse()));
  }
  const p = page(selected, ctx.params.get('NextToken'), pageSize(ctx.params, ctx.pageSizes.spotPriceHistory));
  return ec2Response('DescribeSpotPriceHistory', {
    spotPriceHistorySet: p.items.map((r) => ({
      instanceType: r.instanceType,
      productDescription: r.product,
      spotPrice: r.price.toFixed(6),
      timestamp: r.at,
      availabilityZone: r.zone,
    })),
    nextToken: p.next ?? '',
  });
}

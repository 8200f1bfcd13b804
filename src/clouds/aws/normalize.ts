// EC2 answers → gpusched's words. Pure: the inputs are the SDK's output shapes (written here as loose
// interfaces, so the fixtures' JSON fits too and no SDK is loaded), the output is Offers.
import { canonicalGpu, gpuInfo } from '../../core/gpus.js';
import type { GpuShape, Offer } from '../../core/model.js';
import { type AwsCallSite, malformed } from './errors.js';

/**
 * Instance-type name patterns asked for. EC2 has no server-side "has a GPU" filter; the GPU families
 * are g* and p* (g4dn, g5, g6, g6e, gr6, p3, p4d, p5, ...). Members without a GpuInfo or with a GPU
 * the canonical table does not know (K520, Radeon Pro V520, T4g) are dropped by gpuShape.
 */
export const GPU_TYPE_PATTERNS: readonly string[] = ['g*', 'p*'];

/** The spot product asked for; records of other products (Windows, SUSE, RHEL) are dropped. */
export const SPOT_PRODUCT = 'Linux/UNIX';

export interface AzRecord {
  ZoneName?: string | undefined;
  ZoneId?: string | undefined;
  State?: string | undefined;
  ZoneType?: string | undefined;
}

export interface InstanceTypeRecord {
  InstanceType?: string | undefined;
  VCpuInfo?: { DefaultVCpus?: number | undefined } | undefined;
  MemoryInfo?: { SizeInMiB?: number | undefined } | undefined;
  GpuInfo?:
    | {
        Gpus?: Array<{
          Name?: string | undefined;
          Count?: number | undefined;
          MemoryInfo?: { SizeInMiB?: number | undefined } | undefined;
        }>;
      }
    | null
    | undefined;
}

export interface OfferingRecord {
  InstanceType?: string | undefined;
  Location?: string | undefined;
  LocationType?: string | undefined;
}

export interface SpotRecord {
  AvailabilityZone?: string | undefined;
  InstanceType?: string | undefined;
  ProductDescription?: string | undefined;
  SpotPrice?: string | undefined;
  Timestamp?: Date | string | undefined;
}

export interface PlacementScoreRecord {
  Region?: string | undefined;
  AvailabilityZoneId?: string | undefined;
  Score?: number | undefined;
}

/** One GPU instance type as gpusched sees it. */
export interface AwsShape {
  instanceType: string;
  gpu: GpuShape;
  vcpus: number;
  memoryGiB: number;
}

export interface SpotQuote {
  zone: string;
  instanceType: string;
  pricePerHour: number;
  /** When AWS set this price (the record's timestamp). */
  since: string;
}

export interface OnDemandQuote {
  pricePerHour: number;
  /** When the price list was fetched. */
  observedAt: string;
}

/** Zone name → zone id, for the zones of `region` that can take instances now. */
export function zonesFrom(azs: readonly AzRecord[], at: AwsCallSite): Map<string, string> {
  const zones = new Map<string, string>();
  for (const [i, az] of azs.entries()) {
    if (!az.ZoneName || !az.ZoneId) throw malformed(at, `zone ${i} has no ZoneName or ZoneId`);
    // Local Zones and Wavelength Zones have other prices and networks; impaired zones take nothing.
    if (az.ZoneType !== undefined && az.ZoneType !== 'availability-zone') continue;
    if (az.State !== undefined && az.State !== 'available') continue;
    zones.set(az.ZoneName, az.ZoneId);
  }
  if (azs.length === 0) throw malformed(at, 'the region has no availability zones');
  return zones;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * The GPU shape of an instance type; null when it has no GPU gpusched knows. Memory: AWS reports the
 * usable size (L4 22 888 MiB, L40S 45 776 MiB); within 10 % of one of the model's canonical variants
 * the canonical figure is used, so that offers of all clouds compare on the same numbers.
 */
export function gpuShape(info: InstanceTypeRecord, at: AwsCallSite): AwsShape | null {
  const gpus = info.GpuInfo?.Gpus ?? [];
  const first = gpus[0];
  if (!info.InstanceType || !first?.Name) return null;
  // Mixed GPU models on one instance do not exist today; refuse to guess if they ever do.
  if (gpus.some((g) => g.Name !== first.Name)) return null;
  const canon = canonicalGpu(first.Name);
  if (!canon) return null;
  const count = gpus.reduce((n, g) => n + (g.Count ?? 0), 0);
  const vcpus = info.VCpuInfo?.DefaultVCpus;
  const memMiB = info.MemoryInfo?.SizeInMiB;
  if (count <= 0 || !vcpus || !memMiB) {
    throw malformed(at, `instance type ${info.InstanceType} lacks GPU count, vCPUs or memory`);
  }
  return {
    instanceType: info.InstanceType,
    gpu: { model: canon.model, count, memoryGiB: gpuMemoryGiB(first.Name, first.MemoryInfo?.SizeInMiB) },
    vcpus,
    memoryGiB: round3(memMiB / 1024),
  };
}

function gpuMemoryGiB(name: string, sizeInMiB: number | undefined): number {
  const info = gpuInfo(name);
  const fallback = canonicalGpu(name)?.memoryGiB ?? 0;
  if (!sizeInMiB || !info) return fallback;
  const reported = sizeInMiB / 1024;
  let best = fallback;
  for (const v of info.memoryGiB) if (Math.abs(v - reported) < Math.abs(best - reported)) best = v;
  return Math.abs(best - reported) <= 0.1 * best ? best : Math.round(reported);
}

/** Instance type → shape, for every GPU type among `types`. */
export function shapesFrom(types: readonly InstanceTypeRecord[], at: AwsCallSite): Map<string, AwsShape> {
  const shapes = new Map<string, AwsShape>();
  for (const t of types) {
    const s = gpuShape(t, at);
    if (s) shapes.set(s.instanceType, s);
  }
  return shapes;
}

export const pairKey = (zone: string, instanceType: string): string => `${zone}|${instanceType}`;

/** The (zone, type) pairs EC2 offers, as pairKey strings. */
export function offeredPairs(offerings: readonly OfferingRecord[], at: AwsCallSite): Set<string> {
  const pairs = new Set<string>();
  for (const [i, o] of offerings.entries()) {
    if (!o.InstanceType || !o.Location) throw malformed(at, `offering ${i} has no InstanceType or Location`);
    if (o.LocationType !== undefined && o.LocationType !== 'availability-zone') continue;
    pairs.add(pairKey(o.Location, o.InstanceType));
  }
  return pairs;
}

/** Linux/UNIX, and its older 'Linux/UNIX (Amazon VPC)' spelling; not 'SUSE Linux' or 'Red Hat ...'. */
export function isLinuxSpotProduct(description: string | undefined): boolean {
  return description === SPOT_PRODUCT || (description?.startsWith(`${SPOT_PRODUCT} (`) ?? false);
}

/**
 * The price in force per (zone, type): DescribeSpotPriceHistory returns several records per pool over
 * time, in no promised order; the newest one is the current price. Records without a zone (old EC2
 * Classic answers) cannot be placed and are dropped.
 */
export function newestSpotPrices(records: readonly SpotRecord[], at: AwsCallSite): Map<string, SpotQuote> {
  const newest = new Map<string, { quote: SpotQuote; t: number }>();
  for (const [i, r] of records.entries()) {
    if (!isLinuxSpotProduct(r.ProductDescription)) continue;
    if (!r.AvailabilityZone || !r.InstanceType) continue;
    const price = Number(r.SpotPrice);
    const t = r.Timestamp === undefined ? Number.NaN : new Date(r.Timestamp).getTime();
    if (!r.SpotPrice || !Number.isFinite(price) || price < 0 || Number.isNaN(t)) {
      throw malformed(
        at,
        `spot record ${i} (${r.InstanceType} in ${r.AvailabilityZone}) has price ${r.SpotPrice} at ${String(r.Timestamp)}`,
      );
    }
    const key = pairKey(r.AvailabilityZone, r.InstanceType);
    const seen = newest.get(key);
    if (seen && seen.t >= t) continue;
    newest.set(key, {
      t,
      quote: {
        zone: r.AvailabilityZone,
        instanceType: r.InstanceType,
        pricePerHour: price,
        since: new Date(t).toISOString(),
      },
    });
  }
  return new Map([...newest].map(([k, v]) => [k, v.quote]));
}

/**
 * GetSpotPlacementScores (1..10) as 0..1 scores: per zone id for single-AZ answers, per region for
 * regional ones. Not called by the poller yet (the API is rate-limited per account); kept for callers
 * that ask for scores of the few pools they consider.
 */
export function spotPlacementScores(items: readonly PlacementScoreRecord[]): {
  byZoneId: Map<string, number>;
  byRegion: Map<string, number>;
} {
  const byZoneId = new Map<string, number>();
  const byRegion = new Map<string, number>();
  for (const s of items) {
    if (s.Score === undefined || s.Score < 1 || s.Score > 10) continue;
    if (s.AvailabilityZoneId) byZoneId.set(s.AvailabilityZoneId, s.Score / 10);
    else if (s.Region) byRegion.set(s.Region, s.Score / 10);
  }
  return { byZoneId, byRegion };
}

export interface OfferInputs {
  region: string;
  zones: ReadonlyMap<string, string>;
  shapes: ReadonlyMap<string, AwsShape>;
  offered: ReadonlySet<string>;
  spot: ReadonlyMap<string, SpotQuote>;
  onDemand: ReadonlyMap<string, OnDemandQuote>;
  /** When the spot answer was received: the spot price is the one in force at that time. */
  spotObservedAt: string;
  /** Zones the daemon can launch into (e.g. only those with a configured subnet); default all. */
  zoneUsable?: (zone: string, zoneId: string) => boolean;
  /** Placement scores per zone id (0..1), applied to spot offers. */
  spotScores?: ReadonlyMap<string, number>;
}

/** One offer per (zone, type, market) where EC2 offers the type in the zone and a price exists. */
export function buildOffers(x: OfferInputs): Offer[] {
  const offers: Offer[] = [];
  const pairs = [...x.offered].sort();
  for (const pair of pairs) {
    const [zone = '', instanceType = ''] = pair.split('|');
    const zoneId = x.zones.get(zone);
    const shape = x.shapes.get(instanceType);
    if (zoneId === undefined || !shape) continue;
    if (x.zoneUsable && !x.zoneUsable(zone, zoneId)) continue;
    const base = {
      cloud: 'aws' as const,
      region: x.region,
      zone,
      zoneId,
      instanceType,
      gpu: shape.gpu,
      vcpus: shape.vcpus,
      memoryGiB: shape.memoryGiB,
      source: 'live',
    };
    const od = x.onDemand.get(instanceType);
    if (od) {
      offers.push({
        ...base,
        market: 'on-demand',
        pricePerHour: od.pricePerHour,
        observedAt: od.observedAt,
        availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
      });
    }
    const sp = x.spot.get(pair);
    if (sp) {
      offers.push({
        ...base,
        market: 'spot',
        pricePerHour: sp.pricePerHour,
        observedAt: x.spotObservedAt,
        availability: {
          score: x.spotScores?.get(zoneId) ?? null,
          blockedUntil: null,
          interruptionsPerHour: null,
        },
      });
    }
  }
  return offers;
}

// What the fake AWS serves: regions and zones, GPU instance types with their real GpuInfo, which type is
// offered in which zone, the spot price in force per zone and on-demand prices (ec2-market.ts builds the
// spot history around them). Deterministic (no randomness), so a test can compute what a poll must return
// from the same world.
//
// Shapes and us-east-1 prices are real: instance types as DescribeInstanceTypes reports them (GPU
// memory in MiB as AWS gives it, e.g. L4 22888), us-east-1 prices from skypilot-org/skypilot-catalog
// (catalogs/v7/aws/vms.csv, via the shared data set, catalog/; before the 2025-06 P4/P5 cut) and, for sizes
// the catalog lacks, on-demand from aws/karpenter-provider-aws's generated pricing with a derived spot
// price. Other regions scale those prices by a fixed factor; zone offerings and spot spreads between
// zones are made up but stable.

export interface FakeGpuType {
  instanceType: string;
  /** GpuInfo name and manufacturer as EC2 reports them; null for a type without GPUs. */
  gpu: { name: string; manufacturer: string; count: number; memoryMiB: number } | null;
  vcpus: number;
  memoryMiB: number;
  onDemand: number;
  /** us-east-1 spot price; null: no spot market for the type. */
  spot: number | null;
}

function t(
  instanceType: string,
  gpu: [string, string, number, number] | null,
  vcpus: number,
  memoryGiB: number,
  onDemand: number,
  spot: number | null,
): FakeGpuType {
  return {
    instanceType,
    gpu: gpu ? { name: gpu[0], manufacturer: gpu[1], count: gpu[2], memoryMiB: gpu[3] } : null,
    vcpus,
    memoryMiB: memoryGiB * 1024,
    onDemand,
    spot,
  };
}

const T4: [string, string] = ['T4', 'NVIDIA'];
const A10G: [string, string] = ['A10G', 'NVIDIA'];
const L4: [string, string] = ['L4', 'NVIDIA'];
const L40S: [string, string] = ['L40S', 'NVIDIA'];
const V100: [string, string] = ['V100', 'NVIDIA'];
/**
 * Spot price for a size the catalog has no spot figure for: its on-demand price times the spot/on-demand
 * ratio of the family's xlarge in the catalog (a derived figure, marked as such).
 */
const SPOT_RATIO: Record<string, number> = {
  g4dn: 0.2025 / 0.526,
  g5: 0.4121 / 1.006,
  g6: 0.4042 / 0.8048,
  g6e: 1.0331 / 1.861,
};
function derived(onDemand: number, family: string): number {
  return Math.round(onDemand * (SPOT_RATIO[family] ?? 0.4) * 10000) / 10000;
}

const g = (m: [string, string], count: number, mib: number): [string, string, number, number] => [
  m[0],
  m[1],
  count,
  mib,
];

/** The GPU types, in the order `scale.typesPerRegion` takes them; the first ones are the default world. */
export const GPU_TYPES: readonly FakeGpuType[] = [
  t('g4dn.xlarge', g(T4, 1, 16384), 4, 16, 0.526, 0.2025),
  t('g4dn.12xlarge', g(T4, 4, 16384), 48, 192, 3.912, 1.4828),
  t('g5.xlarge', g(A10G, 1, 24576), 4, 16, 1.006, 0.4121),
  t('g5.12xlarge', g(A10G, 4, 24576), 48, 192, 5.672, 1.5924),
  t('g5.48xlarge', g(A10G, 8, 24576), 192, 768, 16.288, 4.0774),
  t('g6.xlarge', g(L4, 1, 22888), 4, 16, 0.8048, 0.4042),
  t('g6.12xlarge', g(L4, 4, 22888), 48, 192, 4.6016, 2.0183),
  t('g6e.xlarge', g(L40S, 1, 45776), 4, 32, 1.861, 1.0331),
  t('p3.2xlarge', g(V100, 1, 16384), 8, 61, 3.06, 0.6135),
  t('p3dn.24xlarge', g(V100, 8, 32768), 96, 768, 31.212, 4.1825),
  t('p4d.24xlarge', ['A100', 'NVIDIA', 8, 40960], 96, 1152, 32.7726, 7.7864),
  t('p4de.24xlarge', ['A100', 'NVIDIA', 8, 81920], 96, 1152, 40.96575, null),
  t('p5.48xlarge', ['H100', 'NVIDIA', 8, 81920], 192, 2048, 98.32, 30.6846),
  t('p5en.48xlarge', ['H200', 'NVIDIA', 8, 143771], 192, 2048, 84.8, 19.5489),
  // Types the adapter must drop: a GPU it does not know, an AMD card. (m5.large, no GPU, is NON_GPU_TYPE.)
  t('g4ad.xlarge', ['Radeon Pro V520', 'AMD', 1, 8192], 4, 16, 0.37853, derived(0.37853, 'g4dn')),
  t('g2.2xlarge', ['K520', 'NVIDIA', 1, 4096], 8, 15, 0.65, derived(0.65, 'g4dn')),
  // More real sizes, for scaled worlds (on-demand from the Karpenter price history in the shared data set).
  t('g4dn.2xlarge', g(T4, 1, 16384), 8, 32, 0.752, derived(0.752, 'g4dn')),
  t('g4dn.4xlarge', g(T4, 1, 16384), 16, 64, 1.204, derived(1.204, 'g4dn')),
  t('g4dn.8xlarge', g(T4, 1, 16384), 32, 128, 2.176, derived(2.176, 'g4dn')),
  t('g4dn.16xlarge', g(T4, 1, 16384), 64, 256, 4.352, derived(4.352, 'g4dn')),
  t('g4dn.metal', g(T4, 8, 16384), 96, 384, 7.824, 4.4757),
  t('g5.2xlarge', g(A10G, 1, 24576), 8, 32, 1.212, derived(1.212, 'g5')),
  t('g5.4xlarge', g(A10G, 1, 24576), 16, 64, 1.624, derived(1.624, 'g5')),
  t('g5.8xlarge', g(A10G, 1, 24576), 32, 128, 2.448, derived(2.448, 'g5')),
  t('g5.16xlarge', g(A10G, 1, 24576), 64, 256, 4.096, derived(4.096, 'g5')),
  t('g5.24xlarge', g(A10G, 4, 24576), 96, 384, 8.144, derived(8.144, 'g5')),
  t('g6.2xlarge', g(L4, 1, 22888), 8, 32, 0.9776, derived(0.9776, 'g6')),
  t('g6.4xlarge', g(L4, 1, 22888), 16, 64, 1.3232, derived(1.3232, 'g6')),
  t('g6.8xlarge', g(L4, 1, 22888), 32, 128, 2.0144, derived(2.0144, 'g6')),
  t('g6.16xlarge', g(L4, 1, 22888), 64, 256, 3.3968, derived(3.3968, 'g6')),
  t('g6.24xlarge', g(L4, 4, 22888), 96, 384, 6.6752, derived(6.6752, 'g6')),
  t('g6.48xlarge', g(L4, 8, 22888), 192, 768, 13.3504, 3.399),
  t('g6e.2xlarge', g(L40S, 1, 45776), 8, 64, 2.24208, derived(2.24208, 'g6e')),
  t('g6e.4xlarge', g(L40S, 1, 45776), 16, 128, 3.00424, derived(3.00424, 'g6e')),
  t('g6e.8xlarge', g(L40S, 1, 45776), 32, 256, 4.52856, derived(4.52856, 'g6e')),
  t('g6e.12xlarge', g(L40S, 4, 45776), 48, 384, 10.49264, 4.1107),
  t('g6e.16xlarge', g(L40S, 1, 45776), 64, 512, 7.57719, derived(7.57719, 'g6e')),
  t('g6e.24xlarge', g(L40S, 4, 45776), 96, 768, 15.06559, derived(15.06559, 'g6e')),
  t('g6e.48xlarge', g(L40S, 8, 45776), 192, 1536, 30.13118, 8.247),
  t('gr6.4xlarge', g(L4, 1, 22888), 16, 128, 1.5392, derived(1.5392, 'g6')),
  t('gr6.8xlarge', g(L4, 1, 22888), 32, 256, 2.4464, derived(2.4464, 'g6')),
  t('p3.8xlarge', g(V100, 4, 16384), 32, 244, 12.24, 2.1951),
  t('p3.16xlarge', g(V100, 8, 16384), 64, 488, 24.48, 5.4739),
];

/** Size of the default world: the first 16 types (14 GPU types gpusched knows, and two it must drop). */
export const DEFAULT_TYPE_COUNT = 16;

/** A non-GPU type that a wrong filter would let in. */
export const NON_GPU_TYPE = t('m5.large', null, 2, 8, 0.096, 0.0437);

export interface FakeZone {
  name: string;
  id: string;
  /** 'availability-zone', or 'local-zone' (which the adapter must not offer). */
  type: string;
}

export interface FakeRegion {
  name: string;
  /** Human location, as the Price List's `location` attribute has it. */
  location: string;
  zones: FakeZone[];
  priceFactor: number;
}

/** us-east-1 also has a Local Zone (Boston), which offers g4dn.xlarge at other prices. */
const LOCAL_ZONE: FakeZone = { name: 'us-east-1-bos-1a', id: 'use1-bos1-az1', type: 'local-zone' };
const LOCAL_ZONE_TYPE = 'g4dn.xlarge';

/** [region, location, zone-id prefix, AZ count, price factor]; us-east-1's name→id pairing is scrambled as in a real account. */
const REGIONS: [string, string, string, number, number][] = [
  ['us-east-1', 'US East (N. Virginia)', 'use1', 6, 1],
  ['us-west-2', 'US West (Oregon)', 'usw2', 4, 1],
  ['eu-west-1', 'EU (Ireland)', 'euw1', 3, 1.1],
  ['us-east-2', 'US East (Ohio)', 'use2', 3, 1],
  ['us-west-1', 'US West (N. California)', 'usw1', 2, 1.17],
  ['ca-central-1', 'Canada (Central)', 'cac1', 3, 1.1],
  ['eu-central-1', 'EU (Frankfurt)', 'euc1', 3, 1.2],
  ['eu-west-2', 'EU (London)', 'euw2', 3, 1.17],
  ['eu-west-3', 'EU (Paris)', 'euw3', 3, 1.17],
  ['eu-north-1', 'EU (Stockholm)', 'eun1', 3, 1.06],
  ['eu-south-1', 'EU (Milan)', 'eus1', 3, 1.17],
  ['ap-south-1', 'Asia Pacific (Mumbai)', 'aps1', 3, 1.07],
  ['ap-northeast-1', 'Asia Pacific (Tokyo)', 'apne1', 3, 1.3],
  ['ap-northeast-2', 'Asia Pacific (Seoul)', 'apne2', 4, 1.23],
  ['ap-northeast-3', 'Asia Pacific (Osaka)', 'apne3', 3, 1.3],
  ['ap-southeast-1', 'Asia Pacific (Singapore)', 'apse1', 3, 1.25],
  ['ap-southeast-2', 'Asia Pacific (Sydney)', 'apse2', 3, 1.25],
  ['ap-southeast-3', 'Asia Pacific (Jakarta)', 'apse3', 3, 1.25],
  ['ap-east-1', 'Asia Pacific (Hong Kong)', 'ape1', 3, 1.4],
  ['sa-east-1', 'South America (Sao Paulo)', 'sae1', 3, 1.6],
  ['me-south-1', 'Middle East (Bahrain)', 'mes1', 3, 1.2],
  ['me-central-1', 'Middle East (UAE)', 'mec1', 3, 1.2],
  ['af-south-1', 'Africa (Cape Town)', 'afs1', 3, 1.3],
  ['il-central-1', 'Israel (Tel Aviv)', 'ilc1', 3, 1.2],
  ['eu-central-2', 'EU (Zurich)', 'euc2', 3, 1.3],
  ['eu-south-2', 'EU (Spain)', 'eus2', 3, 1.17],
  ['ap-south-2', 'Asia Pacific (Hyderabad)', 'aps2', 3, 1.07],
  ['ap-southeast-4', 'Asia Pacific (Melbourne)', 'apse4', 3, 1.25],
  ['ca-west-1', 'Canada West (Calgary)', 'caw1', 3, 1.1],
  ['us-gov-west-1', 'AWS GovCloud (US-West)', 'usgw1', 3, 1.25],
];

/** The order of zone ids behind zone names a, b, c, ... (AZ names are per account; ids are not). */
const ID_ORDER = [4, 6, 1, 2, 3, 5];

function makeRegion(i: number): FakeRegion {
  const known = REGIONS[i];
  const [name, location, prefix, azCount, priceFactor] = known ?? [
    `xx-scale-${i + 1}`,
    `Scale Test ${i + 1}`,
    `xxs${i + 1}`,
    3,
    1 + (i % 7) / 10,
  ];
  const zones: FakeZone[] = Array.from({ length: azCount }, (_, z) => ({
    name: `${name}${String.fromCharCode(97 + z)}`,
    id: `${prefix}-az${i === 0 ? ID_ORDER[z] : z + 1}`,
    type: 'availability-zone',
  }));
  if (name === 'us-east-1') zones.push(LOCAL_ZONE);
  return { name, location, zones, priceFactor };
}

function makeType(i: number): FakeGpuType {
  const base = GPU_TYPES[i % GPU_TYPES.length]!;
  if (i < GPU_TYPES.length) return base;
  // Past the real list: the same shapes under made-up family names (gx1.xlarge ...), for volume.
  const gen = Math.floor(i / GPU_TYPES.length);
  return { ...base, instanceType: `gx${gen}${base.instanceType.replace(/^[a-z0-9]+/, '')}` };
}

/** A small stable hash, so that "is this type offered here" and spot discounts do not need randomness. */
export function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface WorldOptions {
  /** N regions × M GPU types (default: 3 regions × the 16 default types). */
  scale?: { regions: number; typesPerRegion: number };
}

export class World {
  readonly regions: FakeRegion[];
  readonly types: FakeGpuType[];

  constructor(opts: WorldOptions = {}) {
    const nRegions = opts.scale?.regions ?? 3;
    const nTypes = opts.scale?.typesPerRegion ?? DEFAULT_TYPE_COUNT;
    this.regions = Array.from({ length: nRegions }, (_, i) => makeRegion(i));
    this.types = [...Array.from({ length: nTypes }, (_, i) => makeType(i)), NON_GPU_TYPE];
  }

  region(name: string): FakeRegion | undefined {
    return this.regions.find((r) => r.name === name);
  }

  type(name: string): FakeGpuType | undefined {
    return this.types.find((x) => x.instanceType === name);
  }

  /**
   * Is the type offered in the zone? Small types nearly everywhere, 8-GPU training types in about half
   * the zones, and every type in the region's first zone (so each type exists somewhere).
   */
  offered(region: string, zone: string, instanceType: string): boolean {
    const r = this.region(region);
    const ty = this.type(instanceType);
    if (!r || !ty || !r.zones.some((z) => z.name === zone)) return false;
    if (zone === LOCAL_ZONE.name) return instanceType === LOCAL_ZONE_TYPE;
    if (r.zones[0]?.name === zone) return true;
    const big = (ty.gpu?.count ?? 0) >= 8;
    return hash(`${zone}/${instanceType}`) % 10 < (big ? 5 : 8);
  }

  onDemandPrice(region: string, instanceType: string): number | null {
    const r = this.region(region);
    const ty = this.type(instanceType);
    if (!r || !ty) return null;
    return Math.round(ty.onDemand * r.priceFactor * 10000) / 10000;
  }

  /** The spot price in force in a zone (newest record), or null where the type has no spot market there. */
  spotPrice(region: string, zone: string, instanceType: string): number | null {
    const r = this.region(region);
    const ty = this.type(instanceType);
    if (!r || !ty || ty.spot === null || !this.offered(region, zone, instanceType)) return null;
    // Up to ±15 % between zones, stable per zone.
    const jitter = 0.85 + (hash(`spot/${zone}/${instanceType}`) % 31) / 100;
    return Math.round(ty.spot * r.priceFactor * jitter * 10000) / 10000;
  }
}

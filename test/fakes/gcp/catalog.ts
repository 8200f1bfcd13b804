// The Cloud Billing catalog of the fake world, as `services.skus.list` returns it: one SKU per
// (component, market, region) with the real description patterns, categories and pricing
// expressions (units as int64 strings, nanos as numbers), plus SKUs that a correct reader must
// ignore: commitments, a Windows licence, network egress with volume tiers, E2 cores, a "Preemptible"
// SKU whose usageType contradicts it, and filler to give the catalog realistic volume.
import { GPU_SKU_WORDS, HOST_SKU_WORDS, type RegionSpec, type World } from './world.js';

export type Sku = Record<string, unknown>;

const SERVICE = '6F81-5844-456A';
const EFFECTIVE = '2026-11-01T08:00:00.000Z';

function money(usd: number): { currencyCode: string; units: string; nanos: number } {
  const units = Math.floor(usd);
  return { currencyCode: 'USD', units: String(units), nanos: Math.round((usd - units) * 1e9) };
}

let counter = 0;
function skuId(seed: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const hex = (h.toString(16).toUpperCase() + (counter++).toString(16).toUpperCase()).padStart(12, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`;
}

export function makeSku(opts: {
  description: string;
  group: string;
  usageType: string;
  regions: string[];
  usd: number | Array<{ start: number; usd: number }>;
  unit?: 'h' | 'GiBy.h' | 'GiBy';
  family?: string;
}): Sku {
  const id = skuId(opts.description + opts.regions.join());
  const unit = opts.unit ?? 'h';
  const tiers = typeof opts.usd === 'number' ? [{ start: 0, usd: opts.usd }] : opts.usd;
  return {
    name: `services/${SERVICE}/skus/${id}`,
    skuId: id,
    description: opts.description,
    category: {
      serviceDisplayName: 'Compute Engine',
      resourceFamily: opts.family ?? 'Compute',
      resourceGroup: opts.group,
      usageType: opts.usageType,
    },
    serviceRegions: opts.regions,
    pricingInfo: [
      {
        summary: '',
        pricingExpression: {
          usageUnit: unit,
          displayQuantity: 1,
          tieredRates: tiers.map((t) => ({ startUsageAmount: t.start, unitPrice: money(t.usd) })),
          usageUnitDescription: unit === 'h' ? 'hour' : 'gibibyte hour',
          baseUnit: unit === 'h' ? 's' : 'By.s',
          baseUnitDescription: unit === 'h' ? 'second' : 'byte second',
          baseUnitConversionFactor: unit === 'h' ? 3600 : 3865470566400,
        },
        currencyConversionRate: 1,
        effectiveTime: EFFECTIVE,
      },
    ],
    serviceProviderName: 'Google',
    geoTaxonomy: { type: opts.regions.length > 1 ? 'MULTI_REGIONAL' : 'REGIONAL', regions: opts.regions },
  };
}

const round9 = (n: number): number => Math.round(n * 1e9) / 1e9;

function regionSkus(world: World, r: RegionSpec): Sku[] {
  const out: Sku[] = [];
  for (const [component, rates] of Object.entries(world.rates)) {
    const [kind, what] = component.split(':') as [string, string];
    const isGpu = kind === 'gpu';
    const base = isGpu
      ? `Nvidia ${GPU_SKU_WORDS[what]} GPU`
      : `${HOST_SKU_WORDS[what]} ${kind === 'core' ? 'Core' : 'Ram'}`;
    const group = isGpu ? 'GPU' : what === 'N1' ? 'N1Standard' : kind === 'core' ? 'CPU' : 'RAM';
    const unit = kind === 'ram' ? 'GiBy.h' : 'h';
    out.push(
      makeSku({
        description: `${base} running in ${r.location}`,
        group,
        usageType: 'OnDemand',
        regions: [r.name],
        usd: round9(rates.onDemand * r.factor),
        unit,
      }),
    );
    if (rates.spot !== null) {
      const spotDescription = isGpu
        ? `${base} attached to Spot Preemptible VMs running in ${r.location}`
        : `Spot Preemptible ${base} running in ${r.location}`;
      out.push(
        makeSku({
          description: spotDescription,
          group,
          usageType: 'Preemptible',
          regions: [r.name],
          usd: round9(rates.spot * r.factor),
          unit,
        }),
      );
    }
    // A commitment SKU for every component: same words, another usage type; must not be read as a price.
    out.push(
      makeSku({
        description: `Commitment v1: ${base} in ${r.location} for 1 Year`,
        group: 'Commit1Yr',
        usageType: 'Commit1Yr',
        regions: [r.name],
        usd: round9(rates.onDemand * r.factor * 0.63),
        unit,
      }),
    );
  }
  return out;
}

/** SKUs no GPU price may come from. */
function noise(regions: string[]): Sku[] {
  return [
    makeSku({
      description: 'Network Vpn Internet Egress from Americas to Africa',
      group: 'VPNInternetEgress',
      usageType: 'OnDemand',
      regions,
      unit: 'GiBy',
      family: 'Network',
      usd: [
        { start: 0, usd: 0.12 },
        { start: 1024, usd: 0.11 },
      ],
    }),
    makeSku({
      description: 'Licensing Fee for Windows Server 2022 Datacenter Edition on VM with 8 VCPU',
      group: 'Windows',
      usageType: 'OnDemand',
      regions,
      family: 'License',
      usd: 0.368,
    }),
    makeSku({
      description: 'E2 Instance Core running in Americas',
      group: 'CPU',
      usageType: 'OnDemand',
      regions,
      usd: 0.021811,
    }),
    // Contradiction: the words say spot, the usage type says on-demand. A reader must not take it.
    makeSku({
      description: 'Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas',
      group: 'GPU',
      usageType: 'OnDemand',
      regions,
      usd: 0.01,
    }),
  ];
}

function filler(n: number): Sku[] {
  return Array.from({ length: n }, (_, i) =>
    makeSku({
      description: `Storage PD Snapshot in Filler Location ${i}`,
      group: 'Storage',
      usageType: 'OnDemand',
      regions: [`filler-${i % 40}`],
      family: 'Storage',
      unit: 'GiBy',
      usd: 0.026,
    }),
  );
}

export function makeCatalog(world: World, fillerSkus: number): Sku[] {
  const skus = world.regions.flatMap((r) => regionSkus(world, r));
  skus.push(...noise(world.regions.map((r) => r.name)), ...filler(fillerSkus));
  // The real catalog is ordered by SKU id, which scatters related SKUs across pages.
  return skus.sort((a, b) => String(a.skuId).localeCompare(String(b.skuId)));
}

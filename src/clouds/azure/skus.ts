// Resource SKUs (Microsoft.Compute/skus) → the GPU VM sizes a subscription can deploy in one region, with
// their zones. Pure: the answer of one `resourceSkus.list({ filter: "location eq '<region>'" })` in, plain
// data out. Types are structural so that the SDK's ResourceSku, a JSON fixture and the fake all fit.
import type { GpuShape } from '../../core/model.js';
import { malformedAnswer } from './errors.js';
import { gpuFamilyOf, wholeGpuCount } from './gpu-families.js';

export interface ResourceSkuLike {
  readonly name?: string;
  readonly resourceType?: string;
  readonly family?: string;
  readonly locations?: readonly string[];
  readonly locationInfo?: readonly { readonly location?: string; readonly zones?: readonly string[] }[];
  readonly capabilities?: readonly { readonly name?: string; readonly value?: string }[];
  readonly restrictions?: readonly {
    readonly type?: string;
    readonly values?: readonly string[];
    readonly restrictionInfo?: { readonly locations?: readonly string[]; readonly zones?: readonly string[] };
    readonly reasonCode?: string;
  }[];
}

/** A GPU VM size deployable in one region. */
export interface GpuSku {
  name: string;
  region: string;
  /** Zones it can be deployed in; empty when the size is regional only (offers get zone null). */
  zones: string[];
  series: string;
  gpu: GpuShape;
  vcpus: number;
  memoryGiB: number;
  /** LowPriorityCapable: the size can run as Spot. Missing means unknown, taken as capable. */
  spotCapable: boolean;
}

export type SkuSkipReason =
  | 'unknown-gpu-family'
  | 'fractional-gpu'
  | 'no-gpu-count'
  | 'restricted-location'
  | 'restricted-all-zones'
  | 'other-location';

export interface SkuScan {
  skus: GpuSku[];
  /** SKUs with GPUs that did not become offers, by reason; zones removed by restrictions in `restrictedZones`. */
  skipped: Record<SkuSkipReason, number>;
  restrictedZones: number;
}

// Both reason codes mean "this subscription cannot deploy it here": NotAvailableForSubscription (capacity
// withheld from the subscription) and QuotaId (the subscription's offer type excludes the size).
const BLOCKING_REASONS = new Set(['NotAvailableForSubscription', 'QuotaId']);

function capability(sku: ResourceSkuLike, name: string): string | undefined {
  return sku.capabilities?.find((c) => c.name === name)?.value;
}

function numberCapability(sku: ResourceSkuLike, name: string): number | undefined {
  const raw = capability(sku, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) ? n : Number.NaN;
}

const same = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b;

/** Zones restricted for this subscription in the region, or 'all' when the whole location is. */
function restrictionsIn(sku: ResourceSkuLike, region: string): { location: boolean; zones: Set<string> } {
  const out = { location: false, zones: new Set<string>() };
  for (const r of sku.restrictions ?? []) {
    if (!r.reasonCode || !BLOCKING_REASONS.has(r.reasonCode)) continue;
    const locations = r.restrictionInfo?.locations ?? r.values ?? [];
    if (!locations.some((l) => same(l, region))) continue;
    if (r.type === 'Location') out.location = true;
    if (r.type === 'Zone') for (const z of r.restrictionInfo?.zones ?? []) out.zones.add(z);
  }
  return out;
}

export function emptySkuScan(): SkuScan {
  return {
    skus: [],
    skipped: {
      'unknown-gpu-family': 0,
      'fractional-gpu': 0,
      'no-gpu-count': 0,
      'restricted-location': 0,
      'restricted-all-zones': 0,
      'other-location': 0,
    },
    restrictedZones: 0,
  };
}

/**
 * The GPU sizes of one region. Non-VM resource types and sizes without GPUs are ignored silently; GPU
 * sizes that cannot become offers are counted by reason. A GPU size whose vCPUs or memory cannot be read
 * is a malformed answer and throws, rather than quietly dropping capacity from the market.
 */
export function scanResourceSkus(
  region: string,
  skus: Iterable<ResourceSkuLike>,
  into = emptySkuScan(),
): SkuScan {
  const want = region.toLowerCase();
  for (const sku of skus) {
    if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
    const reportedGpus = numberCapability(sku, 'GPUs');
    const resolved = gpuFamilyOf(sku.name);
    if (!resolved) {
      if (reportedGpus !== undefined && reportedGpus > 0) into.skipped['unknown-gpu-family']++;
      continue;
    }
    const info = sku.locationInfo?.find((l) => same(l.location, want));
    if (!info && !(sku.locations ?? []).some((l) => same(l, want))) {
      into.skipped['other-location']++;
      continue;
    }
    const vcpus = numberCapability(sku, 'vCPUs');
    const memoryGiB = numberCapability(sku, 'MemoryGB');
    if (vcpus === undefined || Number.isNaN(vcpus) || memoryGiB === undefined || Number.isNaN(memoryGiB)) {
      throw malformedAnswer(
        'resource SKU',
        `${sku.name} in ${region} has no numeric vCPUs/MemoryGB capability`,
      );
    }
    const gpus = reportedGpus !== undefined && !Number.isNaN(reportedGpus) ? reportedGpus : undefined;
    if (gpus === undefined && resolved.family.vcpusPerGpu === undefined) {
      into.skipped['no-gpu-count']++;
      continue;
    }
    const count = wholeGpuCount(resolved.family, gpus, vcpus);
    if (count === null) {
      into.skipped['fractional-gpu']++;
      continue;
    }
    const restricted = restrictionsIn(sku, want);
    if (restricted.location) {
      into.skipped['restricted-location']++;
      continue;
    }
    const allZones = [...(info?.zones ?? [])].sort();
    const zones = allZones.filter((z) => !restricted.zones.has(z));
    into.restrictedZones += allZones.length - zones.length;
    if (allZones.length > 0 && zones.length === 0) {
      into.skipped['restricted-all-zones']++;
      continue;
    }
    into.skus.push({
      name: sku.name,
      region: want,
      zones,
      series: resolved.family.series,
      gpu: { model: resolved.gpu.model, count, memoryGiB: resolved.gpu.memoryGiB },
      vcpus,
      memoryGiB,
      spotCapable: capability(sku, 'LowPriorityCapable')?.toLowerCase() !== 'false',
    });
  }
  return into;
}

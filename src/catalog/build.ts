// Builds the bundled price catalog (data/catalog/gpu-offers.json) from the normalized multi-cloud CSV.
// Run by `gpusched catalog build --source DIR --out FILE`; data/catalog/README.md says where the inputs come from.
//
// What the builder derives rather than copies:
// - GPUs are canonicalised through core/gpus.ts; rows whose GPU is unknown are skipped.
// - AWS rows carry the AZ *ID* (use1-az4); the offer gets a zone *name* from awsZoneName() and keeps the ID.
// - GCP T4/V100/P100/P4 rows price the GPUs alone; each becomes a whole VM with an N1 host (n1Host()).
// - Rows that sell a fraction of a GPU, have no on-demand price, or repeat a pool are skipped and counted.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { canonicalGpu, gpuLabel } from '../core/gpus.js';
import { CLOUDS, type CloudName, poolKey } from '../core/model.js';
import { CATALOG_COLUMNS, CATALOG_FORMAT, type CatalogFile, type CatalogRow } from './load.js';

export const CATALOG_CSV = 'multicloud_gpu_catalog.normalized.csv';
export const GCP_RAW_CSV = join('raw', 'gcp_vms.anycloud.2026-05-20.csv');

/** Why a source row is not in the catalog. */
export type SkipReason =
  | 'bad-row'
  | 'unknown-gpu'
  | 'fractional-gpu'
  | 'no-price'
  | 'no-on-demand-price'
  | 'no-n1-host-price'
  | 'unknown-aws-zone-id'
  | 'duplicate-pool';

/**
 * VM sizes that sell part of one GPU. A job sees a slice with a fraction of the memory, which an Offer (whole GPUs,
 * memory per GPU) cannot describe. Azure NVads A10 v5 says so with a fractional count (0.167, 0.333, 0.5); Azure
 * NVv4 (AMD MI25) does not: the source lists one GPU for each size, but NV4as/NV8as/NV16as_v4 get 1/8, 1/4 and 1/2
 * of it (only NV32as_v4 has a whole MI25).
 */
const PARTIAL_GPU_INSTANCE_TYPES: ReadonlySet<string> = new Set([
  'Standard_NV4as_v4',
  'Standard_NV8as_v4',
  'Standard_NV16as_v4',
]);

/**
 * The source names these GPUs 'H100', but Azure's NC H100 v5 and NCC H100 v5 carry the 94 GB H100 NVL, not the
 * 80 GB SXM part, and minMemoryGiB filtering should know.
 */
const GPU_OVERRIDES: Readonly<Record<string, string>> = {
  'azure/Standard_NC40ads_H100_v5': 'H100-NVL',
  'azure/Standard_NC80adis_H100_v5': 'H100-NVL',
  'azure/Standard_NCC40ads_H100_v5': 'H100-NVL',
};

/**
 * Zone name for an AWS AZ ID: the AZ number becomes the letter (use1-az1 → us-east-1a, usw2-az4 → us-west-2d).
 * Real accounts map IDs to names in their own shuffled way, which is why offers keep both; this mapping is only a
 * fixed, readable convention. It is taken from the ID alone, not from the rank of the IDs present in the data, so a
 * zone keeps its name when a rebuilt catalog gains or loses zones. Null for IDs that are not '<prefix>-az<n>'
 * (Local Zones, Wavelength).
 */
export function awsZoneName(region: string, zoneId: string): string | null {
  const m = /^[a-z]+\d+-az(\d+)$/.exec(zoneId);
  const n = m?.[1] === undefined ? Number.NaN : Number(m[1]);
  if (!Number.isInteger(n) || n < 1 || n > 26) return null;
  return region + String.fromCharCode(96 + n);
}

/**
 * The N1 host a GCP gpu-only row attaches to: n1-standard with 8 vCPUs (30 GB) per GPU, so 1/2/4/8 GPUs get
 * n1-standard-8/16/32/64. Eight vCPUs per GPU is what AWS sells with the same GPUs (p3.2xlarge: 1 V100, 8 vCPUs;
 * g4dn.2xlarge: 1 T4, 8 vCPUs), so offers compare like with like, and it is within GCP's per-GPU vCPU limits for
 * every N1 GPU (V100 allows 12 per GPU, the strictest).
 */
export function n1Host(gpuCount: number): string {
  return `n1-standard-${8 * gpuCount}`;
}

type CsvRecord = Record<string, string>;

function readCsv(path: string, required: readonly string[]): CsvRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`catalog source ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as CsvRecord[];
  const first = records[0];
  const missing = first ? required.filter((c) => !(c in first)) : [];
  if (missing.length > 0) throw new Error(`catalog source ${path}: missing columns ${missing.join(', ')}`);
  return records;
}

/** A price or size; empty, non-numeric and non-positive values are "absent". */
function positive(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** Sums of prices carry float noise (0.35 + 0.44 = 0.7899999...); six decimals is below any price step. */
function money(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

interface HostPrice {
  vcpus: number;
  memoryGiB: number;
  onDemand: number;
  spot: number | null;
}

/** n1-standard prices per (instance type, zone) from the raw GCP file. */
function readN1Hosts(path: string): Map<string, HostPrice> {
  const hosts = new Map<string, HostPrice>();
  const cols = ['InstanceType', 'vCPUs', 'MemoryGiB', 'AvailabilityZone', 'Price', 'SpotPrice'];
  for (const r of readCsv(path, cols)) {
    const type = r.InstanceType ?? '';
    if (!type.startsWith('n1-standard-')) continue;
    const vcpus = positive(r.vCPUs);
    const memoryGiB = positive(r.MemoryGiB);
    const onDemand = positive(r.Price);
    if (vcpus === null || memoryGiB === null || onDemand === null) continue;
    hosts.set(`${type}@${r.AvailabilityZone ?? ''}`, {
      vcpus,
      memoryGiB,
      onDemand,
      spot: positive(r.SpotPrice),
    });
  }
  return hosts;
}

const CSV_COLUMNS = [
  'cloud',
  'instance_type',
  'accelerator',
  'accelerator_count',
  'vcpus',
  'memory_gib',
  'region',
  'zone',
  'ondemand_usd_per_hr',
  'spot_usd_per_hr',
  'price_basis',
  'source',
];

export function compareRows(a: CatalogRow, b: CatalogRow): number {
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  const ka = [a[0], a[1], a[2] ?? '', a[4]];
  const kb = [b[0], b[1], b[2] ?? '', b[4]];
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] ?? '';
    const y = kb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Reads `<sourceDir>/multicloud_gpu_catalog.normalized.csv` (and, when it has GCP gpu-only rows,
 * `<sourceDir>/raw/gcp_vms.anycloud.2026-05-20.csv`) and returns the catalog: rows sorted by
 * cloud/region/zone/instance type, so that the same input always gives the same file.
 */
export function buildCatalog(sourceDir: string): CatalogFile {
  const records = readCsv(join(sourceDir, CATALOG_CSV), CSV_COLUMNS);
  const skipped: Record<string, number> = {};
  const skip = (reason: SkipReason): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const sources = new Set<string>();
  const byPool = new Map<string, CatalogRow>();
  let hosts: Map<string, HostPrice> | null = null;

  for (const r of records) {
    const cloud: CloudName | undefined = CLOUDS.find((c) => c === r.cloud);
    const region = r.region ?? '';
    const instanceType = r.instance_type ?? '';
    const count = Number(r.accelerator_count);
    if (!cloud || region === '' || instanceType === '' || !Number.isFinite(count) || count <= 0) {
      skip('bad-row');
      continue;
    }
    const gpu = canonicalGpu(GPU_OVERRIDES[`${cloud}/${instanceType}`] ?? r.accelerator ?? '');
    if (!gpu) {
      skip('unknown-gpu');
      continue;
    }
    if (!Number.isInteger(count) || PARTIAL_GPU_INSTANCE_TYPES.has(instanceType)) {
      skip('fractional-gpu');
      continue;
    }
    let onDemand = positive(r.ondemand_usd_per_hr);
    let spot = positive(r.spot_usd_per_hr);
    if (onDemand === null) {
      skip(spot === null ? 'no-price' : 'no-on-demand-price');
      continue;
    }

    let zone: string | null = r.zone === undefined || r.zone === '' ? null : r.zone;
    let zoneId: string | null = null;
    if (cloud === 'aws' && zone !== null) {
      zoneId = zone;
      zone = awsZoneName(region, zoneId);
      if (zone === null) {
        skip('unknown-aws-zone-id');
        continue;
      }
    }

    const label = gpuLabel(gpu);
    let type = instanceType;
    let vcpus = positive(r.vcpus);
    let memoryGiB = positive(r.memory_gib);
    if ((r.price_basis ?? '').startsWith('gpu-only')) {
      // Price of the GPUs alone: add the N1 host of the same zone, on-demand and spot, to price a whole VM.
      hosts ??= readN1Hosts(join(sourceDir, GCP_RAW_CSV));
      const hostType = n1Host(count);
      const host = zone === null ? undefined : hosts.get(`${hostType}@${zone}`);
      if (!host) {
        skip('no-n1-host-price');
        continue;
      }
      type = `${hostType}+${count}x${label}`;
      vcpus = host.vcpus;
      memoryGiB = host.memoryGiB;
      onDemand = money(onDemand + host.onDemand);
      spot = spot !== null && host.spot !== null ? money(spot + host.spot) : null;
    }
    if (vcpus === null || memoryGiB === null) {
      skip('bad-row');
      continue;
    }

    const row: CatalogRow = [
      cloud,
      region,
      zone,
      zoneId,
      type,
      label,
      count,
      vcpus,
      memoryGiB,
      onDemand,
      spot,
    ];
    // The market is not part of the key: one row carries both markets of a pool.
    const key = poolKey({ cloud, region, zone, instanceType: type, market: 'on-demand' });
    const seen = byPool.get(key);
    if (seen) {
      // The AWS source repeats some p4de pools, once with and once without a spot price: keep the fuller row.
      skip('duplicate-pool');
      if (seen[10] === null && spot !== null) byPool.set(key, row);
      continue;
    }
    byPool.set(key, row);
    if (r.source) sources.add(r.source);
  }

  const rows = [...byPool.values()].sort(compareRows);
  const sortedSkipped = Object.fromEntries(Object.entries(skipped).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    format: CATALOG_FORMAT,
    columns: CATALOG_COLUMNS,
    sources: [...sources].sort(),
    stats: { rowsIn: records.length, rowsOut: rows.length, skipped: sortedSkipped },
    rows,
  };
}

/** JSON with one row per line: compact, yet a price change shows as a one-line diff. */
export function serializeCatalog(file: CatalogFile): string {
  const rows = file.rows.map((row) => `    ${JSON.stringify(row)}`).join(',\n');
  return [
    '{',
    `  "format": ${JSON.stringify(file.format)},`,
    `  "columns": ${JSON.stringify(file.columns)},`,
    `  "sources": ${JSON.stringify(file.sources, null, 2).replace(/\n/g, '\n  ')},`,
    `  "stats": ${JSON.stringify(file.stats)},`,
    `  "rows": [\n${rows}\n  ]`,
    '}',
    '',
  ].join('\n');
}

export function writeCatalog(file: CatalogFile, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, serializeCatalog(file));
}

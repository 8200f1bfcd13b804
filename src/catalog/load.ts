// The bundled price catalog (data/catalog/gpu-offers.json): its file format and its reader. The format lives here,
// beside the reader, so that the daemon loads it without pulling in the CSV builder (catalog/build.ts).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Static, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { canonicalGpu } from '../core/gpus.js';
import type { Market, Offer } from '../core/model.js';

export const CATALOG_FORMAT = 'gpusched-catalog/1';

/**
 * One row per pool without market: both prices sit in one row, which keeps the file compact. `gpu` is a label
 * that core/gpus.ts canonicalises ('A100-80GB' → A100, 80 GiB per GPU); `zone` is the zone name (null for
 * regional Azure offers); `zoneId` is the AWS AZ ID, null elsewhere; `spot` is null where spot is not sold.
 */
export const CATALOG_COLUMNS = [
  'cloud',
  'region',
  'zone',
  'zoneId',
  'instanceType',
  'gpu',
  'gpuCount',
  'vcpus',
  'memoryGiB',
  'onDemand',
  'spot',
] as const;

const NonEmpty = Type.String({ minLength: 1 });
const Positive = Type.Number({ exclusiveMinimum: 0 });

const RowSchema = Type.Tuple([
  Type.Union([Type.Literal('aws'), Type.Literal('gcp'), Type.Literal('azure')]),
  NonEmpty,
  Type.Union([NonEmpty, Type.Null()]),
  Type.Union([NonEmpty, Type.Null()]),
  NonEmpty,
  NonEmpty,
  Type.Integer({ minimum: 1 }),
  Positive,
  Positive,
  Positive,
  Type.Union([Positive, Type.Null()]),
]);

export type CatalogRow = Static<typeof RowSchema>;

export interface CatalogStats {
  /** Rows of the source CSV. */
  rowsIn: number;
  /** Rows written (each gives an on-demand offer and, where `spot` is set, a spot offer). */
  rowsOut: number;
  /** Source rows left out, by reason (see catalog/build.ts). */
  skipped: Record<string, number>;
}

export interface CatalogFile {
  format: typeof CATALOG_FORMAT;
  columns: readonly string[];
  /** Origins of the prices, `owner/repo@commit:path`; the folder's README says more. */
  sources: string[];
  stats: CatalogStats;
  rows: CatalogRow[];
}

// The header is checked as a whole; rows one by one, so that an error can name the row.
const HeaderSchema = Type.Object({
  format: Type.Literal(CATALOG_FORMAT),
  columns: Type.Array(Type.String()),
  sources: Type.Array(Type.String()),
  stats: Type.Object({
    rowsIn: Type.Integer({ minimum: 0 }),
    rowsOut: Type.Integer({ minimum: 0 }),
    skipped: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  }),
  rows: Type.Array(Type.Unknown()),
});

function firstError(schema: TSchema, value: unknown): string {
  const e = Value.Errors(schema, value)[0];
  return e ? `${e.instancePath || '/'} ${e.message}` : 'invalid';
}

/** Reads and validates a catalog file; throws an Error naming the file (and the row index for a bad row). */
export function readCatalogFile(path: string): CatalogFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`catalog ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`catalog ${path}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Value.Check(HeaderSchema, data)) {
    throw new Error(`catalog ${path}: bad header: ${firstError(HeaderSchema, data)}`);
  }
  if (data.columns.join(',') !== CATALOG_COLUMNS.join(',')) {
    throw new Error(
      `catalog ${path}: columns must be ${CATALOG_COLUMNS.join(',')}, got ${data.columns.join(',')}`,
    );
  }
  const rows: CatalogRow[] = [];
  data.rows.forEach((row, i) => {
    if (!Value.Check(RowSchema, row)) {
      throw new Error(`catalog ${path}: row ${i}: ${firstError(RowSchema, row)}`);
    }
    if (canonicalGpu(row[5]) === null) {
      throw new Error(`catalog ${path}: row ${i}: unknown GPU '${row[5]}'`);
    }
    rows.push(row);
  });
  return { format: CATALOG_FORMAT, columns: CATALOG_COLUMNS, sources: data.sources, stats: data.stats, rows };
}

function offer(row: CatalogRow, market: Market, pricePerHour: number, observedAt: string): Offer {
  const [cloud, region, zone, zoneId, instanceType, gpuLabel, gpuCount, vcpus, memoryGiB] = row;
  // readCatalogFile has checked the label, so this never falls back in practice.
  const gpu = canonicalGpu(gpuLabel) ?? { model: gpuLabel, memoryGiB: 0 };
  return {
    cloud,
    region,
    zone,
    ...(zoneId !== null ? { zoneId } : {}),
    instanceType,
    gpu: { model: gpu.model, count: gpuCount, memoryGiB: gpu.memoryGiB },
    vcpus,
    memoryGiB,
    market,
    pricePerHour,
    observedAt,
    // A catalog knows prices, not capacity: availability is learned live (or simulated).
    availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
    source: 'catalog',
  };
}

/**
 * The catalog's offers: per row an on-demand offer and, where a spot price exists, a spot offer, all stamped with
 * `observedAt` (the caller decides what "now" is; the core has no clock).
 */
export function loadCatalog(path: string, observedAt: string): Offer[] {
  const offers: Offer[] = [];
  for (const row of readCatalogFile(path).rows) {
    offers.push(offer(row, 'on-demand', row[9], observedAt));
    const spot = row[10];
    if (spot !== null) offers.push(offer(row, 'spot', spot, observedAt));
  }
  return offers;
}

/**
 * data/catalog/gpu-offers.json in the package root, found from this module's own location: src/catalog/load.ts
 * (vitest) and dist/catalog/load.js (built) are both two levels below the root.
 */
export function defaultCatalogPath(): string {
  return fileURLToPath(new URL('../../data/catalog/gpu-offers.json', import.meta.url));
}

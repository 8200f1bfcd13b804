import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  awsZoneName,
  buildCatalog,
  CATALOG_CSV,
  n1Host,
  serializeCatalog,
  writeCatalog,
} from '../../src/catalog/build.js';
import { type CatalogRow, defaultCatalogPath, loadCatalog, readCatalogFile } from '../../src/catalog/load.js';
import { canonicalGpu, GPU_MODELS } from '../../src/core/gpus.js';
import { CLOUDS, type Offer, poolKey } from '../../src/core/model.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/catalog', import.meta.url));
const NOW = '2026-05-20T00:00:00.000Z';

const scratch = mkdtempSync(join(tmpdir(), 'gpusched-catalog-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function findRow(
  rows: readonly CatalogRow[],
  instanceType: string,
  zoneOrRegion: string,
): CatalogRow | undefined {
  return rows.find((r) => r[4] === instanceType && (r[2] === zoneOrRegion || r[1] === zoneOrRegion));
}

/** A copy of the fixture folder with the main CSV rewritten, for inputs the real data does not contain. */
function fixtureVariant(name: string, edit: (csv: string) => string, withRaw = true): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'raw'), { recursive: true });
  writeFileSync(join(dir, CATALOG_CSV), edit(readFileSync(join(FIXTURE, CATALOG_CSV), 'utf8')));
  if (withRaw) {
    const raw = join('raw', 'gcp_vms.anycloud.2026-05-20.csv');
    writeFileSync(join(dir, raw), readFileSync(join(FIXTURE, raw)));
  }
  return dir;
}

describe('awsZoneName', () => {
  it.each([
    ['us-east-1', 'use1-az1', 'us-east-1a'],
    ['us-east-1', 'use1-az4', 'us-east-1d'],
    ['us-west-2', 'usw2-az4', 'us-west-2d'],
    ['af-south-1', 'afs1-az2', 'af-south-1b'],
    ['us-east-1', 'use1-bos1-az1', null],
    ['us-east-1', 'us-east-1a', null],
  ])('names %s AZ ID %s as %s', (region, id, name) => {
    expect(awsZoneName(region, id)).toBe(name);
  });
});

describe('n1Host', () => {
  it.each([
    [1, 'n1-standard-8'],
    [2, 'n1-standard-16'],
    [4, 'n1-standard-32'],
    [8, 'n1-standard-64'],
  ])('gives %i GPUs an %s host (8 vCPUs per GPU)', (count, host) => {
    expect(n1Host(count)).toBe(host);
  });
});

describe('buildCatalog on the fixture', () => {
  const file = buildCatalog(FIXTURE);
  const rows = file.rows;

  it('counts rows in, rows out and every skipped row by reason', () => {
    expect(file.stats).toEqual({
      rowsIn: 17,
      rowsOut: 11,
      skipped: {
        'duplicate-pool': 1,
        'fractional-gpu': 2,
        'no-n1-host-price': 1,
        'no-on-demand-price': 1,
        'no-price': 1,
      },
    });
    expect(rows).toHaveLength(11);
  });

  it('keeps the AWS AZ ID and names the zone after the AZ number', () => {
    expect(findRow(rows, 'g4dn.xlarge', 'us-east-1a')).toEqual([
      'aws',
      'us-east-1',
      'us-east-1a',
      'use1-az1',
      'g4dn.xlarge',
      'T4',
      1,
      4,
      16,
      0.526,
      0.2025,
    ]);
    expect(findRow(rows, 'g4dn.xlarge', 'us-east-1d')?.[3]).toBe('use1-az4');
  });

  it('keeps one row of a repeated pool, the one that has a spot price', () => {
    const p4de = rows.filter((r) => r[4] === 'p4de.24xlarge');
    expect(p4de).toEqual([
      [
        'aws',
        'us-east-1',
        'us-east-1d',
        'use1-az4',
        'p4de.24xlarge',
        'A100-80GB',
        8,
        96,
        1152,
        40.96575,
        5.8171,
      ],
    ]);
  });

  it('leaves out rows without an on-demand price, even when they have a spot price', () => {
    expect(rows.some((r) => r[4] === 'p5e.48xlarge')).toBe(false);
  });

  it('prices a GCP gpu-only row as a whole VM: GPU plus the N1 host of the same zone, per market', () => {
    expect(findRow(rows, 'n1-standard-8+1xT4', 'us-central1-c')).toEqual([
      'gcp',
      'us-central1',
      'us-central1-c',
      null,
      'n1-standard-8+1xT4',
      'T4',
      1,
      8,
      30,
      0.73,
      0.30494,
    ]);
    expect(findRow(rows, 'n1-standard-16+2xT4', 'us-central1-c')).toEqual([
      'gcp',
      'us-central1',
      'us-central1-c',
      null,
      'n1-standard-16+2xT4',
      'T4',
      2,
      16,
      60,
      1.46,
      0.60988,
    ]);
    expect(findRow(rows, 'n1-standard-8+1xV100', 'us-central1-c')?.slice(9)).toEqual([2.86, 1.37954]);
  });

  it('skips a gpu-only row whose N1 host has no price in that zone', () => {
    expect(rows.some((r) => r[4].includes('8xV100'))).toBe(false);
  });

  it('copies GCP whole-VM rows and keeps an empty spot price as null', () => {
    expect(findRow(rows, 'a2-highgpu-1g', 'us-central1-c')?.slice(5)).toEqual([
      'A100',
      1,
      12,
      85,
      3.67339,
      1.80385,
    ]);
    expect(findRow(rows, 'a3-ultragpu-8g', 'us-east5-a')?.[10]).toBeNull();
  });

  it('keeps Azure rows regional (zone null) and knows the 94 GB H100 NVL', () => {
    const azure = rows.filter((r) => r[0] === 'azure');
    expect(azure.map((r) => [r[1], r[2], r[4], r[5]])).toEqual([
      ['eastus', null, 'Standard_NC24ads_A100_v4', 'A100-80GB'],
      ['eastus', null, 'Standard_NC40ads_H100_v5', 'H100-94GB'],
      ['jioindiawest', null, 'Standard_NC24ads_A100_v4', 'A100-80GB'],
    ]);
    expect(findRow(azure, 'Standard_NC24ads_A100_v4', 'jioindiawest')?.[10]).toBeNull();
  });

  it('leaves out VM sizes that sell part of a GPU', () => {
    expect(rows.some((r) => r[4] === 'Standard_NV6ads_A10_v5' || r[4] === 'Standard_NV4as_v4')).toBe(false);
  });

  it('lists the sources of the rows it kept', () => {
    expect(file.sources).toEqual([
      'anycloud-sh/catalog@62ff0a987e0c257a89235415d2877812fb1aaf29:azure/vms.csv',
      'anycloud-sh/catalog@62ff0a987e0c257a89235415d2877812fb1aaf29:gcp/vms.csv',
      'skypilot-org/skypilot-catalog@27f67dd4e1bc0d35fa0ec075180ad54b230882c4:catalogs/v7/aws/vms.csv',
    ]);
  });

  it('is deterministic and sorted by cloud, region, zone and instance type', () => {
    expect(serializeCatalog(buildCatalog(FIXTURE))).toBe(serializeCatalog(file));
    const keys = rows.map((r) => [r[0], r[1], r[2] ?? '', r[4]].join('\u0000'));
    expect(keys).toEqual([...keys].sort());
  });
});

describe('buildCatalog on bad input', () => {
  it('skips and counts a row whose GPU it does not know', () => {
    const dir = fixtureVariant('unknown-gpu', (csv) =>
      csv.replace('aws,g4dn.xlarge,T4,', 'aws,g4dn.xlarge,TPU-V9,'),
    );
    expect(buildCatalog(dir).stats.skipped['unknown-gpu']).toBe(1);
  });

  it('names the raw GCP file when gpu-only rows need it and it is missing', () => {
    const dir = fixtureVariant('no-raw', (csv) => csv, false);
    expect(() => buildCatalog(dir)).toThrow(/gcp_vms\.anycloud\.2026-05-20\.csv/);
  });

  it('names the file when a required column is missing', () => {
    const dir = fixtureVariant('no-column', (csv) => csv.replace('spot_usd_per_hr', 'spot'));
    expect(() => buildCatalog(dir)).toThrow(
      /multicloud_gpu_catalog\.normalized\.csv: missing columns spot_usd_per_hr/,
    );
  });
});

describe('loadCatalog', () => {
  const path = join(scratch, 'fixture-offers.json');
  writeCatalog(buildCatalog(FIXTURE), path);
  const offers = loadCatalog(path, NOW);

  it('gives an on-demand offer per row and a spot offer where a spot price exists', () => {
    expect(offers.filter((o) => o.market === 'on-demand')).toHaveLength(11);
    expect(offers.filter((o) => o.market === 'spot')).toHaveLength(9);
  });

  it('builds complete offers with per-GPU memory from the canonical table', () => {
    const spot = offers.find((o) => o.instanceType === 'p4de.24xlarge' && o.market === 'spot');
    expect(spot).toEqual({
      cloud: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1d',
      zoneId: 'use1-az4',
      instanceType: 'p4de.24xlarge',
      gpu: { model: 'A100', count: 8, memoryGiB: 80 },
      vcpus: 96,
      memoryGiB: 1152,
      market: 'spot',
      pricePerHour: 5.8171,
      observedAt: NOW,
      availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
      source: 'catalog',
    } satisfies Offer);
    const nvl = offers.find((o) => o.instanceType === 'Standard_NC40ads_H100_v5');
    expect(nvl?.gpu).toEqual({ model: 'H100', count: 1, memoryGiB: 94 });
    expect(nvl && 'zoneId' in nvl).toBe(false);
  });

  it('gives every offer its own availability object', () => {
    const [a, b] = offers;
    expect(a?.availability).not.toBe(b?.availability);
  });

  function brokenCatalog(name: string, edit: (data: Record<string, unknown>) => void): string {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(data);
    const p = join(scratch, `${name}.json`);
    writeFileSync(p, JSON.stringify(data));
    return p;
  }

  it.each([
    ['a negative price', 3, 9, -1],
    ['a fractional GPU count', 5, 6, 0.5],
    ['an unknown cloud', 7, 0, 'oci'],
    ['a missing region', 2, 1, ''],
  ])('rejects %s and names the file and the row', (_what, index, column, value) => {
    const p = brokenCatalog(`bad-row-${index}`, (data) => {
      const row = (data.rows as unknown[][])[index];
      if (row) row[column] = value;
    });
    expect(() => loadCatalog(p, NOW)).toThrow(`catalog ${p}: row ${index}:`);
  });

  it('rejects a row with an unknown GPU label, naming the row', () => {
    const p = brokenCatalog('bad-gpu', (data) => {
      const row = (data.rows as unknown[][])[4];
      if (row) row[5] = 'TPU-V9';
    });
    expect(() => loadCatalog(p, NOW)).toThrow(`catalog ${p}: row 4: unknown GPU 'TPU-V9'`);
  });

  it('rejects columns in another order', () => {
    const p = brokenCatalog('bad-columns', (data) => {
      data.columns = ['region', 'cloud'];
    });
    expect(() => loadCatalog(p, NOW)).toThrow(`catalog ${p}: columns must be`);
  });

  it('rejects another format and a file that is not JSON', () => {
    const p = brokenCatalog('bad-format', (data) => {
      data.format = 'something-else/2';
    });
    expect(() => loadCatalog(p, NOW)).toThrow(`catalog ${p}: bad header`);
    const notJson = join(scratch, 'not.json');
    writeFileSync(notJson, '{"format":');
    expect(() => loadCatalog(notJson, NOW)).toThrow(`catalog ${notJson}: not JSON`);
    expect(() => loadCatalog(join(scratch, 'absent.json'), NOW)).toThrow(/cannot read/);
  });
});

describe('the bundled catalog (data/catalog/gpu-offers.json)', () => {
  const path = defaultCatalogPath();

  it('sits at data/catalog/gpu-offers.json in the package root', () => {
    expect(path.endsWith(join('data', 'catalog', 'gpu-offers.json'))).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  const file = readCatalogFile(path);
  const offers = loadCatalog(path, NOW);

  it('has offers from all three clouds', () => {
    for (const cloud of CLOUDS)
      expect(
        offers.some((o) => o.cloud === cloud),
        cloud,
      ).toBe(true);
  });

  it('has one offer per pool', () => {
    const keys = offers.map(poolKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names every GPU canonically, with the memory of one of its variants', () => {
    for (const o of offers) {
      const info = GPU_MODELS[o.gpu.model];
      expect(info, o.gpu.model).toBeDefined();
      expect(info?.memoryGiB).toContain(o.gpu.memoryGiB);
      expect(canonicalGpu(o.gpu.model)?.model).toBe(o.gpu.model);
      expect(Number.isInteger(o.gpu.count) && o.gpu.count >= 1).toBe(true);
    }
  });

  it('has positive prices and shapes', () => {
    for (const o of offers) {
      expect(o.pricePerHour).toBeGreaterThan(0);
      expect(o.vcpus).toBeGreaterThan(0);
      expect(o.memoryGiB).toBeGreaterThan(0);
    }
  });

  it('keeps AWS AZ IDs beside zone names, regional Azure offers and zonal GCP offers', () => {
    for (const o of offers) {
      if (o.cloud === 'aws')
        expect(o.zone?.startsWith(o.region) && /-az\d+$/.test(o.zoneId ?? '')).toBe(true);
      if (o.cloud === 'gcp') expect(o.zone?.startsWith(`${o.region}-`)).toBe(true);
      if (o.cloud === 'azure') expect(o.zone).toBeNull();
    }
  });

  it('prices spot at or below on-demand for almost every pool', () => {
    const withSpot = file.rows.filter((r) => r[10] !== null);
    const cheaper = withSpot.filter((r) => (r[10] ?? Number.POSITIVE_INFINITY) <= r[9]);
    expect(withSpot.length).toBeGreaterThan(1000);
    expect(cheaper.length / withSpot.length).toBeGreaterThan(0.99);
  });

  it('accounts for every source row', () => {
    const skipped = Object.values(file.stats.skipped).reduce((a, b) => a + b, 0);
    expect(file.stats.rowsOut).toBe(file.rows.length);
    expect(file.stats.rowsOut + skipped).toBe(file.stats.rowsIn);
  });

  it('stays small enough to commit', () => {
    expect(readFileSync(path).length).toBeLessThan(400 * 1024);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GPU_FAMILIES, gpuFamilyOf, wholeGpuCount } from '../../src/clouds/azure/gpu-families.js';
import { type ResourceSkuLike, scanResourceSkus } from '../../src/clouds/azure/skus.js';
import { isCloudError } from '../../src/clouds/errors.js';
import { canonicalGpu } from '../../src/core/gpus.js';

type Restriction = NonNullable<ResourceSkuLike['restrictions']>[number];

function sku(
  name: string,
  over: Partial<ResourceSkuLike> = {},
  caps: Record<string, string> = {},
): ResourceSkuLike {
  const capabilities = { vCPUs: '4', MemoryGB: '28', GPUs: '1', LowPriorityCapable: 'True', ...caps };
  return {
    resourceType: 'virtualMachines',
    name,
    locations: ['eastus'],
    locationInfo: [{ location: 'eastus', zones: ['3', '1', '2'] }],
    capabilities: Object.entries(capabilities).map(([n, value]) => ({ name: n, value })),
    restrictions: [],
    ...over,
  };
}

const restriction = (
  type: 'Location' | 'Zone',
  reasonCode: string,
  location = 'eastus',
  zones?: string[],
): Restriction => ({
  type,
  values: [location],
  restrictionInfo: { locations: [location], ...(zones ? { zones } : {}) },
  reasonCode,
});

describe('the Azure GPU family table', () => {
  it('names only GPUs the canonical GPU table knows', () => {
    for (const f of GPU_FAMILIES) expect(canonicalGpu(f.gpu), f.series).not.toBeNull();
  });

  it.each([
    ['Standard_NC4as_T4_v3', 'NCasT4_v3', 'T4', 16],
    ['Standard_NC64as_T4_v3', 'NCasT4_v3', 'T4', 16],
    ['Standard_NC6s_v3', 'NCv3', 'V100', 16],
    ['Standard_NC24rs_v3', 'NCv3', 'V100', 16],
    ['Standard_NC24ads_A100_v4', 'NC_A100_v4', 'A100', 80],
    ['Standard_NC8ads_A10_v4', 'NCads_A10_v4', 'A10', 24],
    ['Standard_NC40ads_H100_v5', 'NCads_H100_v5', 'H100', 94],
    ['Standard_NC80adis_H100_v5', 'NCads_H100_v5', 'H100', 94],
    ['Standard_NCC40ads_H100_v5', 'NCCads_H100_v5', 'H100', 94],
    ['Standard_ND40rs_v2', 'NDv2', 'V100', 32],
    ['Standard_ND96asr_v4', 'ND96asr_v4', 'A100', 40],
    ['Standard_ND96amsr_A100_v4', 'NDm_A100_v4', 'A100', 80],
    ['Standard_ND96isr_H100_v5', 'ND_H100_v5', 'H100', 80],
    ['Standard_ND96isr_H200_v5', 'ND_H200_v5', 'H200', 141],
    ['Standard_ND96isr_MI300X_v5', 'ND_MI300X_v5', 'MI300X', 192],
    ['Standard_NV36ads_A10_v5', 'NVadsA10_v5', 'A10', 24],
    ['Standard_NV36adms_A10_v5', 'NVadsA10_v5', 'A10', 24],
    ['Standard_NV12s_v3', 'NVv3', 'M60', 8],
    ['Standard_NV32as_v4', 'NVv4', 'MI25', 16],
  ])('maps %s (series %s) to %s with %i GiB', (name, series, model, memoryGiB) => {
    const r = gpuFamilyOf(name);
    expect(r?.family.series).toBe(series);
    expect(r?.gpu).toEqual({ model, memoryGiB });
  });

  it.each(['Standard_D4s_v5', 'Standard_NP10s', 'Standard_NC4as_T4_v4', 'standard_nc4as_t4_v3'])(
    'knows no GPU for %s',
    (name) => expect(gpuFamilyOf(name)).toBeNull(),
  );

  it.each([
    ['Standard_NV6ads_A10_v5', 6, null],
    ['Standard_NV12ads_A10_v5', 12, null],
    ['Standard_NV18ads_A10_v5', 18, null],
    ['Standard_NV36ads_A10_v5', 36, 1],
    ['Standard_NV72ads_A10_v5', 72, 2],
    ['Standard_NV4as_v4', 4, null],
    ['Standard_NV32as_v4', 32, 1],
  ])('counts whole GPUs of the partitioned size %s (%i vCPUs): %s', (name, vcpus, count) => {
    const r = gpuFamilyOf(name);
    // Resource SKUs report "1" GPU for the partial sizes; the vCPU count decides.
    expect(r && wholeGpuCount(r.family, 1, vcpus)).toBe(count);
  });
});

describe('scanning Resource SKUs of a region', () => {
  it('turns a GPU size into a GpuSku with capabilities and sorted zones', () => {
    const scan = scanResourceSkus('eastus', [sku('Standard_NC4as_T4_v3')]);
    expect(scan.skus).toEqual([
      {
        name: 'Standard_NC4as_T4_v3',
        region: 'eastus',
        zones: ['1', '2', '3'],
        series: 'NCasT4_v3',
        gpu: { model: 'T4', count: 1, memoryGiB: 16 },
        vcpus: 4,
        memoryGiB: 28,
        spotCapable: true,
      },
    ]);
  });

  it('ignores other resource types and sizes without GPUs, silently', () => {
    const scan = scanResourceSkus('eastus', [
      { ...sku('Premium_LRS'), resourceType: 'disks' },
      sku('Standard_D4s_v5', {}, { GPUs: '0' }),
      sku('Standard_NP10s', { capabilities: [{ name: 'vCPUs', value: '10' }] }),
    ]);
    expect(scan.skus).toEqual([]);
    expect(Object.values(scan.skipped).every((n) => n === 0)).toBe(true);
  });

  it('counts a GPU size missing from the family table, so the table can be extended', () => {
    const scan = scanResourceSkus('eastus', [sku('Standard_NG32ads_V620_v1', {}, { GPUs: '1' })]);
    expect(scan.skus).toEqual([]);
    expect(scan.skipped['unknown-gpu-family']).toBe(1);
  });

  it('skips fractional A10 sizes with a counted reason', () => {
    const scan = scanResourceSkus('eastus', [
      sku('Standard_NV6ads_A10_v5', {}, { vCPUs: '6' }),
      sku('Standard_NV36ads_A10_v5', {}, { vCPUs: '36' }),
    ]);
    expect(scan.skus.map((s) => s.name)).toEqual(['Standard_NV36ads_A10_v5']);
    expect(scan.skipped['fractional-gpu']).toBe(1);
  });

  it.each(['NotAvailableForSubscription', 'QuotaId'])(
    'removes a size restricted in the location (%s)',
    (reason) => {
      const scan = scanResourceSkus('eastus', [
        sku('Standard_NC4as_T4_v3', { restrictions: [restriction('Location', reason)] }),
      ]);
      expect(scan.skus).toEqual([]);
      expect(scan.skipped['restricted-location']).toBe(1);
    },
  );

  it('removes only the restricted zones of a zone restriction', () => {
    const r = restriction('Zone', 'NotAvailableForSubscription', 'eastus', ['3']);
    const scan = scanResourceSkus('eastus', [sku('Standard_NC4as_T4_v3', { restrictions: [r] })]);
    expect(scan.skus[0]?.zones).toEqual(['1', '2']);
    expect(scan.restrictedZones).toBe(1);
  });

  it('drops a size whose every zone is restricted', () => {
    const r = restriction('Zone', 'NotAvailableForSubscription', 'eastus', ['1', '2', '3']);
    const scan = scanResourceSkus('eastus', [sku('Standard_NC4as_T4_v3', { restrictions: [r] })]);
    expect(scan.skus).toEqual([]);
    expect(scan.skipped['restricted-all-zones']).toBe(1);
  });

  it('ignores restrictions of another location', () => {
    const scan = scanResourceSkus('eastus', [
      sku('Standard_NC4as_T4_v3', {
        restrictions: [restriction('Location', 'NotAvailableForSubscription', 'westus2')],
      }),
    ]);
    expect(scan.skus).toHaveLength(1);
  });

  it('keeps a regional-only size with no zones', () => {
    const scan = scanResourceSkus('eastus', [
      sku('Standard_NV12s_v3', { locationInfo: [{ location: 'eastus', zones: [] }] }),
    ]);
    expect(scan.skus[0]?.zones).toEqual([]);
  });

  it('matches the location case-insensitively', () => {
    const scan = scanResourceSkus('EastUS', [
      sku('Standard_NC4as_T4_v3', { locationInfo: [{ location: 'EastUS', zones: ['1'] }] }),
    ]);
    expect(scan.skus[0]?.region).toBe('eastus');
  });

  it('marks a size that cannot run as Spot', () => {
    const scan = scanResourceSkus('eastus', [
      sku('Standard_NC4as_T4_v3', {}, { LowPriorityCapable: 'False' }),
    ]);
    expect(scan.skus[0]?.spotCapable).toBe(false);
  });

  it('refuses a GPU size whose vCPUs are unreadable, rather than losing it quietly', () => {
    let caught: unknown;
    try {
      scanResourceSkus('eastus', [sku('Standard_NC4as_T4_v3', {}, { vCPUs: 'four' })]);
    } catch (e) {
      caught = e;
    }
    expect(isCloudError(caught, 'Transient')).toBe(true);
    expect((caught as Error).message).toMatch(/malformed resource SKU: Standard_NC4as_T4_v3/);
  });
});

describe('the real ResourceSkus example (test/fixtures/azure)', () => {
  const fixture = JSON.parse(
    readFileSync(
      new URL('../fixtures/azure/compute.resourceSkus.list.example.json', import.meta.url),
      'utf8',
    ),
  ) as { responses: { 200: { body: { value: ResourceSkuLike[] } } } };
  const value = fixture.responses[200].body.value;

  it('parses: its sizes have no GPUs, so no offers and nothing counted as skipped', () => {
    const scan = scanResourceSkus('westus', value);
    expect(scan.skus).toEqual([]);
    expect(Object.values(scan.skipped).every((n) => n === 0)).toBe(true);
  });

  it('reads zones and capabilities in its exact shape when the size is a GPU one', () => {
    const a1 = value[1]!;
    const gpuSku: ResourceSkuLike = {
      ...a1,
      name: 'Standard_NC4as_T4_v3',
      capabilities: [...(a1.capabilities ?? []), { name: 'GPUs', value: '1' }],
    };
    const scan = scanResourceSkus('westus', [gpuSku]);
    expect(scan.skus[0]).toMatchObject({
      zones: ['1', '2', '3'],
      vcpus: 1,
      memoryGiB: 1.75,
      spotCapable: true,
    });
  });
});

// nvidia-smi output from real machines (test/fixtures/nvidia-smi/README.md says where each sample comes from).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuQueryArgs, mergeGpus, parseGpuList, parseGpuQuery } from '../../src/agent/telemetry.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../fixtures/nvidia-smi', name), 'utf8');

describe('the query nvidia-smi is asked', () => {
  it('names the columns in the order the parser reads them, without header or units', () => {
    expect(gpuQueryArgs()).toEqual([
      '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw',
      '--format=csv,noheader,nounits',
    ]);
  });
});

describe('reading --query-gpu output', () => {
  it('reads every GPU of an 8× H100 node', () => {
    const { items, problems } = parseGpuQuery(fixture('h100-8x.query.csv'));
    expect(problems).toEqual([]);
    expect(items.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(items[0]).toEqual({
      index: 0,
      uuid: 'GPU-e5f404f3-cc2a-cf0c-219f-dcf1a4e223f2',
      name: 'NVIDIA H100 80GB HBM3',
      utilizationPercent: 100,
      memoryUsedMiB: 26980,
      memoryTotalMiB: 81559,
      temperatureC: 41,
      powerDrawW: 362,
    });
    // The hot one: GPU 6 ran at 86 °C drawing 226 W.
    expect(items[6]).toMatchObject({ temperatureC: 86, powerDrawW: 226, utilizationPercent: 100 });
  });

  it('gives no utilization for a GPU in MIG mode ([N/A]) but keeps its other readings', () => {
    const { items, problems } = parseGpuQuery(fixture('a100-sxm4-80gb-mig.query.csv'));
    expect(problems).toEqual([]);
    expect(items).toEqual([
      {
        index: 0,
        uuid: 'GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16',
        name: 'NVIDIA A100-SXM4-80GB',
        utilizationPercent: null,
        memoryUsedMiB: 36537,
        memoryTotalMiB: 81920,
        temperatureC: 33,
        powerDrawW: 87,
      },
    ]);
  });

  it.each([
    ['[N/A]', null],
    ['N/A', null],
    ['[Not Supported]', null],
    ['[Unknown Error]', null],
    ['587.47', 587.47],
    ['garbage', null],
  ])('reads the power cell %s as %s', (cell, watts) => {
    const { items } = parseGpuQuery(`0, GPU-x, NVIDIA L4, 0, 0, 23034, 40, ${cell}\n`);
    expect(items[0]?.powerDrawW).toBe(watts);
  });

  it('keeps a comma inside a GPU name', () => {
    const { items } = parseGpuQuery('0, GPU-x, Tesla T4, rev 2, 5, 100, 15360, 40, 27.5\n');
    expect(items[0]).toMatchObject({ name: 'Tesla T4, rev 2', utilizationPercent: 5, powerDrawW: 27.5 });
  });

  it('reports lines it cannot read, and reads the rest', () => {
    const { items, problems } = parseGpuQuery(
      [
        'No devices were found',
        'x, GPU-y, NVIDIA L4, 0, 0, 1, 2, 3',
        '1, GPU-z, NVIDIA L4, 1, 2, 3, 4, 5',
        '',
      ].join('\n'),
    );
    expect(items.map((g) => g.uuid)).toEqual(['GPU-z']);
    expect(problems).toEqual([
      'line 1: expected 8 columns, got 1: No devices were found',
      'line 2: index "x" is not a GPU index',
    ]);
  });
});

describe('reading nvidia-smi -L', () => {
  it('lists whole GPUs with their UUIDs and no MIG devices', () => {
    const { items, problems } = parseGpuList(fixture('h100-8x.list.txt'));
    expect(problems).toEqual([]);
    expect(items).toHaveLength(8);
    expect(items[7]).toEqual({
      index: 7,
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-f65a6ec2-ce6f-ba6c-d4c2-8ca414d6e709',
      mig: [],
    });
  });

  it.each([
    ['an A100-SXM4-80GB', 'a100-sxm4-80gb-mig.list.txt', 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e'],
    ['an A100 80GB PCIe on Azure', 'a100-80gb-pcie-mig.list.txt', 'MIG-c1d3d074-7dc1-5e89-8a5f-6d0b08327092'],
  ])('lists the seven 1g.10gb MIG devices of %s under their GPU', (_what, file, firstUuid) => {
    const { items, problems } = parseGpuList(fixture(file));
    expect(problems).toEqual([]);
    expect(items).toHaveLength(1);
    expect(items[0]!.mig.map((d) => [d.profile, d.device])).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((n) => ['1g.10gb', n]),
    );
    expect(items[0]!.mig[0]!.uuid).toBe(firstUuid);
  });

  it('keeps MIG devices with their own GPU when MIG and whole GPUs (and a display GPU) share a machine', () => {
    const { items, problems } = parseGpuList(fixture('dgx-station-a100-mixed.list.txt'));
    expect(problems).toEqual([]);
    expect(items.map((g) => [g.index, g.name, g.mig.length])).toEqual([
      [0, 'NVIDIA A100-SXM4-80GB', 7],
      [1, 'NVIDIA A100-SXM4-80GB', 0],
      [2, 'NVIDIA DGX Display', 0],
      [3, 'NVIDIA A100-SXM4-80GB', 0],
    ]);
  });

  it('reads the older MIG UUID form and compute-instance profiles', () => {
    // Written for this test (not a capture): R450 drivers named a MIG device MIG-GPU-<gpu uuid>/<gi>/<ci>, and a
    // compute instance smaller than its GPU instance has a profile like 1c.3g.20gb.
    const { items } = parseGpuList(
      [
        'GPU 0: A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)',
        '  MIG 1c.3g.20gb Device 0: (UUID: MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/0)',
      ].join('\n'),
    );
    expect(items[0]!.mig).toEqual([
      { profile: '1c.3g.20gb', device: 0, uuid: 'MIG-GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77/1/0' },
    ]);
  });

  it('reports a MIG line with no GPU above it, and any other line, as problems', () => {
    const { items, problems } = parseGpuList(
      '  MIG 1g.10gb     Device  0: (UUID: MIG-a)\nFailed to initialize NVML\n',
    );
    expect(items).toEqual([]);
    expect(problems).toHaveLength(2);
  });
});

describe('readings joined with the listing', () => {
  it('attaches MIG devices by GPU UUID', () => {
    const readings = parseGpuQuery(fixture('a100-sxm4-80gb-mig.query.csv')).items;
    const listed = parseGpuList(fixture('a100-sxm4-80gb-mig.list.txt')).items;
    const [gpu] = mergeGpus(readings, listed);
    expect(gpu!.mig).toHaveLength(7);
    expect(gpu!.utilizationPercent).toBeNull();
  });

  it('gives a GPU the listing does not show an empty MIG list', () => {
    const readings = parseGpuQuery(fixture('h100-8x.query.csv')).items;
    expect(mergeGpus(readings, []).every((g) => g.mig.length === 0)).toBe(true);
  });
});

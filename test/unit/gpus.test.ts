import { describe, expect, it } from 'vitest';
import {
  canonicalGpu,
  GPU_MODEL_NAMES,
  GPU_MODELS,
  gpuInfo,
  gpuLabel,
  gpuMatches,
  isKnownGpuModel,
} from '../../src/core/gpus.js';

// Every accelerator name in the shared multicloud catalog (catalog/multicloud_gpu_catalog.normalized.csv).
const CATALOG_ACCELERATORS = [
  'A100',
  'A100-80GB',
  'A10G',
  'A10',
  'B200',
  'H100',
  'H100-MEGA',
  'H200',
  'L4',
  'L40S',
  'M60',
  'MI25',
  'MI300X',
  'P100',
  'P4',
  'T4',
  'V100',
  'V100-32GB',
];

describe('canonicalGpu', () => {
  it.each([
    ['A100', 'A100', 40],
    ['a100', 'A100', 40],
    ['A100-40GB', 'A100', 40],
    ['A100-80GB', 'A100', 80],
    ['a100-80gb', 'A100', 80],
    ['A100 80GB', 'A100', 80],
    ['H100', 'H100', 80],
    ['H100-MEGA', 'H100', 80],
    ['H100-NVL', 'H100', 94],
    ['H100-94GB', 'H100', 94],
    ['H200', 'H200', 141],
    ['B200', 'B200', 180],
    ['L4', 'L4', 24],
    ['L40S', 'L40S', 48],
    ['A10', 'A10', 24],
    ['A10G', 'A10G', 24],
    ['T4', 'T4', 16],
    ['V100', 'V100', 16],
    ['V100-32GB', 'V100', 32],
    ['P100', 'P100', 16],
    ['P4', 'P4', 8],
    ['M60', 'M60', 8],
    ['MI25', 'MI25', 16],
    ['MI300X', 'MI300X', 192],
    ['nvidia-tesla-t4', 'T4', 16],
    ['nvidia-a100-80gb', 'A100', 80],
    ['nvidia-h100-mega-80gb', 'H100', 80],
    ['nvidia-h200-141gb', 'H200', 141],
    ['Tesla V100', 'V100', 16],
    ['AMD Instinct MI300X', 'MI300X', 192],
    ['  l4 ', 'L4', 24],
  ])('reads %j as %s with %i GiB per GPU', (name, model, memoryGiB) => {
    expect(canonicalGpu(name)).toEqual({ model, memoryGiB });
  });

  it.each([
    ['a TPU', 'tpu-v4-8'],
    ['an unlisted memory size', 'A100-60GB'],
    ['an alias with a contradicting size', 'H100-MEGA-94GB'],
    ['a consumer card we do not list', 'RTX 4090'],
    ['an empty name', ''],
    ['a near miss', 'T4G'],
  ])('returns null for %s (%j)', (_what, name) => {
    expect(canonicalGpu(name)).toBeNull();
    expect(isKnownGpuModel(name)).toBe(false);
  });

  it('knows every accelerator name of the multicloud catalog', () => {
    for (const name of CATALOG_ACCELERATORS) expect(isKnownGpuModel(name), name).toBe(true);
  });

  it('returns canonical model names that are keys of the table', () => {
    for (const name of CATALOG_ACCELERATORS) {
      const gpu = canonicalGpu(name);
      expect(gpu && GPU_MODELS[gpu.model]?.model, name).toBe(gpu?.model);
    }
  });
});

describe('gpuLabel', () => {
  it('gives the bare model for the default variant and a -<n>GB suffix otherwise', () => {
    expect(gpuLabel({ model: 'A100', memoryGiB: 40 })).toBe('A100');
    expect(gpuLabel({ model: 'A100', memoryGiB: 80 })).toBe('A100-80GB');
    expect(gpuLabel({ model: 'H100', memoryGiB: 94 })).toBe('H100-94GB');
  });

  it('round-trips every model and memory variant through canonicalGpu', () => {
    for (const model of GPU_MODEL_NAMES) {
      for (const memoryGiB of GPU_MODELS[model]?.memoryGiB ?? []) {
        expect(canonicalGpu(gpuLabel({ model, memoryGiB }))).toEqual({ model, memoryGiB });
      }
    }
  });
});

describe('GPU_MODELS', () => {
  it.each([
    ['A100', true],
    ['H100', true],
    ['H200', true],
    ['T4', false],
    ['L4', false],
    ['A10G', false],
    ['V100', false],
  ])('marks %s migCapable=%s', (model, mig) => {
    expect(GPU_MODELS[model]?.migCapable).toBe(mig);
  });

  it('gives every model at least one memory variant and a family that is itself a model', () => {
    for (const model of GPU_MODEL_NAMES) {
      const info = GPU_MODELS[model];
      expect(info?.memoryGiB.length, model).toBeGreaterThan(0);
      expect(GPU_MODELS[info?.family ?? ''], model).toBeDefined();
    }
  });

  it('is frozen, so no caller can change the table for everyone', () => {
    expect(Object.isFrozen(GPU_MODELS)).toBe(true);
    expect(Object.isFrozen(GPU_MODELS.A100)).toBe(true);
  });

  it('finds the entry for any spelling', () => {
    expect(gpuInfo('a100-80gb')?.model).toBe('A100');
    expect(gpuInfo('nope')).toBeNull();
  });
});

describe('gpuMatches', () => {
  const A100_40 = { model: 'A100', memoryGiB: 40 };
  const A100_80 = { model: 'A100', memoryGiB: 80 };
  const H100_80 = { model: 'H100', memoryGiB: 80 };
  const H100_NVL = { model: 'H100', memoryGiB: 94 };
  const H200 = { model: 'H200', memoryGiB: 141 };
  const A10 = { model: 'A10', memoryGiB: 24 };
  const A10G = { model: 'A10G', memoryGiB: 24 };
  const T4 = { model: 'T4', memoryGiB: 16 };

  it.each([
    ['no model list accepts any GPU', undefined, undefined, T4, true],
    ['an empty model list accepts any GPU', [], undefined, H200, true],
    ['an empty model list still applies minMemoryGiB', [], 24, T4, false],
    ['A100 accepts the 40 GB A100', ['A100'], undefined, A100_40, true],
    ['A100 accepts the 80 GB A100', ['A100'], undefined, A100_80, true],
    ['A100 with minMemoryGiB 80 refuses the 40 GB A100', ['A100'], 80, A100_40, false],
    ['A100 with minMemoryGiB 80 accepts the 80 GB A100', ['A100'], 80, A100_80, true],
    ['A100 with minMemoryGiB 40 accepts the 40 GB A100', ['A100'], 40, A100_40, true],
    ['A100-80GB refuses the 40 GB A100', ['A100-80GB'], undefined, A100_40, false],
    ['A100-80GB accepts the 80 GB A100', ['A100-80GB'], undefined, A100_80, true],
    ['a lower-case request is read canonically', ['a100'], undefined, A100_80, true],
    ['A100 refuses an H100', ['A100'], undefined, H100_80, false],
    ['A100 or H100 accepts an H100', ['A100', 'H100'], undefined, H100_80, true],
    ['H100 refuses an H200 (a different model, not a variant)', ['H100'], undefined, H200, false],
    ['H100 accepts the 94 GB H100 NVL', ['H100'], undefined, H100_NVL, true],
    ['H100-MEGA pins 80 GB and refuses the NVL', ['H100-MEGA'], undefined, H100_NVL, false],
    ['H100-MEGA accepts an 80 GB H100', ['H100-MEGA'], undefined, H100_80, true],
    ['A10 accepts the A10G of its family', ['A10'], undefined, A10G, true],
    ['A10 accepts an A10', ['A10'], undefined, A10, true],
    ['A10G does not accept a plain A10', ['A10G'], undefined, A10, false],
    ['A10G accepts an A10G', ['A10G'], undefined, A10G, true],
    ['an unknown requested model matches nothing known', ['TPU-V4'], undefined, A100_80, false],
  ] as const)('%s', (_name, models, minMemoryGiB, offered, expected) => {
    expect(gpuMatches(models, minMemoryGiB, offered)).toBe(expected);
  });
});

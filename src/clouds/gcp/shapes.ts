// GPU machine shapes and how each is priced. Two kinds:
// - N1 + attached GPUs (T4, V100, P100, P4, K80): the Compute API lists which GPUs each zone has
//   (acceleratorTypes); the host is n1-standard with 8 vCPUs per GPU, the convention of the bundled
//   catalog (catalog/build.ts n1Host), so live and catalog offers name the same pools
//   ('n1-standard-8+1xT4'). Counts 1, 2, 4 and 8, up to the type's maximumCardsPerInstance.
// - Accelerator-optimised families (A2, A3, G2): the machine type carries its GPUs; shapes come from
//   machineTypes.aggregatedList (guestCpus, memoryMb, accelerators), not from a built-in table, so a
//   new size shows up without a release. Priced by family vCPU and RAM SKUs plus the GPU SKU.
import { n1Host } from '../../catalog/build.js';
import { canonicalGpu, gpuLabel } from '../../core/gpus.js';
import type { GpuShape } from '../../core/model.js';
import type { Component, HostFamily } from './skus.js';

export interface Shape {
  /** The Offer's instanceType: a machine type, or 'n1-standard-8+1xT4' for N1 with attached GPUs. */
  instanceType: string;
  machineType: string;
  /** Attached GPUs for N1 shapes (guestAccelerators); null when the machine type brings its own. */
  attach: { acceleratorType: string; count: number } | null;
  gpu: GpuShape;
  vcpus: number;
  memoryGiB: number;
  /** What the hourly price is made of: component × quantity. */
  parts: ReadonlyArray<{ component: Component; quantity: number }>;
}

/** GPUs that attach to N1 VMs. The others (A100, H100, L4) come only with their machine family. */
export const N1_GPUS: ReadonlySet<string> = new Set([
  'nvidia-tesla-t4',
  'nvidia-tesla-v100',
  'nvidia-tesla-p100',
  'nvidia-tesla-p4',
  'nvidia-tesla-k80',
]);

const N1_COUNTS = [1, 2, 4, 8];
/** n1-standard machines have 3.75 GiB per vCPU. */
const N1_GIB_PER_VCPU = 3.75;

/** The machine types whose GPUs come with them: the filter for machineTypes.aggregatedList. */
export const GPU_MACHINE_TYPE_FILTER = "name eq '(a2|a3|g2)-.*'";

export function hostFamilyOf(machineType: string): HostFamily | null {
  const prefix = machineType.slice(0, 3);
  if (prefix === 'n1-') return 'N1';
  if (prefix === 'a2-') return 'A2';
  if (prefix === 'a3-') return 'A3';
  if (prefix === 'g2-') return 'G2';
  return null;
}

function hostParts(family: HostFamily, vcpus: number, memoryGiB: number): Shape['parts'] {
  return [
    { component: `core:${family}`, quantity: vcpus },
    { component: `ram:${family}`, quantity: memoryGiB },
  ];
}

/** N1 shapes for one accelerator type in one zone; [] for GPUs that do not attach to N1 or are unknown. */
export function n1Shapes(acceleratorType: string, maximumCards: number): Shape[] {
  if (!N1_GPUS.has(acceleratorType)) return [];
  const gpu = canonicalGpu(acceleratorType);
  if (!gpu) return [];
  const label = gpuLabel(gpu);
  return N1_COUNTS.filter((n) => n <= maximumCards).map((count) => {
    const machineType = n1Host(count);
    const vcpus = Number(machineType.slice('n1-standard-'.length));
    const memoryGiB = vcpus * N1_GIB_PER_VCPU;
    return {
      instanceType: `${machineType}+${count}x${label}`,
      machineType,
      attach: { acceleratorType, count },
      gpu: { model: gpu.model, count, memoryGiB: gpu.memoryGiB },
      vcpus,
      memoryGiB,
      parts: [...hostParts('N1', vcpus, memoryGiB), { component: `gpu:${acceleratorType}`, quantity: count }],
    };
  });
}

export interface MachineTypeLike {
  name?: string | null;
  guestCpus?: number | null;
  memoryMb?: number | null;
  accelerators?: ReadonlyArray<{
    guestAcceleratorType?: string | null;
    guestAcceleratorCount?: number | null;
  }> | null;
  deprecated?: { state?: string | null } | null;
}

/**
 * The shape of an A2/A3/G2 machine type as the API describes it; null for machine types without GPUs,
 * of other families, retired (OBSOLETE/DELETED), or with a GPU the model table does not know.
 */
export function machineTypeShape(mt: MachineTypeLike): Shape | null {
  const name = mt.name ?? '';
  const family = hostFamilyOf(name);
  if (!family || family === 'N1') return null;
  const state = mt.deprecated?.state;
  if (state === 'OBSOLETE' || state === 'DELETED') return null;
  const acc = mt.accelerators?.[0];
  const type = acc?.guestAcceleratorType ?? '';
  const count = acc?.guestAcceleratorCount ?? 0;
  const vcpus = mt.guestCpus ?? 0;
  const memoryGiB = (mt.memoryMb ?? 0) / 1024;
  const gpu = canonicalGpu(type);
  if (!gpu || count <= 0 || vcpus <= 0 || memoryGiB <= 0 || (mt.accelerators?.length ?? 0) > 1) return null;
  return {
    instanceType: name,
    machineType: name,
    attach: null,
    gpu: { model: gpu.model, count, memoryGiB: gpu.memoryGiB },
    vcpus,
    memoryGiB,
    parts: [...hostParts(family, vcpus, memoryGiB), { component: `gpu:${type}`, quantity: count }],
  };
}

/**
 * What to ask GCE for, from an Offer's instanceType: 'n1-standard-8+1xT4' → n1-standard-8 with one
 * nvidia-tesla-t4; 'a2-highgpu-1g' → itself. Null for a type this adapter never offered.
 */
export function launchShape(instanceType: string): Pick<Shape, 'machineType' | 'attach'> | null {
  const n1 = /^(n1-[a-z0-9-]+)\+(\d+)x(.+)$/.exec(instanceType);
  if (n1?.[1] && n1[2] && n1[3]) {
    const gpu = canonicalGpu(n1[3]);
    const type = [...N1_GPUS].find((t) => {
      const g = canonicalGpu(t);
      return g !== null && gpu !== null && g.model === gpu.model && g.memoryGiB === gpu.memoryGiB;
    });
    return type ? { machineType: n1[1], attach: { acceleratorType: type, count: Number(n1[2]) } } : null;
  }
  const family = hostFamilyOf(instanceType);
  return family && family !== 'N1' && /^[a-z0-9-]+$/.test(instanceType)
    ? { machineType: instanceType, attach: null }
    : null;
}

// Which GPU each Azure VM series carries. Resource SKUs report a GPU *count* ("GPUs" capability) but never
// the model, so the model comes from this table, keyed by the VM size name (the documented series name
// in the first column). The name is used rather than the SKU's `family` string because the family strings
// are inconsistent in case and spelling across series, while size names follow one documented grammar:
// Standard_<family letters><vCPUs><feature letters>[_<accelerator>]_<version>.
// Sources: learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/* (one page per series).
import { type CanonicalGpu, canonicalGpu } from '../../core/gpus.js';

export interface GpuFamily {
  /** Microsoft's series name, as in the size documentation. */
  series: string;
  /** Matches the VM size names (ResourceSku.name, Retail Prices armSkuName) of the series. */
  pattern: RegExp;
  /** The GPU, spelled for core/gpus.ts canonicalGpu (which pins the memory variant). */
  gpu: string;
  /**
   * For series sold in GPU fractions (GPU partitioning): vCPUs per whole GPU. The GPU count is then
   * vCPUs / vcpusPerGpu, and sizes below one whole GPU are skipped (gpusched has no fractional Azure slots).
   */
  vcpusPerGpu?: number;
}

export const GPU_FAMILIES: readonly GpuFamily[] = [
  { series: 'NCv3', pattern: /^Standard_NC\d+r?s_v3$/, gpu: 'V100-16GB' },
  { series: 'NCasT4_v3', pattern: /^Standard_NC\d+as_T4_v3$/, gpu: 'T4' },
  { series: 'NC_A100_v4', pattern: /^Standard_NC\d+ads_A100_v4$/, gpu: 'A100-80GB' },
  { series: 'NCads_A10_v4', pattern: /^Standard_NC\d+ads_A10_v4$/, gpu: 'A10' },
  // NC H100 v5 carries the 94 GB H100 NVL; NCC is its confidential-computing twin.
  { series: 'NCads_H100_v5', pattern: /^Standard_NC\d+adi?s_H100_v5$/, gpu: 'H100-NVL' },
  { series: 'NCCads_H100_v5', pattern: /^Standard_NCC\d+ads_H100_v5$/, gpu: 'H100-NVL' },
  { series: 'NDv2', pattern: /^Standard_ND\d+rs_v2$/, gpu: 'V100-32GB' },
  { series: 'ND96asr_v4', pattern: /^Standard_ND\d+asr_v4$/, gpu: 'A100-40GB' },
  { series: 'NDm_A100_v4', pattern: /^Standard_ND\d+amsr_A100_v4$/, gpu: 'A100-80GB' },
  { series: 'ND_H100_v5', pattern: /^Standard_ND\d+isr_H100_v5$/, gpu: 'H100-80GB' },
  { series: 'ND_H200_v5', pattern: /^Standard_ND\d+isr_H200_v5$/, gpu: 'H200' },
  { series: 'ND_MI300X_v5', pattern: /^Standard_ND\d+isr_MI300X_v5$/, gpu: 'MI300X' },
  // NVads A10 v5: 1/6, 1/3, 1/2, 1 and 2 A10s at 6, 12, 18, 36 and 72 vCPUs.
  { series: 'NVadsA10_v5', pattern: /^Standard_NV\d+adm?s_A10_v5$/, gpu: 'A10', vcpusPerGpu: 36 },
  { series: 'NVv3', pattern: /^Standard_NV\d+s_v3$/, gpu: 'M60' },
  // NVv4: 1/8, 1/4, 1/2 and 1 MI25 at 4, 8, 16 and 32 vCPUs.
  { series: 'NVv4', pattern: /^Standard_NV\d+as_v4$/, gpu: 'MI25', vcpusPerGpu: 32 },
];

export interface ResolvedFamily {
  family: GpuFamily;
  gpu: CanonicalGpu;
}

/** The series and canonical GPU of a VM size name; null for sizes not in the table. */
export function gpuFamilyOf(skuName: string): ResolvedFamily | null {
  for (const family of GPU_FAMILIES) {
    if (!family.pattern.test(skuName)) continue;
    const gpu = canonicalGpu(family.gpu);
    return gpu ? { family, gpu } : null;
  }
  return null;
}

/**
 * Whole GPUs of a size: vCPUs / vcpusPerGpu for fractional series, else the SKU's reported count.
 * Null when the size holds less than one whole GPU, or a fraction that is not a whole number of GPUs.
 */
export function wholeGpuCount(
  family: GpuFamily,
  reportedGpus: number | undefined,
  vcpus: number,
): number | null {
  const count = family.vcpusPerGpu !== undefined ? vcpus / family.vcpusPerGpu : reportedGpus;
  if (count === undefined || !Number.isInteger(count) || count < 1) return null;
  return count;
}

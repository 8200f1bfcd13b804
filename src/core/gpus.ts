// The one table of GPU models. Every other part of gpusched (job specs, catalog, cloud adapters, placement)
// names GPUs through this module, so that 'A100-80GB' from a catalog, 'nvidia-a100-80gb' from GCP and
// 'A100' in a job spec all land on the same { model, memoryGiB }. Pure: no I/O.

export type GpuVendor = 'nvidia' | 'amd';

export interface GpuModelInfo {
  /** Canonical model name, as used in Offer.gpu.model and job specs. */
  readonly model: string;
  /**
   * Models in one family are interchangeable for a job that asks for the family's base model (the entry whose
   * model equals its family); see gpuMatches.
   */
  readonly family: string;
  readonly vendor: GpuVendor;
  /** Memory variants of one GPU in GiB; the first is what the bare model name means. */
  readonly memoryGiB: readonly number[];
  /**
   * Other spellings (clouds' accelerator names, catalog labels), upper-case with '-' separators, each pinned to
   * one memory variant. A '-<n>GB' suffix on the model or an alias is understood without listing it here.
   */
  readonly aliases: Readonly<Record<string, number>>;
  /** Supports MIG (hardware-isolated slices); placement uses MIG profiles only on these. */
  readonly migCapable: boolean;
}

function gpu(
  model: string,
  vendor: GpuVendor,
  memoryGiB: readonly number[],
  opts: { family?: string; aliases?: Record<string, number>; migCapable?: boolean } = {},
): GpuModelInfo {
  return Object.freeze({
    model,
    family: opts.family ?? model,
    vendor,
    memoryGiB: Object.freeze([...memoryGiB]),
    aliases: Object.freeze({ ...(opts.aliases ?? {}) }),
    migCapable: opts.migCapable ?? false,
  });
}

// Memory figures are the usable per-GPU sizes the clouds report (GCP GpuInfo SizeInMiB, AWS
// DescribeInstanceTypes), e.g. H200 144384 MiB = 141 GiB, B200 184320 MiB = 180 GiB.
const TABLE: readonly GpuModelInfo[] = [
  // B200 supports MIG in hardware, but gpusched has no MIG profile table for it yet, so it is time-shared.
  gpu('B200', 'nvidia', [180]),
  gpu('H200', 'nvidia', [141], { migCapable: true }),
  // H100-MEGA is GCP's a3-megagpu (same 80 GB H100, faster network); H100-NVL is the 94 GB part (Azure NC H100 v5).
  gpu('H100', 'nvidia', [80, 94], {
    migCapable: true,
    aliases: { 'H100-MEGA': 80, 'H100-SXM': 80, 'H100-PCIE': 80, 'H100-NVL': 94 },
  }),
  gpu('A100', 'nvidia', [40, 80], { migCapable: true }),
  gpu('L40S', 'nvidia', [48]),
  gpu('L40', 'nvidia', [48]),
  gpu('L4', 'nvidia', [24]),
  gpu('A40', 'nvidia', [48]),
  gpu('A10', 'nvidia', [24]),
  // AWS's variant of the A10 (same GA102 chip and 24 GB, different clocks/power). See gpuMatches for the rule.
  gpu('A10G', 'nvidia', [24], { family: 'A10' }),
  gpu('T4', 'nvidia', [16]),
  gpu('V100', 'nvidia', [16, 32]),
  gpu('P100', 'nvidia', [16]),
  gpu('P4', 'nvidia', [8]),
  gpu('K80', 'nvidia', [12]),
  // Azure NV v3 counts one M60 GPU (half a two-GPU board, 8 GB).
  gpu('M60', 'nvidia', [8]),
  gpu('MI25', 'amd', [16]),
  gpu('MI300X', 'amd', [192]),
];

/** The canonical table, keyed by model name. */
export const GPU_MODELS: { readonly [model: string]: GpuModelInfo } = Object.freeze(
  Object.fromEntries(TABLE.map((g) => [g.model, g])),
);

export const GPU_MODEL_NAMES: readonly string[] = Object.freeze(TABLE.map((g) => g.model));

export interface CanonicalGpu {
  model: string;
  memoryGiB: number;
}

interface Resolved extends CanonicalGpu {
  /** The name said which memory variant (alias or '-80GB'), rather than the bare model. */
  pinned: boolean;
}

// Spelling → (info, pinned memory or null for "the default variant").
const NAMES = new Map<string, { info: GpuModelInfo; memoryGiB: number | null }>();
for (const info of TABLE) {
  NAMES.set(info.model, { info, memoryGiB: null });
  for (const [alias, mem] of Object.entries(info.aliases)) NAMES.set(alias, { info, memoryGiB: mem });
}

/**
 * Upper-case, '-' as the only separator, without vendor and brand prefixes, so that GCP's 'nvidia-tesla-t4',
 * AWS's 'T4', 'Tesla T4' and 'AMD Instinct MI300X' agree.
 */
function normalise(name: string): string {
  return name
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-')
    .replace(/^NVIDIA-/, '')
    .replace(/^TESLA-/, '')
    .replace(/^AMD-/, '')
    .replace(/^INSTINCT-/, '');
}

// gpuMatches runs for every (job, offer) pair of a scheduling tick, so spellings are resolved once. The
// cache is bounded because names also come from users; past the bound it simply stops remembering.
const RESOLVED = new Map<string, Resolved | null>();
const RESOLVED_MAX = 4096;

function resolve(name: string): Resolved | null {
  const hit = RESOLVED.get(name);
  if (hit !== undefined) return hit;
  const r = resolveUncached(name);
  if (RESOLVED.size < RESOLVED_MAX) RESOLVED.set(name, r);
  return r;
}

function resolveUncached(name: string): Resolved | null {
  const n = normalise(name);
  const direct = NAMES.get(n);
  if (direct) {
    const memoryGiB = direct.memoryGiB ?? direct.info.memoryGiB[0];
    if (memoryGiB === undefined) return null;
    return { model: direct.info.model, memoryGiB, pinned: direct.memoryGiB !== null };
  }
  // '<model or alias>-<n>GB': the memory must be one of the model's variants (and the alias's, if it pins one).
  const m = /^(.+?)-?(\d+)G(?:I?B)?$/.exec(n);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const base = NAMES.get(m[1]);
  const memoryGiB = Number(m[2]);
  if (!base?.info.memoryGiB.includes(memoryGiB)) return null;
  if (base.memoryGiB !== null && base.memoryGiB !== memoryGiB) return null;
  return { model: base.info.model, memoryGiB, pinned: true };
}

/** 'A100-80GB' → {A100, 80}; 'H100-MEGA' → {H100, 80}; 'a100' → {A100, 40}; unknown → null. Case-insensitive. */
export function canonicalGpu(name: string): CanonicalGpu | null {
  const r = resolve(name);
  return r ? { model: r.model, memoryGiB: r.memoryGiB } : null;
}

export function isKnownGpuModel(name: string): boolean {
  return resolve(name) !== null;
}

/** Table entry for any known spelling; null when unknown. */
export function gpuInfo(name: string): GpuModelInfo | null {
  const r = resolve(name);
  return r ? (GPU_MODELS[r.model] ?? null) : null;
}

/**
 * The catalog's label for a model and memory variant: the bare model for its default variant, otherwise
 * '<model>-<n>GB'. canonicalGpu(gpuLabel(x)) is x.
 */
export function gpuLabel(g: CanonicalGpu): string {
  const info = GPU_MODELS[g.model];
  if (info && info.memoryGiB[0] === g.memoryGiB) return g.model;
  return `${g.model}-${g.memoryGiB}GB`;
}

/**
 * Does an offered GPU satisfy a request?
 * - No models (undefined or []) means any model.
 * - A bare model name accepts every memory variant ('A100' takes 40 and 80 GB); minMemoryGiB narrows that.
 * - A name that pins a variant ('A100-80GB', 'H100-NVL') accepts only that memory.
 * - A family's base model accepts the family: asking for 'A10' accepts 'A10G' (AWS's A10 variant), because a job
 *   that runs on an A10 runs on an A10G. The reverse does not hold: a job that names 'A10G' was usually sized or
 *   benchmarked on AWS, and we do not move it to a different part behind the user's back.
 * - Unknown requested names match only an offered model spelled the same way (case-insensitive), never silently
 *   everything; job-spec validation is where unknown names are rejected.
 */
export function gpuMatches(
  requestedModels: readonly string[] | undefined,
  minMemoryGiB: number | undefined,
  offered: CanonicalGpu,
): boolean {
  if (minMemoryGiB !== undefined && offered.memoryGiB < minMemoryGiB) return false;
  if (!requestedModels || requestedModels.length === 0) return true;
  const offeredModel = resolve(offered.model)?.model ?? offered.model;
  const offeredFamily = GPU_MODELS[offeredModel]?.family;
  return requestedModels.some((name) => {
    const want = resolve(name);
    if (!want) return normalise(name) === normalise(offered.model);
    if (want.pinned && want.memoryGiB !== offered.memoryGiB) return false;
    if (want.model === offeredModel) return true;
    // Family rule: only the base model (model === family) stands for the whole family.
    return GPU_MODELS[want.model]?.family === want.model && offeredFamily === want.model;
  });
}

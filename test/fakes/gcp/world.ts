// What the fake GCP sells: regions, zones, the GPUs of each zone, GPU machine types, and the hourly
// rates the billing catalog quotes. Sources:
// - zone × accelerator availability for us-central1, europe-west4 and asia-southeast1 is real
//   (`gcloud compute accelerator-types list`, Cyclenerd/google-cloud-pricing-cost-calculator, in
//   the shared data set, prices/gcp-cyclenerd/gcp_accelerator_types_by_zone.csv); the H100 zones are added
//   for illustration (that snapshot predates A3);
// - us-central1 rates are real where a source exists: A2 vCPU/RAM and A100 from the billing fixture
//   (test/fixtures/gcp), N1 GPUs from Google's 2022 price list, G2/L4, A100 80GB and A3 solved from
//   Cyclenerd's whole-VM prices; other regions scale them by a regional factor.
// The `scale` option replaces the regions with N synthetic ones of 3 zones and M shapes each.

export interface AcceleratorSpec {
  name: string;
  maximumCardsPerInstance: number;
}

export interface MachineTypeSpec {
  name: string;
  guestCpus: number;
  memoryMb: number;
  accelerators?: Array<{ guestAcceleratorType: string; guestAcceleratorCount: number }>;
}

export interface Rates {
  onDemand: number;
  spot: number | null;
}

export interface RegionSpec {
  name: string;
  /** Billing location words ("Americas"); SKU descriptions say "running in <location>". */
  location: string;
  zones: Record<string, string[]>;
  factor: number;
}

export interface World {
  regions: RegionSpec[];
  accelerators: Map<string, AcceleratorSpec[]>;
  machineTypes: Map<string, MachineTypeSpec[]>;
  /** SKU component → rates in us-central1 (per GPU-hour, vCPU-hour, GiB-hour). */
  rates: Record<string, Rates>;
}

export const MAX_CARDS: Record<string, number> = {
  'nvidia-tesla-t4': 4,
  'nvidia-tesla-v100': 8,
  'nvidia-tesla-p100': 4,
  'nvidia-tesla-p4': 4,
  'nvidia-tesla-k80': 8,
  'nvidia-tesla-a100': 16,
  'nvidia-a100-80gb': 8,
  'nvidia-l4': 8,
  'nvidia-h100-80gb': 8,
  'nvidia-h100-mega-80gb': 8,
};

/** SKU description words for each priced component (K80 deliberately has none: GCP retired it). */
export const GPU_SKU_WORDS: Record<string, string> = {
  'nvidia-tesla-t4': 'Tesla T4',
  'nvidia-tesla-v100': 'Tesla V100',
  'nvidia-tesla-p100': 'Tesla P100',
  'nvidia-tesla-p4': 'Tesla P4',
  'nvidia-tesla-a100': 'Tesla A100',
  'nvidia-a100-80gb': 'A100 80GB',
  'nvidia-l4': 'L4',
  'nvidia-h100-80gb': 'H100 80GB',
  'nvidia-h100-mega-80gb': 'H100 80GB Mega',
};

export const HOST_SKU_WORDS: Record<string, string> = {
  N1: 'N1 Predefined Instance',
  A2: 'A2 Instance',
  A3: 'A3 Instance',
  G2: 'G2 Instance',
};

export const RATES: Record<string, Rates> = {
  'gpu:nvidia-tesla-t4': { onDemand: 0.35, spot: 0.11 },
  'gpu:nvidia-tesla-v100': { onDemand: 2.48, spot: 0.74 },
  'gpu:nvidia-tesla-p100': { onDemand: 1.46, spot: 0.43 },
  'gpu:nvidia-tesla-p4': { onDemand: 0.6, spot: 0.18 },
  'gpu:nvidia-tesla-a100': { onDemand: 2.933908, spot: 1.632217 },
  'gpu:nvidia-a100-80gb': { onDemand: 3.969176, spot: 2.319668 },
  'gpu:nvidia-l4': { onDemand: 0.560040239, spot: 0.3148 },
  'gpu:nvidia-h100-80gb': { onDemand: 9.7405, spot: 5.74899 },
  // Sold on demand only in this world: a3-mega spot offers must be absent, not guessed.
  'gpu:nvidia-h100-mega-80gb': { onDemand: 10.45254, spot: null },
  'core:N1': { onDemand: 0.031611, spot: 0.00698 },
  'ram:N1': { onDemand: 0.004237, spot: 0.00094 },
  'core:A2': { onDemand: 0.031611, spot: 0.012644 },
  'ram:A2': { onDemand: 0.004237, spot: 0.001695 },
  'core:A3': { onDemand: 0.0283, spot: 0.0123 },
  'ram:A3': { onDemand: 0.0025, spot: 0.0011 },
  'core:G2': { onDemand: 0.024988, spot: 0.014 },
  'ram:G2': { onDemand: 0.0029275, spot: 0.0016585 },
};

const GIB = 1024;
const mt = (name: string, cpus: number, gib: number, acc: string, count: number): MachineTypeSpec => ({
  name,
  guestCpus: cpus,
  memoryMb: gib * GIB,
  accelerators: [{ guestAcceleratorType: acc, guestAcceleratorCount: count }],
});

/** GPU machine types by the accelerator that brings them to a zone. */
export const FAMILY_MACHINE_TYPES: Record<string, MachineTypeSpec[]> = {
  'nvidia-tesla-a100': [
    mt('a2-highgpu-1g', 12, 85, 'nvidia-tesla-a100', 1),
    mt('a2-highgpu-2g', 24, 170, 'nvidia-tesla-a100', 2),
    mt('a2-highgpu-4g', 48, 340, 'nvidia-tesla-a100', 4),
    mt('a2-highgpu-8g', 96, 680, 'nvidia-tesla-a100', 8),
    mt('a2-megagpu-16g', 96, 1360, 'nvidia-tesla-a100', 16),
  ],
  'nvidia-a100-80gb': [
    mt('a2-ultragpu-1g', 12, 170, 'nvidia-a100-80gb', 1),
    mt('a2-ultragpu-2g', 24, 340, 'nvidia-a100-80gb', 2),
    mt('a2-ultragpu-4g', 48, 680, 'nvidia-a100-80gb', 4),
    mt('a2-ultragpu-8g', 96, 1360, 'nvidia-a100-80gb', 8),
  ],
  'nvidia-l4': [
    mt('g2-standard-4', 4, 16, 'nvidia-l4', 1),
    mt('g2-standard-8', 8, 32, 'nvidia-l4', 1),
    mt('g2-standard-12', 12, 48, 'nvidia-l4', 1),
    mt('g2-standard-16', 16, 64, 'nvidia-l4', 1),
    mt('g2-standard-24', 24, 96, 'nvidia-l4', 2),
    mt('g2-standard-32', 32, 128, 'nvidia-l4', 1),
    mt('g2-standard-48', 48, 192, 'nvidia-l4', 4),
    mt('g2-standard-96', 96, 384, 'nvidia-l4', 8),
  ],
  'nvidia-h100-80gb': [
    mt('a3-highgpu-1g', 26, 234, 'nvidia-h100-80gb', 1),
    mt('a3-highgpu-2g', 52, 468, 'nvidia-h100-80gb', 2),
    mt('a3-highgpu-4g', 104, 936, 'nvidia-h100-80gb', 4),
    mt('a3-highgpu-8g', 208, 1872, 'nvidia-h100-80gb', 8),
  ],
  'nvidia-h100-mega-80gb': [mt('a3-megagpu-8g', 208, 1872, 'nvidia-h100-mega-80gb', 8)],
};

/** Machine types without GPUs that every zone has: the server-side name filter must drop them. */
const PLAIN_MACHINE_TYPES: MachineTypeSpec[] = [
  { name: 'e2-standard-4', guestCpus: 4, memoryMb: 16 * GIB },
  { name: 'n1-standard-8', guestCpus: 8, memoryMb: 30 * GIB },
  { name: 'n2-standard-8', guestCpus: 8, memoryMb: 32 * GIB },
];

const REAL_REGIONS: RegionSpec[] = [
  {
    name: 'us-central1',
    location: 'Americas',
    factor: 1,
    zones: {
      'us-central1-a': [
        'nvidia-a100-80gb',
        'nvidia-l4',
        'nvidia-l4-vws',
        'nvidia-tesla-a100',
        'nvidia-tesla-k80',
        'nvidia-tesla-p4',
        'nvidia-tesla-p4-vws',
        'nvidia-tesla-t4',
        'nvidia-tesla-t4-vws',
        'nvidia-tesla-v100',
        'nvidia-h100-80gb',
      ],
      'us-central1-b': ['nvidia-l4', 'nvidia-tesla-a100', 'nvidia-tesla-t4', 'nvidia-tesla-v100'],
      'us-central1-c': [
        'nvidia-a100-80gb',
        'nvidia-l4',
        'nvidia-tesla-a100',
        'nvidia-tesla-k80',
        'nvidia-tesla-p100',
        'nvidia-tesla-p4',
        'nvidia-tesla-t4',
        'nvidia-tesla-v100',
        'nvidia-h100-80gb',
      ],
      'us-central1-f': ['nvidia-tesla-a100', 'nvidia-tesla-p100', 'nvidia-tesla-t4', 'nvidia-tesla-v100'],
    },
  },
  {
    name: 'europe-west4',
    location: 'Netherlands',
    factor: 1.1,
    zones: {
      'europe-west4-a': [
        'nvidia-a100-80gb',
        'nvidia-l4',
        'nvidia-tesla-a100',
        'nvidia-tesla-p100',
        'nvidia-tesla-t4',
        'nvidia-tesla-v100',
      ],
      'europe-west4-b': [
        'nvidia-l4',
        'nvidia-tesla-a100',
        'nvidia-tesla-p4',
        'nvidia-tesla-t4',
        'nvidia-tesla-v100',
        'nvidia-h100-80gb',
        'nvidia-h100-mega-80gb',
      ],
      'europe-west4-c': [
        'nvidia-l4',
        'nvidia-tesla-p4',
        'nvidia-tesla-t4',
        'nvidia-tesla-v100',
        'nvidia-h100-80gb',
      ],
    },
  },
  {
    name: 'asia-southeast1',
    location: 'Singapore',
    factor: 1.23,
    zones: {
      'asia-southeast1-a': ['nvidia-tesla-t4'],
      'asia-southeast1-b': [
        'nvidia-l4',
        'nvidia-tesla-a100',
        'nvidia-tesla-p4',
        'nvidia-tesla-t4',
        'nvidia-h100-mega-80gb',
      ],
      'asia-southeast1-c': ['nvidia-a100-80gb', 'nvidia-tesla-a100', 'nvidia-tesla-p4', 'nvidia-tesla-t4'],
    },
  },
];

function build(regions: RegionSpec[], extraShapes: (zone: string) => MachineTypeSpec[]): World {
  const accelerators = new Map<string, AcceleratorSpec[]>();
  const machineTypes = new Map<string, MachineTypeSpec[]>();
  for (const r of regions) {
    for (const [zone, names] of Object.entries(r.zones)) {
      accelerators.set(
        zone,
        names.map((name) => ({ name, maximumCardsPerInstance: MAX_CARDS[name.replace(/-vws$/, '')] ?? 4 })),
      );
      const gpuTypes = names.flatMap((n) => FAMILY_MACHINE_TYPES[n] ?? []);
      machineTypes.set(zone, [...PLAIN_MACHINE_TYPES, ...gpuTypes, ...extraShapes(zone)]);
    }
  }
  return { regions, accelerators, machineTypes, rates: RATES };
}

export interface ScaleOptions {
  regions: number;
  /** GPU shapes per zone (N1 + machine types); above the ~35 real ones, synthetic G2 sizes are added. */
  shapes: number;
}

const ALL_GPUS = Object.keys(GPU_SKU_WORDS);

/** N1 shapes one zone gets from its accelerators (counts 1, 2, 4, 8 up to the maximum). */
function n1ShapeCount(names: string[]): number {
  const n1 = ['nvidia-tesla-t4', 'nvidia-tesla-v100', 'nvidia-tesla-p100', 'nvidia-tesla-p4'];
  return names.filter((n) => n1.includes(n)).reduce((s, n) => s + ((MAX_CARDS[n] ?? 4) >= 8 ? 4 : 3), 0);
}

export function makeWorld(scale?: ScaleOptions): World {
  if (!scale) return build(REAL_REGIONS, () => []);
  const regions: RegionSpec[] = [];
  for (let i = 0; i < scale.regions; i++) {
    const name = `scale${i}-west1`;
    const zones: Record<string, string[]> = {};
    for (const z of ['a', 'b', 'c']) zones[`${name}-${z}`] = ALL_GPUS;
    regions.push({ name, location: `Scale${i}`, factor: 1 + (i % 7) / 20, zones });
  }
  const real =
    n1ShapeCount(ALL_GPUS) + ALL_GPUS.reduce((s, n) => s + (FAMILY_MACHINE_TYPES[n]?.length ?? 0), 0);
  const extra = Math.max(0, scale.shapes - real);
  const synthetic = Array.from({ length: extra }, (_, k) => {
    const count = [1, 2, 4, 8][k % 4] ?? 1;
    return mt(`g2-scale-${k + 1}`, 4 * count + k, (16 * count + 4 * k) | 0, 'nvidia-l4', count);
  });
  return build(regions, () => synthetic);
}

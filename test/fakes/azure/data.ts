// What the Azure fakes serve: GPU sizes in three real regions, with list and spot prices taken from the
// public price list (anycloud-sh/catalog, 2026-05-20, as bundled in test/fixtures/catalog), zones, and the
// awkward cases of the real APIs: a zone and a whole location restricted for the subscription, a
// QuotaId restriction, regional-only sizes, fractional A10 sizes, an FPGA size without GPUs and a plain
// CPU size. `scaledCatalog` makes N regions x M GPU sizes for benchmarks.

export interface FakeSize {
  name: string;
  /** The Retail Prices product series ('Virtual Machines <series> Series'). */
  series: string;
  family: string;
  vcpus: number;
  memoryGB: number;
  /** The GPUs capability as Resource SKUs report it; absent for sizes without GPUs. */
  gpus?: string;
  lowPriorityCapable?: boolean;
}

export interface FakeRestriction {
  type: 'Location' | 'Zone';
  reasonCode: 'NotAvailableForSubscription' | 'QuotaId';
  zones?: string[];
}

export interface FakeRegionSize {
  size: FakeSize;
  onDemand: number;
  spot: number | null;
  /** Empty: regional only. */
  zones: string[];
  restrictions?: FakeRestriction[];
}

export interface FakeRegion {
  name: string;
  displayName: string;
  sizes: FakeRegionSize[];
}

export type FakeCatalog = Map<string, FakeRegion>;

const size = (
  name: string,
  series: string,
  family: string,
  vcpus: number,
  memoryGB: number,
  gpus?: string,
): FakeSize => ({
  name,
  series,
  family,
  vcpus,
  memoryGB,
  ...(gpus !== undefined ? { gpus } : {}),
});

export const SIZES = {
  NC4asT4: size('Standard_NC4as_T4_v3', 'NCasT4_v3', 'standardNCASv3_T4Family', 4, 28, '1'),
  NC64asT4: size('Standard_NC64as_T4_v3', 'NCasT4_v3', 'standardNCASv3_T4Family', 64, 440, '4'),
  NC6sV3: size('Standard_NC6s_v3', 'NCSv3', 'standardNCSv3Family', 6, 112, '1'),
  NC24A100: size('Standard_NC24ads_A100_v4', 'NCadsA100v4', 'StandardNCADSA100v4Family', 24, 220, '1'),
  NC96A100: size('Standard_NC96ads_A100_v4', 'NCadsA100v4', 'StandardNCADSA100v4Family', 96, 880, '4'),
  NC40H100: size('Standard_NC40ads_H100_v5', 'NCadsH100v5', 'standardNCadsH100v5Family', 40, 320, '1'),
  NC80H100: size('Standard_NC80adis_H100_v5', 'NCadsH100v5', 'standardNCadsH100v5Family', 80, 640, '2'),
  ND40V100: size('Standard_ND40rs_v2', 'NDSv2', 'standardNDSv2Family', 40, 672, '8'),
  ND96A100: size('Standard_ND96asr_v4', 'NDasrA100v4', 'standardNDASv4_A100Family', 96, 900, '8'),
  ND96A100m: size('Standard_ND96amsr_A100_v4', 'NDamsrA100v4', 'StandardNDAMSv4_A100Family', 96, 1800, '8'),
  ND96H100: size('Standard_ND96isr_H100_v5', 'NDisrH100v5', 'standardNDSH100v5Family', 96, 1900, '8'),
  ND96H200: size('Standard_ND96isr_H200_v5', 'NDisrH200v5', 'standardNDSH200v5Family', 96, 1850, '8'),
  // Resource SKUs say "1" GPU for the partial-GPU sizes; the size name tells the truth (1/6 of an A10).
  NV6A10: size('Standard_NV6ads_A10_v5', 'NVadsA10v5', 'StandardNVADSA10v5Family', 6, 55, '1'),
  NV36A10: size('Standard_NV36ads_A10_v5', 'NVadsA10v5', 'StandardNVADSA10v5Family', 36, 440, '1'),
  NV72A10: size('Standard_NV72ads_A10_v5', 'NVadsA10v5', 'StandardNVADSA10v5Family', 72, 880, '2'),
  NV12sV3: size('Standard_NV12s_v3', 'NVSv3', 'standardNVSv3Family', 12, 112, '1'),
  NP10s: size('Standard_NP10s', 'NPS', 'standardNPSFamily', 10, 168),
  D4sV5: size('Standard_D4s_v5', 'Dsv5', 'standardDSv5Family', 4, 16),
} satisfies Record<string, FakeSize>;

const Z = ['1', '2', '3'];
const at = (
  s: FakeSize,
  onDemand: number,
  spot: number | null,
  zones = Z,
  restrictions?: FakeRestriction[],
) => ({
  size: s,
  onDemand,
  spot,
  zones,
  ...(restrictions ? { restrictions } : {}),
});

export function defaultCatalog(): FakeCatalog {
  const S = SIZES;
  const regions: FakeRegion[] = [
    {
      name: 'eastus',
      displayName: 'US East',
      sizes: [
        at(S.NC4asT4, 0.526, 0.204246),
        at(S.NC64asT4, 4.352, 1.689882),
        at(S.NC6sV3, 3.06, 0.565488),
        at(S.NC24A100, 3.673, 0.746721),
        at(S.NC96A100, 14.692, 2.986884),
        // Zone 3 is withheld from the subscription.
        at(S.NC40H100, 6.98, 2.192418, Z, [
          { type: 'Zone', reasonCode: 'NotAvailableForSubscription', zones: ['3'] },
        ]),
        at(S.ND96A100, 27.197, 5.98334),
        at(S.ND96H100, 98.32, 18.169536),
        at(S.NV6A10, 0.454, 0.083899),
        at(S.NV36A10, 3.2, 0.59136),
        at(S.NV12sV3, 1.14, 0.210672, []),
        at(S.NP10s, 1.65, 0.30492),
        at(S.D4sV5, 0.192, 0.0384),
      ],
    },
    {
      name: 'westus2',
      displayName: 'US West 2',
      sizes: [
        at(S.NC4asT4, 0.526, 0.15254),
        at(S.NC24A100, 3.673, 1.298406),
        at(S.NC80H100, 13.96, 12.564),
        // The subscription's offer type cannot deploy NDv2 here.
        at(S.ND40V100, 22.032, 4.071514, Z, [{ type: 'Location', reasonCode: 'QuotaId' }]),
        at(S.ND96A100m, 32.77, 8.5202),
        // Regional only, and no spot price published.
        at(S.ND96H200, 84.8, null, []),
        at(S.NV72A10, 6.52, 1.204896),
      ],
    },
    {
      name: 'westeurope',
      displayName: 'EU West',
      sizes: [
        at(S.NC4asT4, 0.658, 0.472247),
        at(S.NC24A100, 4.775, 1.905225),
        at(S.NC40H100, 9.08, 8.172),
        // Listed and priced, but withheld from the subscription in the whole location.
        at(S.ND96H100, 127.816, 23.620397, Z, [
          { type: 'Location', reasonCode: 'NotAvailableForSubscription' },
        ]),
        at(S.NV36A10, 4.16, 0.845728),
      ],
    },
  ];
  return new Map(regions.map((r) => [r.name, r]));
}

const TEMPLATES: { make: (v: number) => string; series: string; family: string; vcpusPerGpu: number }[] = [
  {
    make: (v) => `Standard_NC${v}as_T4_v3`,
    series: 'NCasT4_v3',
    family: 'standardNCASv3_T4Family',
    vcpusPerGpu: 16,
  },
  {
    make: (v) => `Standard_NC${v}ads_A100_v4`,
    series: 'NCadsA100v4',
    family: 'StandardNCADSA100v4Family',
    vcpusPerGpu: 24,
  },
  {
    make: (v) => `Standard_NC${v}ads_H100_v5`,
    series: 'NCadsH100v5',
    family: 'standardNCadsH100v5Family',
    vcpusPerGpu: 40,
  },
  {
    make: (v) => `Standard_ND${v}isr_H100_v5`,
    series: 'NDisrH100v5',
    family: 'standardNDSH100v5Family',
    vcpusPerGpu: 12,
  },
  { make: (v) => `Standard_NC${v}s_v3`, series: 'NCSv3', family: 'standardNCSv3Family', vcpusPerGpu: 6 },
];

/** N synthetic regions x M distinct GPU sizes each (names follow the real grammar, so all become offers). */
export function scaledCatalog(regions: number, sizesPerRegion: number): FakeCatalog {
  const sizes: FakeSize[] = [];
  for (let i = 0; sizes.length < sizesPerRegion; i++) {
    const t = TEMPLATES[i % TEMPLATES.length]!;
    const gpus = 1 + Math.floor(i / TEMPLATES.length);
    const vcpus = t.vcpusPerGpu * gpus;
    sizes.push(size(t.make(vcpus), t.series, t.family, vcpus, vcpus * 8, String(gpus)));
  }
  const out: FakeCatalog = new Map();
  for (let r = 0; r < regions; r++) {
    const name = `region${String(r).padStart(3, '0')}`;
    out.set(name, {
      name,
      displayName: `Region ${r}`,
      sizes: sizes.map((s, k) => {
        const onDemand = Math.round((0.5 + s.vcpus * 0.11 + ((r * 7 + k) % 13) * 0.01) * 1000) / 1000;
        return at(s, onDemand, Math.round(onDemand * 0.3 * 1000) / 1000);
      }),
    });
  }
  return out;
}

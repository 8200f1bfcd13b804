// MIG (Multi-Instance GPU) profile tables and layout rules. Pure data and arithmetic: no I/O.
//
// Source: NVIDIA Multi-Instance GPU User Guide, "Supported MIG Profiles"
// (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html) and its
// `nvidia-smi mig -lgipp` listing of the possible placements, which is the same on A100, H100 and H200:
//
//   Profile ID 19 Placements: {0,1,2,3,4,5,6}:1   1g.<m/8>      (1 compute slice, 1 memory slice)
//   Profile ID 15 Placements: {0,2,4,6}:2         1g.<2m/8>     (1 compute slice, 2 memory slices)
//   Profile ID 14 Placements: {0,2,4}:2           2g.<2m/8>
//   Profile ID  9 Placements: {0,4}:4             3g.<4m/8>
//   Profile ID  5 Placement : {0}:4               4g.<4m/8>
//   Profile ID  0 Placement : {0}:8               7g.<m>
//
// `{starts}:size` is in memory slices (8 per GPU; 7 compute slices). NVML documents the rule that makes a
// layout valid: "Creation of new GPU instance will fail if there is overlap with the already occupied memory
// slices" (nvmlDeviceGetGpuInstancePossiblePlacements_v2). So a layout is valid when every instance sits at one
// of its profile's starts and no two instances share a memory slice. The guide's "Number of Instances
// Available" column (7, 4, 3, 2, 1, 1) follows from these placements; a unit test checks that it does.
//
// Memory is the nominal figure in the profile's name (what users ask for); the usable memory nvidia-smi reports
// is a little lower (1g.10gb on an 80 GB part shows 9.75 GiB). The "+me" (media extension) variants are left out:
// they occupy the same slices as their base profile and only add decoders, which no job spec asks for.

export const MIG_COMPUTE_SLICES = 7;
export const MIG_MEMORY_SLICES = 8;

export interface MigProfile {
  /** The guide's name, e.g. '3g.40gb'. */
  readonly name: string;
  /** NVML GPU-instance profile id (what `nvidia-smi mig -cgi` takes). */
  readonly profileId: number;
  /** Compute slices out of 7. */
  readonly computeSlices: number;
  /** Memory slices out of 8 (the placement size). */
  readonly memorySlices: number;
  /** Nominal memory from the name. */
  readonly memoryGiB: number;
  /** Valid first memory slices. */
  readonly starts: readonly number[];
  /** The guide's "Number of Instances Available". */
  readonly maxInstances: number;
}

/** One GPU instance on a GPU: which profile, at which memory slice. Size is the profile's memorySlices. */
export interface MigPlacement {
  readonly profile: string;
  readonly start: number;
  readonly size: number;
}

// The shared geometry of the -lgipp listing, smallest first; each model adds its memory figures.
const GEOMETRY = [
  { profileId: 19, computeSlices: 1, memorySlices: 1, starts: [0, 1, 2, 3, 4, 5, 6], maxInstances: 7 },
  { profileId: 15, computeSlices: 1, memorySlices: 2, starts: [0, 2, 4, 6], maxInstances: 4 },
  { profileId: 14, computeSlices: 2, memorySlices: 2, starts: [0, 2, 4], maxInstances: 3 },
  { profileId: 9, computeSlices: 3, memorySlices: 4, starts: [0, 4], maxInstances: 2 },
  { profileId: 5, computeSlices: 4, memorySlices: 4, starts: [0], maxInstances: 1 },
  { profileId: 0, computeSlices: 7, memorySlices: 8, starts: [0], maxInstances: 1 },
] as const;

function table(memories: readonly [number, number, number, number, number, number]): readonly MigProfile[] {
  return Object.freeze(
    GEOMETRY.map((g, i) => {
      const memoryGiB = memories[i] as number;
      return Object.freeze({ ...g, name: `${g.computeSlices}g.${memoryGiB}gb`, memoryGiB });
    }),
  );
}

// Keyed by canonical model (core/gpus.ts), then per-GPU memory. The guide's A100-40GB table also lists 1g.10gb
// (profile 15, up to 4 instances); it is kept: its placements are those of the 80 GB parts' 1g.20gb.
const TABLES: ReadonlyMap<string, ReadonlyMap<number, readonly MigProfile[]>> = new Map([
  [
    'A100',
    new Map([
      [40, table([5, 10, 10, 20, 20, 40])],
      [80, table([10, 20, 20, 40, 40, 80])],
    ]),
  ],
  [
    'H100',
    new Map([
      [80, table([10, 20, 20, 40, 40, 80])],
      [94, table([12, 24, 24, 47, 47, 94])],
    ]),
  ],
  ['H200', new Map([[141, table([18, 35, 35, 71, 71, 141])]])],
]);

// The packer asks these many times per cycle: answers by name, and per request shape, are kept per table.
const BY_NAME = new WeakMap<readonly MigProfile[], ReadonlyMap<string, MigProfile>>();
const FOR_REQUEST = new WeakMap<readonly MigProfile[], Map<string, readonly MigProfile[]>>();

/** The MIG profiles of a GPU, smallest first; null where gpusched has no table (the GPU is time-shared). */
export function migProfiles(model: string, memoryGiB: number): readonly MigProfile[] | null {
  return TABLES.get(model)?.get(memoryGiB) ?? null;
}

function byName(profiles: readonly MigProfile[]): ReadonlyMap<string, MigProfile> {
  let m = BY_NAME.get(profiles);
  if (!m) {
    m = new Map(profiles.map((p) => [p.name, p]));
    BY_NAME.set(profiles, m);
  }
  return m;
}

export function findProfile(model: string, memoryGiB: number, name: string): MigProfile | null {
  const profiles = migProfiles(model, memoryGiB);
  return profiles ? (byName(profiles).get(name) ?? null) : null;
}

const EPSILON = 1e-9;

/**
 * The smallest profile (fewest compute slices, then fewest memory slices) whose compute fraction
 * (slices / 7) is at least `fraction` and whose memory is at least `memoryGiB`; null if none is.
 */
export function smallestProfileFor(
  model: string,
  memoryGiB: number,
  want: { fraction: number; memoryGiB: number },
): MigProfile | null {
  return profilesFor(model, memoryGiB, want)[0] ?? null;
}

/** Every profile that satisfies a request, smallest first (the table's order is already that). */
export function profilesFor(
  model: string,
  memoryGiB: number,
  want: { fraction: number; memoryGiB: number },
): readonly MigProfile[] {
  const profiles = migProfiles(model, memoryGiB);
  if (!profiles) return [];
  let cache = FOR_REQUEST.get(profiles);
  if (!cache) {
    cache = new Map();
    FOR_REQUEST.set(profiles, cache);
  }
  const key = `${want.fraction}/${want.memoryGiB}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = profiles.filter(
      (p) => p.computeSlices / MIG_COMPUTE_SLICES + EPSILON >= want.fraction && p.memoryGiB >= want.memoryGiB,
    );
    if (cache.size < 1024) cache.set(key, hit);
  }
  return hit;
}

function bits(start: number, size: number): number {
  return ((1 << size) - 1) << start;
}

function maskOf(placements: readonly MigPlacement[]): number {
  let mask = 0;
  for (const p of placements) mask |= bits(p.start, p.size);
  return mask;
}

/**
 * Can one more instance of `profile` be created next to these? A fast yes/no for the packer, which asks it many
 * times; placeProfile says where. (A free start is enough: no layout of non-overlapping placements from the
 * table exceeds 7 compute slices, since every profile has at most one compute slice per memory slice and slice
 * 7 only goes to profiles with fewer.)
 */
export function canPlace(existing: readonly { readonly mig?: MigPlacement }[], profile: MigProfile): boolean {
  let mask = 0;
  for (const e of existing) if (e.mig) mask |= bits(e.mig.start, e.mig.size);
  for (const s of profile.starts) if ((mask & bits(s, profile.memorySlices)) === 0) return true;
  return false;
}

/**
 * Are these concrete placements a layout the GPU accepts? Each instance at one of its profile's starts, no
 * memory slice used twice, at most 7 compute slices in all.
 */
export function validPlacements(
  model: string,
  memoryGiB: number,
  placements: readonly MigPlacement[],
): boolean {
  const profiles = migProfiles(model, memoryGiB);
  if (!profiles) return false;
  let mask = 0;
  let compute = 0;
  for (const pl of placements) {
    const p = byName(profiles).get(pl.profile);
    if (!p || pl.size !== p.memorySlices || !p.starts.includes(pl.start)) return false;
    const b = bits(pl.start, pl.size);
    if (mask & b) return false;
    mask |= b;
    compute += p.computeSlices;
  }
  return compute <= MIG_COMPUTE_SLICES;
}

/** Can these profiles (by name) be created together on one GPU, in some arrangement? */
export function validLayout(model: string, memoryGiB: number, profiles: readonly string[]): boolean {
  const table = migProfiles(model, memoryGiB);
  if (!table) return false;
  const wanted: MigProfile[] = [];
  for (const name of profiles) {
    const p = table.find((x) => x.name === name);
    if (!p) return false;
    wanted.push(p);
  }
  if (wanted.reduce((s, p) => s + p.computeSlices, 0) > MIG_COMPUTE_SLICES) return false;
  // Largest first: big instances have the fewest starts, so the search fails fast. At most 7 instances with at
  // most 7 starts each, over 8 slices: tiny.
  wanted.sort((a, b) => b.memorySlices - a.memorySlices || b.computeSlices - a.computeSlices);
  const search = (i: number, mask: number): boolean => {
    const p = wanted[i];
    if (!p) return true;
    return p.starts.some(
      (s) => (mask & bits(s, p.memorySlices)) === 0 && search(i + 1, mask | bits(s, p.memorySlices)),
    );
  };
  return search(0, 0);
}

// Room left on a GPU for each set of occupied memory slices (a bitmask of 8): the most compute slices that can
// still be created, and the largest single profile that can. The geometry is shared by every table, so one
// precomputation of 256 states serves all.
const ROOM: readonly { compute: number; largest: number }[] = (() => {
  const compute = new Array<number>(256).fill(-1);
  const solve = (mask: number): number => {
    const known = compute[mask] as number;
    if (known >= 0) return known;
    let best = 0;
    for (const g of GEOMETRY) {
      for (const s of g.starts) {
        const b = bits(s, g.memorySlices);
        if ((mask & b) === 0) best = Math.max(best, g.computeSlices + solve(mask | b));
      }
    }
    compute[mask] = best;
    return best;
  };
  const out: { compute: number; largest: number }[] = [];
  for (let mask = 0; mask < 256; mask++) {
    let largest = 0;
    for (const g of GEOMETRY) {
      if (g.starts.some((s) => (mask & bits(s, g.memorySlices)) === 0))
        largest = Math.max(largest, g.computeSlices);
    }
    out.push({ compute: solve(mask), largest });
  }
  return out;
})();

/** Compute slices that can still be created on a GPU holding these instances. */
export function roomLeft(placements: readonly MigPlacement[]): number {
  return ROOM[maskOf(placements)]?.compute ?? 0;
}

/**
 * Where to create one more instance of `profile` next to `existing`: the first valid start, taking starts in the
 * order that leaves the most room. Plain lowest-start-first fragments a GPU: a 3g at slice 0 rules out the 4g,
 * which only starts at 0, while a 3g at slice 4 leaves room for it. So starts are ranked by the compute slices
 * still creatable afterwards, then by the largest profile still creatable, then lowest start. Null if no start
 * is free (or the profile is not in the GPU's table).
 */
export function placeProfile(
  model: string,
  memoryGiB: number,
  existing: readonly MigPlacement[],
  profile: string | MigProfile,
): MigPlacement | null {
  const profiles = migProfiles(model, memoryGiB);
  if (!profiles) return null;
  const names = byName(profiles);
  const p = names.get(typeof profile === 'string' ? profile : profile.name);
  if (!p) return null;
  const mask = maskOf(existing);
  let used = 0;
  for (const e of existing) used += names.get(e.profile)?.computeSlices ?? 0;
  if (used + p.computeSlices > MIG_COMPUTE_SLICES) return null;
  let best: { start: number; compute: number; largest: number } | null = null;
  for (const s of p.starts) {
    const b = bits(s, p.memorySlices);
    if (mask & b) continue;
    const room = ROOM[mask | b] ?? { compute: 0, largest: 0 };
    if (
      !best ||
      room.compute > best.compute ||
      (room.compute === best.compute && room.largest > best.largest)
    ) {
      best = { start: s, compute: room.compute, largest: room.largest };
    }
  }
  return best ? { profile: p.name, start: best.start, size: p.memorySlices } : null;
}

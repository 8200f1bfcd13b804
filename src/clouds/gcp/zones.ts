// Zone availability from the two aggregated lists: which GPU shapes each zone sells. Aggregated lists
// answer per scope ('zones/us-central1-a'); a scope with nothing on a page carries only
// `warning: NO_RESULTS_ON_PAGE`, which is normal and skipped. Any other warning on a scope that has
// no items means the API could not tell us about that zone (e.g. UNREACHABLE): that answer is partial,
// and a partial answer must not look complete, so it is an error.
import { GcpMalformedError } from './errors.js';
import { type MachineTypeLike, machineTypeShape, n1Shapes, type Shape } from './shapes.js';

export interface ZoneShapes {
  zone: string;
  region: string;
  shapes: Shape[];
}

/** 'us-central1-a' → 'us-central1'. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

interface ScopeLike {
  warning?: { code?: unknown; message?: unknown } | null;
}

const BENIGN_WARNINGS = new Set(['NO_RESULTS_ON_PAGE']);

/** The zone of a scope key, or null for region/global scopes; throws on an unexplained empty scope. */
function zoneOfScope(api: string, key: string, scope: ScopeLike, itemCount: number): string | null {
  const code = scope.warning?.code;
  if (itemCount === 0 && code !== undefined && code !== null && !BENIGN_WARNINGS.has(String(code))) {
    throw new GcpMalformedError(
      `${api}: scope ${key} answered ${String(code)}: ${String(scope.warning?.message)}`,
    );
  }
  const m = /^zones\/([a-z0-9-]+)$/.exec(key);
  return m?.[1] ?? null;
}

type AccScope = ScopeLike & {
  acceleratorTypes?: ReadonlyArray<{
    name?: string | null;
    maximumCardsPerInstance?: number | null;
    deprecated?: { state?: string | null } | null;
  }> | null;
};
type MtScope = ScopeLike & { machineTypes?: ReadonlyArray<MachineTypeLike> | null };

/** Zones of the wanted regions (empty set = all) with the shapes each sells. */
export function zoneShapes(
  accelerators: ReadonlyArray<readonly [string, AccScope]>,
  machineTypes: ReadonlyArray<readonly [string, MtScope]>,
  regions: ReadonlySet<string>,
): ZoneShapes[] {
  const byZone = new Map<string, Map<string, Shape>>();
  const shapesOf = (zone: string): Map<string, Shape> | null => {
    if (regions.size > 0 && !regions.has(regionOfZone(zone))) return null;
    const m = byZone.get(zone) ?? new Map<string, Shape>();
    byZone.set(zone, m);
    return m;
  };
  for (const [key, scope] of accelerators) {
    const items = scope.acceleratorTypes ?? [];
    const zone = zoneOfScope('acceleratorTypes.aggregatedList', key, scope, items.length);
    const shapes = zone ? shapesOf(zone) : null;
    if (!shapes) continue;
    for (const a of items) {
      const state = a.deprecated?.state;
      if (!a.name || state === 'OBSOLETE' || state === 'DELETED') continue;
      for (const s of n1Shapes(a.name, a.maximumCardsPerInstance ?? 0)) shapes.set(s.instanceType, s);
    }
  }
  for (const [key, scope] of machineTypes) {
    const items = scope.machineTypes ?? [];
    const zone = zoneOfScope('machineTypes.aggregatedList', key, scope, items.length);
    const shapes = zone ? shapesOf(zone) : null;
    if (!shapes) continue;
    for (const mt of items) {
      const s = machineTypeShape(mt);
      if (s) shapes.set(s.instanceType, s);
    }
  }
  return [...byZone]
    .filter(([, shapes]) => shapes.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([zone, shapes]) => ({ zone, region: regionOfZone(zone), shapes: [...shapes.values()] }));
}

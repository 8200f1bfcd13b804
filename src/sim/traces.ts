// Spot traces: the "Can't Be Late" (NSDI'24) availability and preemption traces, as published
// (`{"metadata":{"gap_seconds":N},"data":[...],"prices":[...]?}`) and in the compact run-length form the project
// bundles under data/replay/traces/ (lossless: the same ticks, written as [value, ticks] runs). Pure: text in,
// numbers out.
//
// Meaning (the traces' README): tick i covers [i·gap, (i+1)·gap); its value is the number of spot instances
// available (availability traces) or still running (preemption traces). For a 1-node trace 1 = spot there,
// 0 = none to be had / the instance was preempted.

export interface SpotTrace {
  gapSeconds: number;
  /** Value per tick. */
  data: number[];
  /** Spot price per tick, USD/h, where the trace recorded it. */
  prices?: number[];
}

/** A trace as bundled: where it comes from, which pool it measured, and its ticks run-length encoded. */
export interface BundledTrace extends SpotTrace {
  format: typeof BUNDLED_TRACE_FORMAT;
  /** `owner/repo@commit:path` of the original file. */
  origin: string;
  kind: 'availability' | 'preemption';
  cloud: 'aws' | 'gcp' | 'azure';
  region: string;
  zone: string;
  instanceType: string;
  /** Instances the trace tried to hold (1, 4 or 16). */
  nodes: number;
  /** When tick 0 was taken, as far as the trace says (its folder's date). */
  start: string;
}

export const BUNDLED_TRACE_FORMAT = 'gpusched-spot-trace/1';

/** An interval of seconds from the trace's start, [from, to). */
export interface Span {
  from: number;
  to: number;
}

function fail(name: string, why: string): never {
  throw new Error(`spot trace ${name}: ${why}`);
}

function checkValues(name: string, values: unknown, what: string, integer: boolean): number[] {
  if (!Array.isArray(values) || values.length === 0) fail(name, `${what} must be a non-empty array`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v)))
      fail(name, `${what}[${i}] must be a ${integer ? 'whole ' : ''}number ≥ 0, got ${JSON.stringify(v)}`);
  });
  return values as number[];
}

/** Parses a trace as published by skypilot-org/spot-traces. */
export function parseCantBeLateTrace(text: string, name = 'trace'): SpotTrace {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(name, `not JSON: ${(err as Error).message}`);
  }
  const d = doc as { metadata?: { gap_seconds?: unknown }; data?: unknown; prices?: unknown };
  const gap = d?.metadata?.gap_seconds;
  if (typeof gap !== 'number' || !(gap > 0)) fail(name, 'metadata.gap_seconds must be a positive number');
  const data = checkValues(name, d.data, 'data', true);
  const out: SpotTrace = { gapSeconds: gap, data };
  if (d.prices !== undefined) {
    const prices = checkValues(name, d.prices, 'prices', false);
    if (prices.length !== data.length) fail(name, `prices has ${prices.length} ticks, data ${data.length}`);
    out.prices = prices;
  }
  return out;
}

/** [value, ticks] runs: [0,0,1,1,1] → [[0,2],[1,3]]. */
export function encodeRuns(values: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const v of values) {
    const last = runs.at(-1);
    if (last && last[0] === v) last[1]++;
    else runs.push([v, 1]);
  }
  return runs;
}

export function decodeRuns(runs: readonly (readonly [number, number])[]): number[] {
  const out: number[] = [];
  for (const [v, n] of runs) for (let i = 0; i < n; i++) out.push(v);
  return out;
}

function runsOf(name: string, value: unknown, what: string): [number, number][] {
  if (!Array.isArray(value) || value.length === 0) fail(name, `${what} must be a non-empty array of runs`);
  return value.map((r, i) => {
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      typeof r[0] !== 'number' ||
      !(r[0] >= 0) ||
      !Number.isInteger(r[1]) ||
      r[1] < 1
    )
      fail(name, `${what}[${i}] must be [value ≥ 0, ticks ≥ 1], got ${JSON.stringify(r)}`);
    return [r[0], r[1]] as [number, number];
  });
}

/** Reads a trace in the project's bundled form (data/replay/traces/*.json). */
export function parseBundledTrace(text: string, name = 'trace'): BundledTrace {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    fail(name, `not JSON: ${(err as Error).message}`);
  }
  if (doc.format !== BUNDLED_TRACE_FORMAT) fail(name, `format must be ${BUNDLED_TRACE_FORMAT}`);
  for (const k of ['origin', 'region', 'zone', 'instanceType', 'start'] as const)
    if (typeof doc[k] !== 'string' || doc[k] === '') fail(name, `${k} must be a non-empty string`);
  if (doc.kind !== 'availability' && doc.kind !== 'preemption')
    fail(name, 'kind must be availability or preemption');
  if (doc.cloud !== 'aws' && doc.cloud !== 'gcp' && doc.cloud !== 'azure')
    fail(name, 'cloud must be aws, gcp or azure');
  if (!Number.isInteger(doc.nodes) || (doc.nodes as number) < 1)
    fail(name, 'nodes must be a whole number ≥ 1');
  if (typeof doc.gapSeconds !== 'number' || !(doc.gapSeconds > 0))
    fail(name, 'gapSeconds must be a positive number');
  if (Number.isNaN(Date.parse(doc.start as string))) fail(name, 'start must be an ISO date');
  const data = decodeRuns(runsOf(name, doc.runs, 'runs'));
  const out: BundledTrace = {
    format: BUNDLED_TRACE_FORMAT,
    origin: doc.origin as string,
    kind: doc.kind,
    cloud: doc.cloud,
    region: doc.region as string,
    zone: doc.zone as string,
    instanceType: doc.instanceType as string,
    nodes: doc.nodes as number,
    start: doc.start as string,
    gapSeconds: doc.gapSeconds,
    data,
  };
  if (doc.priceRuns !== undefined) {
    const prices = decodeRuns(runsOf(name, doc.priceRuns, 'priceRuns'));
    if (prices.length !== data.length)
      fail(name, `priceRuns cover ${prices.length} ticks, runs ${data.length}`);
    out.prices = prices;
  }
  return out;
}

/** The bundled form of a published trace (what bench/replay-derive.mjs writes). */
export function toBundled(
  trace: SpotTrace,
  meta: Omit<BundledTrace, 'format' | 'gapSeconds' | 'data' | 'prices'>,
): Record<string, unknown> {
  return {
    format: BUNDLED_TRACE_FORMAT,
    ...meta,
    gapSeconds: trace.gapSeconds,
    ticks: trace.data.length,
    runs: encodeRuns(trace.data),
    ...(trace.prices ? { priceRuns: encodeRuns(trace.prices) } : {}),
  };
}

/** Length of the trace, seconds. */
export function traceSeconds(trace: SpotTrace): number {
  return trace.data.length * trace.gapSeconds;
}

/**
 * The spans when the pool could not give `need` instances (value < need), seconds from the trace's start, merged
 * and in order; each starts at the tick where the value dropped.
 */
export function outages(trace: SpotTrace, need = 1): Span[] {
  const out: Span[] = [];
  const g = trace.gapSeconds;
  trace.data.forEach((v, i) => {
    if (v >= need) return;
    const last = out.at(-1);
    if (last && last.to === i * g) last.to = (i + 1) * g;
    else out.push({ from: i * g, to: (i + 1) * g });
  });
  return out;
}

/**
 * Lengths (seconds) of the complete up and down periods of a trace: runs with value ≥ need and runs without. The
 * first and the last run are cut by the trace's edges, so they are left out (they would bias the means down).
 */
export function periods(trace: SpotTrace, need = 1): { up: number[]; down: number[] } {
  const runs = encodeRuns(trace.data.map((v) => (v >= need ? 1 : 0)));
  const up: number[] = [];
  const down: number[] = [];
  for (const [v, n] of runs.slice(1, -1)) (v === 1 ? up : down).push(n * trace.gapSeconds);
  return { up, down };
}

/** Share of the trace's ticks with value ≥ need. */
export function availableShare(trace: SpotTrace, need = 1): number {
  return trace.data.filter((v) => v >= need).length / trace.data.length;
}

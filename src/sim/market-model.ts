// The replay's market: for every pool of the scenario, when it sells (spot pools have outages) and at what price,
// over the whole replay. Built once, before the replay, from the traces, the price history, the catalog and the
// calibrated model (docs/replay.md, "The market"); then read by the daemon's market source (trace-market.ts), by
// the baselines and by the lower bound alike, so every policy faces the same market. Pure: data in, data out.
//
// - A spot pool that a trace measured takes its outages from the trace, and its price from the trace's per-tick
//   prices where it has them, else the catalog (or, where the catalog sells no spot there, the median spot price
//   of the same instance type in the region).
// - Every other spot pool follows a modelled on/off process calibrated on the traces: its up and down periods are
//   drawn from the measured periods of one of the traced pools (its "profile"), the up periods stretched by how
//   much less often its pool is interrupted than the traced one according to the AWS Spot Advisor buckets.
// - On-demand pools never run out.
// - Prices not given by a trace come from the catalog, moved by the price history where it has the pool (GCP).

import { bucketRate } from '../core/interruptions.js';
import { type CloudName, type Offer, poolKey } from '../core/model.js';
import { type Rng, rng, seedOf } from './rng.js';
import { type Span, type SpotTrace, outages as traceOutages } from './traces.js';

export interface PricePoint {
  /** ms since the epoch */
  at: number;
  price: number;
}

export interface PoolTimeline {
  key: string;
  /** The pool's offer; its price is the one in force at the start. */
  offer: Offer;
  /** What decides when it sells: a trace, the model, or nothing (on-demand). */
  driver: 'trace' | 'model' | 'on-demand';
  /** The trace's name, or the traced pool whose periods the model drew from. */
  source: string;
  /** When it sells nothing, ms [from, to), in order, not touching. Spot only. */
  outages: Span[];
  /** Price steps, in order; the first is at the start. */
  prices: PricePoint[];
}

/** A traced pool: which pool, its trace, and the second of the trace that the replay's start maps to. */
export interface TracedPool {
  name: string;
  cloud: CloudName;
  region: string;
  zone: string;
  instanceType: string;
  trace: SpotTrace;
  /** Offset into the trace (seconds) at the replay's start. */
  offsetSeconds: number;
}

/** Up and down periods (seconds) measured on a traced pool: what the model draws modelled pools' periods from. */
export interface RenewalProfile {
  name: string;
  up: readonly number[];
  down: readonly number[];
  /** Share of the time the traced pool was up. */
  availableShare: number;
}

/** Price steps of one pool from a price history, keyed like the catalog's pools. */
export interface PriceHistory {
  /** Which pools it moves: the offer's key in the history (see historyKey), and the steps. */
  series: ReadonlyMap<string, { onDemand: PricePoint[]; spot: PricePoint[] }>;
  /** History time of the catalog's prices: a pool's price moves by history(t) − history(catalogAt). */
  catalogAt: number;
  /** History time that the replay's start maps to. */
  anchor: number;
}

export interface MarketInput {
  start: number;
  end: number;
  /** The scenario's offers, both markets (a spot offer for every pool that sells spot). */
  catalog: readonly Offer[];
  traced: readonly TracedPool[];
  profiles: readonly RenewalProfile[];
  /** AWS Spot Advisor bucket by `region/instanceType`. */
  buckets: ReadonlyMap<string, number>;
  /** The Spot Advisor bucket of the traced pools (p3.2xlarge is 4, ">20 %", in every traced region). */
  tracedBucket: number;
  history?: PriceHistory;
  seed: number;
}

/** The key of a GCP offer in a price history: accelerator, count and zone (GPU prices of N1 VMs). */
export function historyKey(o: Pick<Offer, 'gpu' | 'zone'>): string {
  return `${o.gpu.model}|${o.gpu.count}|${o.zone ?? '-'}`;
}

function lastAtOrBefore(points: readonly PricePoint[], t: number): PricePoint | undefined {
  let lo = 0;
  let hi = points.length - 1;
  let found: PricePoint | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = points[mid]!;
    if (p.at <= t) {
      found = p;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Merges touching or overlapping spans (ms) and drops empty ones, in order. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].filter((x) => x.to > x.from).sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** The trace's outages over [start, end), wrapping around when the replay is longer than the trace. */
export function tracedOutages(p: TracedPool, start: number, end: number): Span[] {
  const len = p.trace.data.length * p.trace.gapSeconds * 1000;
  const base = traceOutages(p.trace);
  const out: Span[] = [];
  // Trace second s is at replay time start + (s − offset); wrap-arounds repeat the trace.
  for (let k = 0; start + k * len - p.offsetSeconds * 1000 < end; k++) {
    const shift = start + k * len - p.offsetSeconds * 1000;
    for (const o of base) {
      const from = Math.max(start, shift + o.from * 1000);
      const to = Math.min(end, shift + o.to * 1000);
      if (to > from) out.push({ from, to });
    }
  }
  return mergeSpans(out);
}

function tracedPrices(p: TracedPool, start: number, end: number): PricePoint[] | null {
  const prices = p.trace.prices;
  if (!prices) return null;
  const gap = p.trace.gapSeconds * 1000;
  const len = prices.length * gap;
  const out: PricePoint[] = [];
  for (let k = 0; start + k * len - p.offsetSeconds * 1000 < end; k++) {
    const shift = start + k * len - p.offsetSeconds * 1000;
    prices.forEach((price, i) => {
      const at = shift + i * gap;
      if (at >= end || at + gap <= start) return;
      if (out.at(-1)?.price !== price) out.push({ at: Math.max(at, start), price });
    });
  }
  return out;
}

/**
 * A modelled pool's outages: an alternating renewal process. The first period is a random share of a drawn one
 * (so that pools do not all flip at the start); up periods are stretched by `upScale`.
 */
export function modelledOutages(
  profile: RenewalProfile,
  upScale: number,
  start: number,
  end: number,
  random: Rng,
): Span[] {
  if (profile.up.length === 0 || profile.down.length === 0) return [];
  const out: Span[] = [];
  let up = random.next() < profile.availableShare;
  let t = start;
  let first = true;
  while (t < end) {
    const drawn = (up ? random.pick(profile.up) * upScale : random.pick(profile.down)) * 1000;
    const d = first ? drawn * random.next() : drawn;
    first = false;
    const next = Math.min(end, t + Math.max(d, 1000));
    if (!up) out.push({ from: t, to: next });
    t = next;
    up = !up;
  }
  return mergeSpans(out);
}

/**
 * How much longer a modelled pool's up periods are than the traced pools': the ratio of the interruption rates
 * of the Spot Advisor buckets (the traced pools' bucket over the pool's). Pools without a bucket (GCP, Azure, AWS
 * types the advisor does not list) behave like the traced ones: 1.
 */
export function upScaleFor(offer: Offer, buckets: ReadonlyMap<string, number>, tracedBucket: number): number {
  if (offer.cloud !== 'aws') return 1;
  const b = buckets.get(`${offer.region}/${offer.instanceType}`);
  return b === undefined ? 1 : bucketRate(tracedBucket) / bucketRate(b);
}

function historyPrices(
  offer: Offer,
  history: PriceHistory | undefined,
  start: number,
  end: number,
): PricePoint[] {
  const flat = [{ at: start, price: offer.pricePerHour }];
  if (!history || offer.cloud !== 'gcp') return flat;
  const series = history.series.get(historyKey(offer));
  const steps = series ? (offer.market === 'spot' ? series.spot : series.onDemand) : undefined;
  if (!steps || steps.length === 0) return flat;
  const atCatalog = lastAtOrBefore(steps, history.catalogAt) ?? steps[0]!;
  const priceAt = (histT: number) => {
    const p = lastAtOrBefore(steps, histT) ?? steps[0]!;
    return Math.max(0.0001, Math.round((offer.pricePerHour + p.price - atCatalog.price) * 1e6) / 1e6);
  };
  const toReplay = (histT: number) => start + (histT - history.anchor);
  const out: PricePoint[] = [{ at: start, price: priceAt(history.anchor) }];
  for (const s of steps) {
    const at = toReplay(s.at);
    if (at <= start || at >= end) continue;
    const price = priceAt(s.at);
    if (out.at(-1)!.price !== price) out.push({ at, price });
  }
  return out;
}

/** Median of the catalog's spot prices of an instance type in a region (for traced pools the catalog lacks). */
function regionalSpotPrice(catalog: readonly Offer[], p: TracedPool): number | null {
  const prices = catalog
    .filter(
      (o) =>
        o.market === 'spot' &&
        o.cloud === p.cloud &&
        o.region === p.region &&
        o.instanceType === p.instanceType,
    )
    .map((o) => o.pricePerHour)
    .sort((a, b) => a - b);
  if (prices.length === 0) return null;
  const m = prices.length >> 1;
  return prices.length % 2 ? prices[m]! : (prices[m - 1]! + prices[m]!) / 2;
}

export function buildMarket(input: MarketInput): MarketTimeline {
  const { start, end } = input;
  const pools: PoolTimeline[] = [];
  const tracedKeys = new Map<string, TracedPool>();
  for (const t of input.traced) {
    const key = poolKey({ ...t, market: 'spot' });
    if (tracedKeys.has(key)) throw new Error(`two traces drive pool ${key}`);
    tracedKeys.set(key, t);
  }
  const catalog = [...input.catalog];
  // A traced pool the catalog sells no spot in (the catalog is years younger than the trace) still gets one.
  for (const [key, t] of tracedKeys) {
    if (catalog.some((o) => poolKey(o) === key)) continue;
    const od = catalog.find((o) => poolKey({ ...o, market: 'spot' }) === key && o.market === 'on-demand');
    if (!od) throw new Error(`trace ${t.name}: the catalog has no pool ${key} (not even on-demand)`);
    const price = t.trace.prices?.[0] ?? regionalSpotPrice(catalog, t);
    if (price === null)
      throw new Error(`trace ${t.name}: no spot price for ${key} (trace, catalog or region)`);
    catalog.push({ ...od, market: 'spot', pricePerHour: price });
  }
  for (const offer of catalog.sort((a, b) => (poolKey(a) < poolKey(b) ? -1 : 1))) {
    const key = poolKey(offer);
    const traced = tracedKeys.get(key);
    if (offer.market === 'on-demand') {
      pools.push({
        key,
        offer,
        driver: 'on-demand',
        source: 'catalog',
        outages: [],
        prices: historyPrices(offer, input.history, start, end),
      });
    } else if (traced) {
      pools.push({
        key,
        offer,
        driver: 'trace',
        source: traced.name,
        outages: tracedOutages(traced, start, end),
        prices: tracedPrices(traced, start, end) ?? historyPrices(offer, input.history, start, end),
      });
    } else {
      const random = rng(seedOf(input.seed, key));
      if (input.profiles.length === 0) throw new Error('modelled spot pools need at least one profile');
      const profile = random.pick(input.profiles);
      const scale = upScaleFor(offer, input.buckets, input.tracedBucket);
      pools.push({
        key,
        offer,
        driver: 'model',
        source: profile.name,
        outages: modelledOutages(profile, scale, start, end, random),
        prices: historyPrices(offer, input.history, start, end),
      });
    }
  }
  return new MarketTimeline(start, end, pools);
}

/** The market over time: what sells when, at what price. */
export class MarketTimeline {
  private readonly byKey: Map<string, PoolTimeline>;
  private readonly offerOfPoint = new WeakMap<PricePoint, Offer>();
  private readonly byCloud = new Map<CloudName, readonly PoolTimeline[]>();
  /** Every instant at which some pool's availability or price changes, in order. */
  readonly changes: number[];

  constructor(
    readonly start: number,
    readonly end: number,
    readonly pools: readonly PoolTimeline[],
  ) {
    this.byKey = new Map(pools.map((p) => [p.key, p]));
    const set = new Set<number>();
    for (const p of pools) {
      for (const o of p.outages) {
        set.add(o.from);
        if (o.to < end) set.add(o.to);
      }
      for (const q of p.prices.slice(1)) set.add(q.at);
    }
    this.changes = [...set].sort((a, b) => a - b);
  }

  pool(key: string): PoolTimeline {
    const p = this.byKey.get(key);
    if (!p) throw new Error(`no pool ${key} in the replay's market`);
    return p;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** One cloud's pools, in the market's order (each source polls its own). */
  private poolsOf(cloud: CloudName): readonly PoolTimeline[] {
    let pools = this.byCloud.get(cloud);
    if (!pools) {
      pools = this.pools.filter((p) => p.offer.cloud === cloud);
      this.byCloud.set(cloud, pools);
    }
    return pools;
  }

  /** The outage the pool is in at t, if any. */
  outageAt(key: string, t: number): Span | null {
    return outageIn(this.pool(key).outages, t);
  }

  available(key: string, t: number): boolean {
    return this.outageAt(key, t) === null;
  }

  /** The first outage that starts at or after t (when an instance running at t is reclaimed). */
  nextOutage(key: string, t: number): Span | null {
    const o = this.pool(key).outages;
    let lo = 0;
    let hi = o.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o[mid]!.from < t) lo = mid + 1;
      else hi = mid;
    }
    return o[lo] ?? null;
  }

  /** When the pool sells again: t when it does now, else the end of the outage it is in. */
  availableFrom(key: string, t: number): number {
    return this.outageAt(key, t)?.to ?? t;
  }

  priceAt(key: string, t: number): number {
    const p = this.pool(key).prices;
    return (lastAtOrBefore(p, t) ?? p[0]!).price;
  }

  /**
   * The offers that sell at t, at their price then, observed when that price was set (as EC2's spot price
   * history stamps a price with its start, not with the time it was asked for).
   */
  offersAt(t: number, cloud?: CloudName): Offer[] {
    const out: Offer[] = [];
    for (const p of cloud ? this.poolsOf(cloud) : this.pools) {
      if (outageIn(p.outages, t) !== null) continue;
      const price = lastAtOrBefore(p.prices, t);
      if (!price) {
        // Before the pool's first price: the first one, observed now.
        out.push({ ...p.offer, pricePerHour: p.prices[0]!.price, observedAt: new Date(t).toISOString() });
        continue;
      }
      // The same price point gives the same (frozen) offer: a poll that confirms a price hands back what the
      // last one did, which the daemon's store recognises without comparing it.
      let offer = this.offerOfPoint.get(price);
      if (!offer) {
        const observedAt = new Date(Math.max(this.start, price.at)).toISOString();
        offer = Object.freeze({ ...p.offer, pricePerHour: price.price, observedAt });
        this.offerOfPoint.set(price, offer);
      }
      out.push(offer);
    }
    return out;
  }

  /** Whether any pool changed in (from, to]. */
  changedBetween(from: number, to: number): boolean {
    const c = this.changes;
    let lo = 0;
    let hi = c.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    return lo < c.length && c[lo]! <= to;
  }

  /** The first change after t, or null. */
  nextChange(t: number): number | null {
    const c = this.changes;
    let lo = 0;
    let hi = c.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return c[lo] ?? null;
  }

  /** What a node of the pool costs from `from` to `to` (ms), at the prices in force: the integral of the price. */
  cost(key: string, from: number, to: number): number {
    if (to <= from) return 0;
    const p = this.pool(key).prices;
    let usd = 0;
    for (let i = 0; i < p.length; i++) {
      const a = Math.max(from, i === 0 ? Number.NEGATIVE_INFINITY : p[i]!.at);
      const b = Math.min(to, p[i + 1]?.at ?? Number.POSITIVE_INFINITY);
      if (b > a) usd += (p[i]!.price * (b - a)) / 3_600_000;
    }
    return usd;
  }
}

/** The span of sorted, disjoint outages that t falls in, if any. */
function outageIn(o: readonly Span[], t: number): Span | null {
  let lo = 0;
  let hi = o.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = o[mid]!;
    if (t < s.from) hi = mid - 1;
    else if (t >= s.to) lo = mid + 1;
    else return s;
  }
  return null;
}

// Learned availability: each spot pool's interruption rate, from the public prior and from what this
// daemon saw (spot node-hours and interruptions per pool, from the nodes table), folded into the offers
// the scheduler and the API see. Pool blocks are folded in by the offer repository already.

import {
  bucketRate,
  DEFAULT_MONTHLY_FRACTION,
  monthlyFractionToRate,
  type PoolObservation,
  posteriorRate,
} from '../core/interruptions.js';
import type { Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import { deepFreeze } from '../core/validate.js';
import type { SpotNodeHistory } from '../store/nodes.js';
import type { Store } from '../store/store.js';
import { type Providers, providerOf } from './billing.js';

/**
 * How far behind the newest termination counted a later one may be stamped: a termination is stamped with the
 * time its cloud call started, so a call that ends after a later one's is read that much late. Cloud calls
 * take seconds to minutes; an hour is a wide margin, and a day of terminations read at every tick was not
 * free (a month's replay spent a twentieth of its time there).
 */
const LATE_STAMP_MS = 3_600_000;

export class Availability {
  private readonly defaultRate = monthlyFractionToRate(DEFAULT_MONTHLY_FRACTION);
  /** What terminated spot nodes saw, per pool; the nodes already counted, by id, with their end. */
  private readonly closed = new Map<string, PoolObservation>();
  private readonly closedIds = new Map<string, number>();
  /** The latest termination counted (ms), null before the first read. */
  private since: number | null = null;
  /** The store's termination count when terminated nodes were last read (NodeRepo.terminations). */
  private terminationsRead = -1;
  /**
   * Each frozen offer as last annotated, with its pool key and prior rate (both fixed for the offer), and whether
   * its rate read an observation of the pool.
   */
  private readonly annotated = new WeakMap<
    Offer,
    { offer: Offer; key: string; prior: number; observed: boolean }
  >();
  private last: LastAnnotation | null = null;

  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    /** AWS Spot Advisor buckets by `region/instanceType`. */
    private readonly awsBuckets: ReadonlyMap<string, number>,
  ) {}

  priorRate(offer: Pick<Offer, 'cloud' | 'region' | 'instanceType'>): number {
    const bucket =
      offer.cloud === 'aws' ? this.awsBuckets.get(`${offer.region}/${offer.instanceType}`) : undefined;
    return bucket === undefined ? this.defaultRate : bucketRate(bucket);
  }

  /**
   * Per pool: interruptions and spot node-hours seen (billable hours, so sim time counts as sim time). A
   * terminated node's share never changes, so it is added once to `closed`; each call reads only the nodes
   * still up and those terminated since LATE_STAMP_MS before the last termination it saw.
   */
  observed(now: Date): Map<string, PoolObservation> {
    // Terminated nodes are read again only when a write may have added one since the last read: those read
    // before are all counted already.
    const terminations = this.store.nodes.terminations;
    const fresh = this.store.nodes.spotHistory(
      this.since === null ? null : new Date(this.since - LATE_STAMP_MS).toISOString(),
      terminations !== this.terminationsRead,
    );
    this.terminationsRead = terminations;
    const seen = new Map<string, PoolObservation>();
    const add = (into: Map<string, PoolObservation>, n: SpotNodeHistory, end: Date) => {
      const key = poolKey(n);
      const o = into.get(key) ?? { interruptions: 0, hours: 0 };
      o.hours += providerOf(this.providers, n).billableHours(new Date(n.readyAt), end);
      if (n.interruptedAt) o.interruptions++;
      into.set(key, o);
    };
    for (const n of fresh) {
      if (!this.providers.has(n.provider)) continue;
      if (n.terminatedAt === null) {
        add(seen, n, now);
        continue;
      }
      if (this.closedIds.has(n.id)) continue;
      const end = Date.parse(n.terminatedAt);
      this.closedIds.set(n.id, end);
      this.since = Math.max(this.since ?? end, end);
      add(this.closed, n, new Date(end));
    }
    for (const [id, end] of this.closedIds)
      if (end < (this.since ?? 0) - LATE_STAMP_MS) this.closedIds.delete(id);
    for (const [key, c] of this.closed) {
      const o = seen.get(key);
      seen.set(
        key,
        o ? { interruptions: o.interruptions + c.interruptions, hours: o.hours + c.hours } : { ...c },
      );
    }
    return seen;
  }

  /**
   * Spot offers with their interruption rate; on-demand offers are not interrupted (null). Offer for offer, in the
   * order given (the scheduler finds a pool's offer by its place in the store's list). A frozen offer whose
   * rate is what it was last time comes back as the same frozen object, and the list as the same list when every
   * offer is: what readers key on them (the packer's offer index, pool keys) holds while the market stays.
   */
  annotate(offers: readonly Offer[], now: Date): readonly Offer[] {
    const seen = this.observed(now);
    const last = this.last;
    if (last?.input === offers) return this.reannotate(last, seen);
    const out = offers.map((o) => this.annotateOne(o, seen));
    // The same list as last time, when every offer is: readers may key what they derive on the list (the packer).
    const same = last && last.out.length === out.length && out.every((o, i) => o === last.out[i]);
    const answer = same ? last.out : Object.isFrozen(offers) ? Object.freeze(out) : out;
    if (Object.isFrozen(offers)) this.last = { input: offers, out: answer, spotAt: null };
    return answer;
  }

  /**
   * The list annotated last time, again (the store's list stays the same between polls): only the offers of pools
   * seen now can have a new rate, as a pool once seen stays seen (its terminated nodes are kept in `closed`).
   */
  private reannotate(last: LastAnnotation, seen: Map<string, PoolObservation>): readonly Offer[] {
    if (!last.spotAt) {
      const spotAt = new Map<string, number[]>();
      last.input.forEach((o, i) => {
        if (o.market !== 'spot') return;
        const key = this.annotated.get(o)?.key ?? poolKey(o);
        const at = spotAt.get(key);
        if (at) at.push(i);
        else spotAt.set(key, [i]);
      });
      last.spotAt = spotAt;
    }
    let out: Offer[] | null = null;
    for (const key of seen.keys())
      for (const i of last.spotAt.get(key) ?? []) {
        const o = this.annotateOne(last.input[i]!, seen);
        if (o === last.out[i]) continue;
        out ??= last.out.slice();
        out[i] = o;
      }
    if (out) last.out = Object.freeze(out);
    return last.out;
  }

  private annotateOne(o: Offer, seen: Map<string, PoolObservation>): Offer {
    if (o.market !== 'spot') return o;
    const last = this.annotated.get(o);
    const own = o.availability.interruptionsPerHour;
    // A rate that read no observation, with none of its pool seen now, is what it was: no need to work it out.
    if (last && !last.observed && (own !== null || !seen.has(last.key))) return last.offer;
    const key = last?.key ?? poolKey(o);
    const prior = last?.prior ?? this.priorRate(o);
    const observation = own === null ? seen.get(key) : undefined;
    const rate = own ?? posteriorRate(prior, observation);
    const observed = observation !== undefined;
    if (last?.offer.availability.interruptionsPerHour === rate) {
      last.observed = observed;
      return last.offer;
    }
    const out = { ...o, availability: { ...o.availability, interruptionsPerHour: rate } };
    if (!Object.isFrozen(o)) return out;
    const frozen = deepFreeze(out) as Offer;
    this.annotated.set(o, { offer: frozen, key, prior, observed });
    return frozen;
  }
}

/** The last frozen list annotated, its answer, and (once asked again) the places of its spot offers by pool. */
interface LastAnnotation {
  readonly input: readonly Offer[];
  out: readonly Offer[];
  spotAt: Map<string, number[]> | null;
}

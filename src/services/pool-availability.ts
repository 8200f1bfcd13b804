// What the scheduler's snapshot says of a running node's pool: its interruption rate now, as a new node from that
// pool would be judged. A block on the pool stops new launches there, not the use of a node already running, so
// the node's copy has none.
import { type Offer, poolKey } from '../core/model.js';

type ByPool = Map<string, Offer['availability']>;

export class PoolAvailability {
  /** Kept per frozen offer list: the snapshot, a reclaim's replacement and consolidation may read the same one. */
  private readonly known = new WeakMap<readonly Offer[], ByPool>();
  private last: { offers: readonly Offer[]; byPool: ByPool } | null = null;

  /** Each offered pool's availability, without its block. */
  of(offers: readonly Offer[]): ReadonlyMap<string, Offer['availability']> {
    const known = this.known.get(offers);
    if (known) return known;
    // A list of the same pools in the same order as the last one (the usual case: some pools with a new rate)
    // changes only the entries of the offers that changed.
    const last = this.last;
    let byPool: ByPool | null = null;
    if (last && last.offers.length === offers.length) {
      byPool = new Map(last.byPool);
      for (let i = 0; i < offers.length && byPool; i++) {
        const o = offers[i]!;
        const before = last.offers[i]!;
        if (o === before) continue;
        const key = poolKey(o);
        if (key === poolKey(before)) byPool.set(key, unblocked(o));
        else byPool = null;
      }
    }
    byPool ??= new Map(offers.map((o) => [poolKey(o), unblocked(o)]));
    if (Object.isFrozen(offers)) {
      this.known.set(offers, byPool);
      this.last = { offers, byPool };
    }
    return byPool;
  }
}

function unblocked(o: Offer): Offer['availability'] {
  return { ...o.availability, blockedUntil: null };
}

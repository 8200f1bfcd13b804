// What the scheduler's snapshot says of a running node's pool: its interruption rate now, as a new node from that
// pool would be judged. A block on the pool stops new launches there, not the use of a node already running, so
// the node's copy has none.
import { type Offer, type Pool, poolKey } from '../core/model.js';

export class PoolAvailability {
  /** Each pool's position in a store list, kept per frozen list (the store's list changes only with a poll). */
  private readonly positions = new WeakMap<readonly Offer[], Map<string, number>>();

  /**
   * The availability of a pool as `annotated` says it, without its block; undefined when the pool is not offered.
   * `annotated` is `listed` with each offer's rate filled in, offer for offer (Availability.annotate), so the
   * pool's place in `listed` finds its offer: a node looks up its own pool, not the whole market.
   */
  of(listed: readonly Offer[], annotated: readonly Offer[], pool: Pool): Offer['availability'] | undefined {
    if (annotated.length !== listed.length) return undefined;
    let at = this.positions.get(listed);
    if (!at) {
      at = new Map(listed.map((o, i) => [poolKey(o), i]));
      if (Object.isFrozen(listed)) this.positions.set(listed, at);
    }
    const i = at.get(poolKey(pool));
    const offer = i === undefined ? undefined : annotated[i];
    return offer && { ...offer.availability, blockedUntil: null };
  }
}

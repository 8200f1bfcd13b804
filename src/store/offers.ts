// Offers as last polled, the price history of every pool (a row only when the price changed), the
// freshness of each market source, and pools blocked after failures or interruptions.
import type { CloudName, Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { Db } from './db.js';
import type { Outbox } from './outbox.js';

interface OfferRow {
  pool_key: string;
  cloud: CloudName;
  region: string;
  zone: string | null;
  zone_id: string | null;
  instance_type: string;
  market: Offer['market'];
  gpu_model: string;
  gpu_count: number;
  gpu_memory_gib: number;
  vcpus: number;
  memory_gib: number;
  price_per_hour: number;
  observed_at: string;
  source: string;
  score: number | null;
  interruptions_per_hour: number | null;
  blocked_until: string | null;
}

function toOffer(r: OfferRow): Offer {
  return {
    cloud: r.cloud,
    region: r.region,
    zone: r.zone,
    ...(r.zone_id ? { zoneId: r.zone_id } : {}),
    instanceType: r.instance_type,
    gpu: { model: r.gpu_model, count: r.gpu_count, memoryGiB: r.gpu_memory_gib },
    vcpus: r.vcpus,
    memoryGiB: r.memory_gib,
    market: r.market,
    pricePerHour: r.price_per_hour,
    observedAt: r.observed_at,
    availability: {
      score: r.score,
      blockedUntil: r.blocked_until,
      interruptionsPerHour: r.interruptions_per_hour,
    },
    source: r.source,
  };
}

function freezeOffer(o: Offer): Offer {
  Object.freeze(o.gpu);
  Object.freeze(o.availability);
  return Object.freeze(o);
}

export interface OfferQuery {
  gpu?: string;
  cloud?: CloudName;
  market?: Offer['market'];
  region?: string;
  limit?: number;
}

export interface SourceFreshness {
  cloud: CloudName;
  kind: string;
  /** Last successful poll; null when it never answered (only failures recorded). */
  fetchedAt: string | null;
  offers: number;
  lastAttemptAt: string | null;
  /** The error of the last attempt, null when it succeeded. */
  lastError: string | null;
  failures: number;
}

/** The row an offer is stored as (its pool's block aside). */
function toRow(o: Offer, source: string): StoredRow {
  return {
    pool_key: poolKey(o),
    cloud: o.cloud,
    region: o.region,
    zone: o.zone,
    zone_id: o.zoneId ?? null,
    instance_type: o.instanceType,
    market: o.market,
    gpu_model: o.gpu.model,
    gpu_count: o.gpu.count,
    gpu_memory_gib: o.gpu.memoryGiB,
    vcpus: o.vcpus,
    memory_gib: o.memoryGiB,
    price_per_hour: o.pricePerHour,
    observed_at: o.observedAt,
    source,
    score: o.availability.score,
    interruptions_per_hour: o.availability.interruptionsPerHour,
  };
}

type StoredRow = Omit<OfferRow, 'blocked_until'>;

/** Same row but for when it was observed: a poll that only confirms a price touches observed_at alone. */
function sameButObserved(a: StoredRow, b: StoredRow): boolean {
  // Field by field, by name: a poll compares every offer, and a loop over the keys is many times slower.
  return (
    a.pool_key === b.pool_key &&
    a.cloud === b.cloud &&
    a.region === b.region &&
    a.zone === b.zone &&
    a.zone_id === b.zone_id &&
    a.instance_type === b.instance_type &&
    a.market === b.market &&
    a.gpu_model === b.gpu_model &&
    a.gpu_count === b.gpu_count &&
    a.gpu_memory_gib === b.gpu_memory_gib &&
    a.vcpus === b.vcpus &&
    a.memory_gib === b.memory_gib &&
    a.price_per_hour === b.price_per_hour &&
    a.source === b.source &&
    a.score === b.score &&
    a.interruptions_per_hour === b.interruptions_per_hour
  );
}

export class OfferRepo {
  /**
   * Every stored offer row by pool key, and every pool block, as in the database (the daemon is its only writer):
   * `replace` and `blockPool` write the database and then these. The scheduler reads every offer every tick; the
   * market changes every few minutes, and most polls confirm most prices.
   */
  private rows: Map<string, StoredRow> | null = null;
  private blocks: Map<string, string> | null = null;
  /** The unfiltered list, built from the two above when it is next read after a change. */
  private all: readonly Offer[] | null = null;
  /**
   * The rows in the order of the last list, and the rows stored since: the next list sorts the first (less those
   * replaced or gone) followed by the second, nearly in order already, which the sort does in about one pass.
   */
  private order: StoredRow[] | null = null;
  private added: StoredRow[] = [];
  /**
   * Each pool's offer as last listed, kept while its row and block stay as they are: readers may key what they
   * work out from an offer on its identity (annotated offers, pool keys, the packer's index).
   */
  private readonly listed = new Map<string, Offer>();
  /** Frozen offers as polled, with the row stored for each (see `replace`). */
  private readonly rowOf = new WeakMap<Offer, StoredRow>();
  private newest: Map<string, number> | null = null;

  /** One transaction function for every poll, made once (as `Outbox.run` does for the other writes). */
  private readonly transaction: (write: () => void) => void;

  constructor(
    private readonly db: Db,
    outbox?: Outbox,
  ) {
    this.transaction = db.transaction((write: () => void) => write());
    // A block written in a transaction that rolls back is forgotten with it.
    outbox?.onRollback(() => {
      this.blocks = null;
      this.all = null;
      this.listed.clear();
    });
  }

  private stored(): Map<string, StoredRow> {
    if (!this.rows) {
      const rows = this.db.prepare('SELECT * FROM offers').all() as StoredRow[];
      this.rows = new Map(rows.map((r) => [r.pool_key, r]));
    }
    return this.rows;
  }

  private blocked(): Map<string, string> {
    if (!this.blocks) {
      const rows = this.db.prepare('SELECT pool_key, blocked_until FROM pool_blocks').all() as {
        pool_key: string;
        blocked_until: string;
      }[];
      this.blocks = new Map(rows.map((r) => [r.pool_key, r.blocked_until]));
    }
    return this.blocks;
  }

  /**
   * Replaces one source's offers for one cloud with a fresh poll, in one transaction, and appends a
   * price-history row for every pool whose price changed (or is new). Rows the poll only confirms get their
   * new observed_at, one statement per instant, not a rewrite each.
   */
  replace(cloud: CloudName, kind: string, offers: readonly Offer[], fetchedAt: string): { changed: number } {
    let changed = 0;
    const last = this.lastPrices();
    const stored = this.stored();
    // A frozen offer this repository stored last time, as it stored it, is known unchanged by its identity.
    const fresh = new Map<string, StoredRow>();
    const unknown: [Offer, string][] = [];
    for (const o of offers) {
      const known = Object.isFrozen(o) ? this.rowOf.get(o) : undefined;
      if (known && known.source === kind && stored.get(known.pool_key) === known) {
        fresh.set(known.pool_key, known);
        continue;
      }
      const key = poolKey(o);
      fresh.set(key, toRow(o, kind));
      if (Object.isFrozen(o)) unknown.push([o, key]);
    }
    const gone = [...stored.values()].filter(
      (r) => r.cloud === cloud && r.source === kind && !fresh.has(r.pool_key),
    );
    const written: [string, number][] = [];
    /** Rows written anew or only re-stamped: what the copies take on once the transaction commits. */
    const updated: StoredRow[] = [];
    this.transaction(() => {
      const del = this.db.prepare('DELETE FROM offers WHERE pool_key = ?');
      for (const r of gone) del.run(r.pool_key);
      const ins = this.db.prepare(
        `INSERT OR REPLACE INTO offers VALUES (@pool_key, @cloud, @region, @zone, @zone_id, @instance_type,
           @market, @gpu_model, @gpu_count, @gpu_memory_gib, @vcpus, @memory_gib, @price_per_hour, @observed_at,
           @source, @score, @interruptions_per_hour)`,
      );
      const hist = this.db.prepare(
        'INSERT OR REPLACE INTO price_history (pool_key, at, price_per_hour) VALUES (?, ?, ?)',
      );
      const touched = new Map<string, string[]>(); // observed_at → pool keys
      for (const [key, row] of fresh) {
        const before = stored.get(key);
        if (before === row) continue; // known unchanged, its price already in the history
        if (before && sameButObserved(before, row)) {
          if (before.observed_at !== row.observed_at) {
            const keys = touched.get(row.observed_at) ?? [];
            keys.push(key);
            touched.set(row.observed_at, keys);
            updated.push(row);
          }
        } else {
          ins.run(row);
          updated.push(row);
        }
        if (last.get(key) !== row.price_per_hour) {
          hist.run(key, row.observed_at, row.price_per_hour);
          written.push([key, row.price_per_hour]);
          changed++;
        }
      }
      const touch = this.db.prepare(
        'UPDATE offers SET observed_at = ? WHERE pool_key IN (SELECT value FROM json_each(?))',
      );
      for (const [at, keys] of touched) touch.run(at, JSON.stringify(keys));
      this.db
        .prepare(
          `INSERT OR REPLACE INTO market_sources (cloud, kind, fetched_at, offers, last_attempt_at, last_error, failures)
           VALUES (?, ?, ?, ?, ?, NULL, 0)`,
        )
        .run(cloud, kind, fetchedAt, offers.length, fetchedAt);
    });
    for (const r of gone) {
      stored.delete(r.pool_key);
      this.listed.delete(r.pool_key);
    }
    for (const row of updated) {
      this.listed.delete(row.pool_key);
      stored.set(row.pool_key, row);
      this.added.push(row);
    }
    // (A poll naming a pool twice stores the last; identity then says nothing, so nothing is remembered.)
    if (fresh.size === offers.length) for (const [o, key] of unknown) this.rowOf.set(o, stored.get(key)!);
    for (const [key, price] of written) last.set(key, price);
    // A poll that confirms every offer as it was leaves the list (and what readers keyed on it) as it is.
    if (gone.length + updated.length > 0) this.all = null;
    return { changed };
  }

  /**
   * Each pool's newest price in the history, read once and then kept up to date by `replace` (the only writer
   * of the history): the history grows with every change, and a poll compares every pool.
   */
  private lastPrices(): Map<string, number> {
    if (!this.newest) {
      const rows = this.db
        .prepare(
          `SELECT h.pool_key, h.price_per_hour FROM price_history h
           JOIN (SELECT pool_key, MAX(at) AS at FROM price_history GROUP BY pool_key) m
             ON m.pool_key = h.pool_key AND m.at = h.at`,
        )
        .all() as { pool_key: string; price_per_hour: number }[];
      this.newest = new Map(rows.map((r) => [r.pool_key, r.price_per_hour]));
    }
    return this.newest;
  }

  /**
   * Offers with their pool blocks folded into availability, cheapest first. Shared and frozen: copy to change.
   * The unfiltered list comes from memory; a filtered one (the API's) is a query.
   */
  list(q: OfferQuery = {}): readonly Offer[] {
    if (!q.gpu && !q.cloud && !q.market && !q.region && !q.limit) {
      if (!this.all) {
        const blocks = this.blocked();
        const stored = this.stored();
        const rows = this.order
          ? [...this.order, ...this.added].filter((r) => stored.get(r.pool_key) === r)
          : [...stored.values()];
        rows.sort((a, b) => a.price_per_hour - b.price_per_hour || (a.pool_key < b.pool_key ? -1 : 1));
        this.order = rows;
        this.added = [];
        this.all = Object.freeze(
          rows.map((r) => {
            let o = this.listed.get(r.pool_key);
            if (!o) {
              o = freezeOffer(toOffer({ ...r, blocked_until: blocks.get(r.pool_key) ?? null }));
              this.listed.set(r.pool_key, o);
            }
            return o;
          }),
        );
      }
      return this.all;
    }
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.gpu) {
      where.push('o.gpu_model = @gpu COLLATE NOCASE');
      params.gpu = q.gpu;
    }
    for (const k of ['cloud', 'market', 'region'] as const) {
      if (q[k]) {
        where.push(`o.${k} = @${k}`);
        params[k] = q[k];
      }
    }
    const sql = `SELECT o.*, b.blocked_until FROM offers o LEFT JOIN pool_blocks b ON b.pool_key = o.pool_key
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.price_per_hour, o.pool_key
      ${q.limit ? 'LIMIT @limit' : ''}`;
    if (q.limit) params.limit = q.limit;
    return Object.freeze(
      (this.db.prepare(sql).all(params) as OfferRow[]).map((r) => freezeOffer(toOffer(r))),
    );
  }

  sources(): SourceFreshness[] {
    const rows = this.db
      .prepare(
        'SELECT cloud, kind, fetched_at, offers, last_attempt_at, last_error, failures FROM market_sources ORDER BY cloud, kind',
      )
      .all() as {
      cloud: CloudName;
      kind: string;
      fetched_at: string;
      offers: number;
      last_attempt_at: string | null;
      last_error: string | null;
      failures: number;
    }[];
    return rows.map((r) => ({
      cloud: r.cloud,
      kind: r.kind,
      fetchedAt: r.fetched_at === '' ? null : r.fetched_at,
      offers: r.offers,
      lastAttemptAt: r.last_attempt_at,
      lastError: r.last_error,
      failures: r.failures,
    }));
  }

  /** A failed poll: the offers stay, the source records the error (shown as stale). */
  recordFailure(cloud: CloudName, kind: string, at: string, error: string): void {
    this.db
      .prepare(
        `INSERT INTO market_sources (cloud, kind, fetched_at, offers, last_attempt_at, last_error, failures)
         VALUES (?, ?, '', 0, ?, ?, 1)
         ON CONFLICT (cloud, kind) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
           last_error = excluded.last_error, failures = market_sources.failures + 1`,
      )
      .run(cloud, kind, at, error.slice(0, 1000));
  }

  priceHistory(key: string): { at: string; pricePerHour: number }[] {
    return (
      this.db
        .prepare('SELECT at, price_per_hour FROM price_history WHERE pool_key = ? ORDER BY at')
        .all(key) as { at: string; price_per_hour: number }[]
    ).map((r) => ({ at: r.at, pricePerHour: r.price_per_hour }));
  }

  blockPool(key: string, until: string, reason: string): void {
    // Never shorten a block that is already longer (an interruption outranks a capacity error).
    this.db
      .prepare(
        `INSERT INTO pool_blocks (pool_key, blocked_until, reason) VALUES (?, ?, ?)
         ON CONFLICT (pool_key) DO UPDATE SET blocked_until = excluded.blocked_until, reason = excluded.reason
         WHERE excluded.blocked_until > pool_blocks.blocked_until`,
      )
      .run(key, until, reason);
    const blocks = this.blocked();
    if (until > (blocks.get(key) ?? '')) {
      blocks.set(key, until);
      this.listed.delete(key);
      this.all = null;
    }
  }
}

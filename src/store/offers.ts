// Offers as last polled, the price history of every pool (a row only when the price changed), the
// freshness of each market source, and pools blocked after failures or interruptions.
import type { CloudName, Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { Db } from './db.js';

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

export class OfferRepo {
  /**
   * Lists as last read, by query, until this repository writes offers or blocks (the daemon is the only writer
   * of its database). The scheduler reads every offer every tick; the market changes every few minutes.
   */
  private readonly listed = new Map<string, readonly Offer[]>();
  private newest: Map<string, number> | null = null;

  constructor(private readonly db: Db) {}

  /**
   * Replaces one source's offers for one cloud with a fresh poll, in one transaction, and appends a
   * price-history row for every pool whose price changed (or is new).
   */
  replace(cloud: CloudName, kind: string, offers: readonly Offer[], fetchedAt: string): { changed: number } {
    let changed = 0;
    this.listed.clear();
    const last = this.lastPrices();
    const written: [string, number][] = [];
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM offers WHERE cloud = ? AND source = ?').run(cloud, kind);
      const ins = this.db.prepare(
        `INSERT OR REPLACE INTO offers VALUES (@key, @cloud, @region, @zone, @zoneId, @instanceType, @market,
           @gpuModel, @gpuCount, @gpuMem, @vcpus, @memoryGiB, @pricePerHour, @observedAt, @source, @score, @ipH)`,
      );
      const hist = this.db.prepare(
        'INSERT OR REPLACE INTO price_history (pool_key, at, price_per_hour) VALUES (?, ?, ?)',
      );
      for (const o of offers) {
        const key = poolKey(o);
        ins.run({
          key,
          cloud: o.cloud,
          region: o.region,
          zone: o.zone,
          zoneId: o.zoneId ?? null,
          instanceType: o.instanceType,
          market: o.market,
          gpuModel: o.gpu.model,
          gpuCount: o.gpu.count,
          gpuMem: o.gpu.memoryGiB,
          vcpus: o.vcpus,
          memoryGiB: o.memoryGiB,
          pricePerHour: o.pricePerHour,
          observedAt: o.observedAt,
          source: kind,
          score: o.availability.score,
          ipH: o.availability.interruptionsPerHour,
        });
        if (last.get(key) !== o.pricePerHour) {
          hist.run(key, o.observedAt, o.pricePerHour);
          written.push([key, o.pricePerHour]);
          changed++;
        }
      }
      this.db
        .prepare(
          `INSERT OR REPLACE INTO market_sources (cloud, kind, fetched_at, offers, last_attempt_at, last_error, failures)
           VALUES (?, ?, ?, ?, ?, NULL, 0)`,
        )
        .run(cloud, kind, fetchedAt, offers.length, fetchedAt);
    })();
    for (const [key, price] of written) last.set(key, price);
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

  /** Offers with their pool blocks folded into availability, cheapest first. Shared and frozen: copy to change. */
  list(q: OfferQuery = {}): readonly Offer[] {
    const key = JSON.stringify(q);
    const hit = this.listed.get(key);
    if (hit) return hit;
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
    const offers = Object.freeze(
      (this.db.prepare(sql).all(params) as OfferRow[]).map((r) => freezeOffer(toOffer(r))),
    );
    // The API's filtered queries vary without bound; only the few unfiltered ones the daemon repeats are kept.
    if (where.length === 0 && !q.limit) this.listed.set(key, offers);
    return offers;
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
    this.listed.clear();
    // Never shorten a block that is already longer (an interruption outranks a capacity error).
    this.db
      .prepare(
        `INSERT INTO pool_blocks (pool_key, blocked_until, reason) VALUES (?, ?, ?)
         ON CONFLICT (pool_key) DO UPDATE SET blocked_until = excluded.blocked_until, reason = excluded.reason
         WHERE excluded.blocked_until > pool_blocks.blocked_until`,
      )
      .run(key, until, reason);
  }
}

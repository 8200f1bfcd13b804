// The reads behind /metrics (services/metrics.ts): small GROUP BY queries run on each scrape, so that gauges say
// what the store says now rather than what a counter in some service remembered. Read-only.
import type { Db } from './db.js';

export interface OfferStat {
  readonly cloud: string;
  readonly source: string;
  readonly gpu: string;
  readonly market: string;
  readonly offers: number;
  readonly minPricePerHour: number;
}

export interface NodeStat {
  readonly cloud: string;
  readonly region: string;
  readonly market: string;
  readonly state: string;
  readonly nodes: number;
  readonly gpus: number;
  readonly pricePerHour: number;
}

export class MetricsQueries {
  constructor(private readonly db: Db) {}

  offerStats(): OfferStat[] {
    return (
      this.db
        .prepare(
          `SELECT cloud, source, gpu_model, market, COUNT(*) AS offers, MIN(price_per_hour) AS min_price
           FROM offers GROUP BY cloud, source, gpu_model, market`,
        )
        .all() as {
        cloud: string;
        source: string;
        gpu_model: string;
        market: string;
        offers: number;
        min_price: number;
      }[]
    ).map((r) => ({
      cloud: r.cloud,
      source: r.source,
      gpu: r.gpu_model,
      market: r.market,
      offers: r.offers,
      minPricePerHour: r.min_price,
    }));
  }

  jobCounts(): { team: string; state: string; jobs: number }[] {
    return this.db.prepare('SELECT team, state, COUNT(*) AS jobs FROM jobs GROUP BY team, state').all() as {
      team: string;
      state: string;
      jobs: number;
    }[];
  }

  /**
   * For each team with pending (queued or held) jobs: how many, and since when the longest-waiting one waits
   * (its last move into the queue from outside it: submission, a requeue after a node, a release from a hold
   * does not restart the clock).
   */
  queue(): { team: string; depth: number; oldestSince: string | null }[] {
    return this.db
      .prepare(
        `SELECT j.team, COUNT(*) AS depth, MIN(w.since) AS oldestSince
         FROM jobs j LEFT JOIN (
           SELECT job_id, MAX(at) AS since FROM job_events
           WHERE to_state IN ('queued', 'held') AND (from_state IS NULL OR from_state NOT IN ('queued', 'held'))
           GROUP BY job_id
         ) w ON w.job_id = j.id
         WHERE j.state IN ('queued', 'held') GROUP BY j.team`,
      )
      .all() as { team: string; depth: number; oldestSince: string | null }[];
  }

  /** When the job last entered the queue from outside it (see `queue`); null when it never did. */
  queuedSince(jobId: string): string | null {
    const r = this.db
      .prepare(
        `SELECT MAX(at) AS since FROM job_events WHERE job_id = ? AND to_state IN ('queued', 'held')
           AND (from_state IS NULL OR from_state NOT IN ('queued', 'held'))`,
      )
      .get(jobId) as { since: string | null };
    return r.since;
  }

  /** Nodes not yet terminated, by cloud, region, market and state, with their GPUs and price per hour. */
  nodeStats(): NodeStat[] {
    return this.db
      .prepare(
        `SELECT cloud, region, market, state, COUNT(*) AS nodes,
           SUM(CAST(json_extract(gpu, '$.count') AS INTEGER)) AS gpus, SUM(price_per_hour) AS pricePerHour
         FROM nodes WHERE state <> 'terminated' GROUP BY cloud, region, market, state`,
      )
      .all() as NodeStat[];
  }

  /** Nodes that received a reclaim notice, by pool place and market: every interruption ever seen. */
  interruptions(): { cloud: string; region: string; market: string; count: number }[] {
    return this.db
      .prepare(
        `SELECT cloud, region, market, COUNT(*) AS count FROM nodes WHERE interrupted_at IS NOT NULL
         GROUP BY cloud, region, market`,
      )
      .all() as { cloud: string; region: string; market: string; count: number }[];
  }

  alertCounts(): { kind: string; status: string; count: number }[] {
    return this.db
      .prepare('SELECT kind, status, COUNT(*) AS count FROM alerts GROUP BY kind, status')
      .all() as { kind: string; status: string; count: number }[];
  }
}

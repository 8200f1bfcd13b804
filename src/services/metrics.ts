// Prometheus metrics (GET /metrics; names and meanings in docs/observability.md). Most are gauges collected on
// scrape from the store (offers, queue, nodes, utilisation, budgets, alerts), so they say what the store says
// now and survive restarts; what only happens as an event (a placement and its expected cost, the wait of a job
// that was placed, the time from a reclaim notice to the checkpoint) is counted from the event bus. API latency
// comes from a fastify onResponse hook. One registry per daemon, so tests can run several.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES_ON_NODES } from '../core/lifecycle.js';
import { gpuShare } from '../core/placement/slices.js';
import { MetricsQueries } from '../store/metrics-queries.js';
import type { Store } from '../store/store.js';
import type { BusEvent, EventBus } from './events.js';
import { jobGpus, jobUtilization, TELEMETRY_MAX_AGE_MS, type TelemetrySource } from './telemetry.js';

/** One budget policy's money now, as the budget service sees it (the port services/budgets.ts fills). */
export interface BudgetSnapshot {
  readonly policy: string;
  readonly team?: string | null;
  readonly limitUsd: number;
  /** Accrued in the current period. */
  readonly spentUsd: number;
  /** Still to be spent by running and admitted jobs. */
  readonly committedUsd: number;
  /** Expected by the end of the period. */
  readonly forecastUsd: number;
}

/** The budget port: every policy's snapshot now; `() => []` until the budget ledger is wired. */
export type BudgetsSnapshot = () => readonly BudgetSnapshot[];

export interface MetricsOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly telemetry: TelemetrySource;
  readonly budgets: BudgetsSnapshot;
  readonly now: () => Date;
  /** Market sources older than this are stale (the same rule as GET /v1/offers). */
  readonly staleAfterMs: number;
  readonly version: string;
  /** Process and Node.js metrics (process_*, nodejs_*); off in tests that count series. */
  readonly defaultMetrics?: boolean;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];
const COST_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000];
const NOTICE_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180];

const seconds = (ms: number) => ms / 1000;

export class Metrics {
  readonly registry = new Registry();
  private readonly q: MetricsQueries;
  private readonly unsubscribe: () => void;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly queueWait: Histogram<'team'>;
  private readonly placements: Counter<'team' | 'cloud' | 'region' | 'market'>;
  private readonly placementCost: Histogram<'team' | 'cloud' | 'market'>;
  private readonly noticeToCheckpoint: Histogram<'cloud'>;
  private readonly checkpointsMissed: Counter<'cloud'>;
  /** Jobs on a node under notice, waiting for their checkpoint: job id → notice time and cloud. */
  private readonly noticed = new Map<string, { at: number; cloud: string }>();

  constructor(o: MetricsOptions) {
    const { store, now } = o;
    const registers = [this.registry];
    this.q = new MetricsQueries(store.db);
    const q = this.q;
    if (o.defaultMetrics) collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'gpusched_build_info',
      help: 'Always 1; the version of the daemon as a label.',
      labelNames: ['version'],
      registers,
    }).set({ version: o.version }, 1);

    // --- market
    new Gauge({
      name: 'gpusched_offers',
      help: 'Offers in the market by cloud, market source and market (spot, on-demand).',
      labelNames: ['cloud', 'source', 'market'],
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, { cloud: string; source: string; market: string; n: number }>();
        for (const s of q.offerStats()) {
          const key = `${s.cloud}\u0000${s.source}\u0000${s.market}`;
          const acc = sums.get(key) ?? { cloud: s.cloud, source: s.source, market: s.market, n: 0 };
          acc.n += s.offers;
          sums.set(key, acc);
        }
        for (const s of sums.values()) this.set({ cloud: s.cloud, source: s.source, market: s.market }, s.n);
      },
    });
    new Gauge({
      name: 'gpusched_offer_price_min_usd_per_hour',
      help: 'The cheapest offer per GPU model, cloud, market source and market, in USD per hour (whole instance).',
      labelNames: ['cloud', 'source', 'gpu', 'market'],
      registers,
      collect() {
        this.reset();
        for (const s of q.offerStats())
          this.set({ cloud: s.cloud, source: s.source, gpu: s.gpu, market: s.market }, s.minPricePerHour);
      },
    });
    const sourceGauge = (
      name: string,
      help: string,
      value: (s: ReturnType<Store['offers']['sources']>[number], t: number) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['cloud', 'source'],
        registers,
        collect() {
          this.reset();
          const t = now().getTime();
          for (const s of store.offers.sources()) {
            const v = value(s, t);
            if (v !== null) this.set({ cloud: s.cloud, source: s.kind }, v);
          }
        },
      });
    sourceGauge(
      'gpusched_market_source_last_success_timestamp_seconds',
      'When each market source last answered (Unix time).',
      (s) => (s.fetchedAt === null ? null : seconds(Date.parse(s.fetchedAt))),
    );
    sourceGauge(
      'gpusched_market_source_age_seconds',
      'Seconds since each market source last answered: the freshness of its prices.',
      (s, t) => (s.fetchedAt === null ? null : seconds(t - Date.parse(s.fetchedAt))),
    );
    sourceGauge(
      'gpusched_market_source_stale',
      '1 when a market source is stale (its last poll failed, or it has not answered for 15 minutes), else 0.',
      (s, t) =>
        s.lastError !== null || s.fetchedAt === null || t - Date.parse(s.fetchedAt) > o.staleAfterMs ? 1 : 0,
    );
    sourceGauge(
      'gpusched_market_source_failures',
      'Polls of each market source that failed in a row (0 after a success).',
      (s) => (s.lastError === null ? 0 : s.failures),
    );

    // --- queue and jobs
    new Gauge({
      name: 'gpusched_jobs',
      help: 'Jobs by team and state.',
      labelNames: ['team', 'state'],
      registers,
      collect() {
        this.reset();
        for (const r of q.jobCounts()) this.set({ team: r.team, state: r.state }, r.jobs);
      },
    });
    new Gauge({
      name: 'gpusched_queue_depth',
      help: 'Jobs waiting to be placed (queued or held), by team.',
      labelNames: ['team'],
      registers,
      collect() {
        this.reset();
        for (const r of q.queue()) this.set({ team: r.team }, r.depth);
      },
    });
    new Gauge({
      name: 'gpusched_queue_oldest_wait_seconds',
      help: 'How long the longest-waiting queued or held job of each team has waited.',
      labelNames: ['team'],
      registers,
      collect() {
        this.reset();
        const t = now().getTime();
        for (const r of q.queue())
          if (r.oldestSince !== null)
            this.set({ team: r.team }, Math.max(0, seconds(t - Date.parse(r.oldestSince))));
      },
    });
    this.queueWait = new Histogram({
      name: 'gpusched_queue_wait_seconds',
      help: 'Time from entering the queue (submission or a requeue) to being placed, by team.',
      labelNames: ['team'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.placements = new Counter({
      name: 'gpusched_placements_total',
      help: 'Jobs placed, by team and where (cloud, region, market).',
      labelNames: ['team', 'cloud', 'region', 'market'],
      registers,
    });
    this.placementCost = new Histogram({
      name: 'gpusched_placement_expected_cost_usd',
      help: "Each placement's expected cost (the scheduler's estimate when it placed the job), in USD.",
      labelNames: ['team', 'cloud', 'market'],
      buckets: COST_BUCKETS,
      registers,
    });

    // --- fleet
    new Gauge({
      name: 'gpusched_nodes',
      help: 'Nodes not yet terminated, by cloud, region, market and state.',
      labelNames: ['cloud', 'region', 'market', 'state'],
      registers,
      collect() {
        this.reset();
        for (const r of q.nodeStats())
          this.set({ cloud: r.cloud, region: r.region, market: r.market, state: r.state }, r.nodes);
      },
    });
    new Gauge({
      name: 'gpusched_node_gpus',
      help: 'GPUs on running nodes (provisioning, ready, draining), by cloud, region and market.',
      labelNames: ['cloud', 'region', 'market'],
      registers,
      collect() {
        this.reset();
        for (const r of q.nodeStats())
          if (r.state !== 'lost' && r.state !== 'terminating')
            this.inc({ cloud: r.cloud, region: r.region, market: r.market }, r.gpus);
      },
    });
    new Gauge({
      name: 'gpusched_fleet_cost_usd_per_hour',
      help: 'What the running fleet costs per hour (sum of node prices), by cloud, region and market.',
      labelNames: ['cloud', 'region', 'market'],
      registers,
      collect() {
        this.reset();
        for (const r of q.nodeStats())
          if (r.state !== 'lost')
            this.inc({ cloud: r.cloud, region: r.region, market: r.market }, r.pricePerHour);
      },
    });
    new Gauge({
      name: 'gpusched_team_cost_usd_per_hour',
      help: "What each team's running jobs cost per hour: their share of their nodes' prices.",
      labelNames: ['team'],
      registers,
      collect() {
        this.reset();
        for (const job of store.jobs.inStates(['running', 'checkpointing'])) {
          const slots = store.slots.forJob(job.id);
          for (const id of job.nodeIds) {
            const node = store.nodes.get(id);
            if (!node) continue;
            const mine = slots.filter((s) => s.nodeId === id);
            const share =
              mine.length === 0
                ? 1
                : Math.min(1, mine.reduce((x, s) => x + gpuShare(s.slot), 0) / node.gpu.count);
            this.inc({ team: job.team }, share * node.pricePerHour);
          }
        }
      },
    });

    // --- utilisation (agent telemetry)
    const telemetry = o.telemetry;
    new Gauge({
      name: 'gpusched_node_gpu_utilization_ratio',
      help: 'GPU utilisation (0..1) per node and GPU index, from the last agent heartbeat (fresh ones only).',
      labelNames: ['node', 'cloud', 'region', 'gpu'],
      registers,
      collect() {
        this.reset();
        const t = now();
        for (const n of store.nodes.list(['provisioning', 'ready', 'draining'])) {
          const tel = telemetry.latest(n.id);
          if (!tel || t.getTime() - Date.parse(tel.at) > TELEMETRY_MAX_AGE_MS) continue;
          for (const g of tel.gpus) {
            if (g.utilizationPct === null) continue;
            this.set(
              { node: n.id, cloud: n.cloud, region: n.region, gpu: String(g.index) },
              g.utilizationPct / 100,
            );
          }
        }
      },
    });
    new Gauge({
      name: 'gpusched_node_telemetry_age_seconds',
      help: "Seconds since each running node's agent last sent GPU figures.",
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        const t = now().getTime();
        for (const n of store.nodes.list(['provisioning', 'ready', 'draining'])) {
          const tel = telemetry.latest(n.id);
          if (tel) this.set({ node: n.id }, Math.max(0, seconds(t - Date.parse(tel.at))));
        }
      },
    });
    new Gauge({
      name: 'gpusched_job_gpu_utilization_ratio',
      help: 'Mean utilisation (0..1) of the GPUs each running job holds, from its nodes\u2019 agent telemetry.',
      labelNames: ['job', 'team'],
      registers,
      collect() {
        this.reset();
        const t = now();
        for (const job of store.jobs.inStates(['running', 'checkpointing'])) {
          const nodes = job.nodeIds.map((id) => store.nodes.get(id)).filter((n) => n !== null);
          const u = jobUtilization(
            jobGpus(job, store.slots.forJob(job.id), nodes),
            (id) => telemetry.latest(id),
            t,
          );
          if (u !== null) this.set({ job: job.id, team: job.team }, u / 100);
        }
      },
    });

    // --- interruptions
    new Counter({
      name: 'gpusched_interruptions_total',
      help: 'Reclaim notices received (spot interruptions), by cloud, region and market; from the node records.',
      labelNames: ['cloud', 'region', 'market'],
      registers,
      collect() {
        this.reset();
        for (const r of q.interruptions())
          this.inc({ cloud: r.cloud, region: r.region, market: r.market }, r.count);
      },
    });
    this.noticeToCheckpoint = new Histogram({
      name: 'gpusched_notice_to_checkpoint_seconds',
      help: 'Time from a reclaim notice to the checkpoint of each job on the node, by cloud.',
      labelNames: ['cloud'],
      buckets: NOTICE_BUCKETS,
      registers,
    });
    this.checkpointsMissed = new Counter({
      name: 'gpusched_notice_checkpoints_missed_total',
      help: 'Jobs on a node under notice that left it without a checkpoint (too slow, or the node went first).',
      labelNames: ['cloud'],
      registers,
    });

    // --- budgets (the budget port)
    const budgetGauge = (name: string, help: string, value: (b: BudgetSnapshot) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['policy', 'team'],
        registers,
        collect() {
          this.reset();
          for (const b of o.budgets()) {
            const v = value(b);
            if (v !== null) this.set({ policy: b.policy, team: b.team ?? '' }, v);
          }
        },
      });
    budgetGauge(
      'gpusched_budget_limit_usd',
      "Each budget policy's limit for its period, in USD.",
      (b) => b.limitUsd,
    );
    budgetGauge('gpusched_budget_spent_usd', 'Spent in the current period, in USD.', (b) => b.spentUsd);
    budgetGauge(
      'gpusched_budget_committed_usd',
      'Still to be spent by running and admitted jobs in scope, in USD.',
      (b) => b.committedUsd,
    );
    budgetGauge(
      'gpusched_budget_forecast_usd',
      'Forecast spend at the end of the period, in USD.',
      (b) => b.forecastUsd,
    );
    budgetGauge('gpusched_budget_used_ratio', 'Spent over limit (1 = the limit is reached).', (b) =>
      b.limitUsd > 0 ? b.spentUsd / b.limitUsd : null,
    );

    // --- alerts, events, API
    new Gauge({
      name: 'gpusched_alerts',
      help: 'Alerts in the history, by kind (budget and anomaly) and delivery status.',
      labelNames: ['kind', 'status'],
      registers,
      collect() {
        this.reset();
        for (const r of q.alertCounts()) this.set({ kind: r.kind, status: r.status }, r.count);
      },
    });
    const bus = o.bus;
    new Gauge({
      name: 'gpusched_event_subscribers',
      help: 'Listeners on the event bus (open GET /v1/events streams, and the daemon\u2019s own).',
      registers,
      collect() {
        this.set(bus.subscriberCount);
      },
    });
    this.httpDuration = new Histogram({
      name: 'gpusched_http_request_duration_seconds',
      help: 'API request latency by method, route (its pattern) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });

    this.unsubscribe = o.bus.subscribe((e) => this.onEvent(e));
  }

  /** For the onResponse hook: one finished request. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
    this.registry.clear();
  }

  private onEvent(e: BusEvent): void {
    switch (e.type) {
      case 'job.placement': {
        const team = e.team;
        this.placements.inc({ team, cloud: e.cloud, region: e.region, market: e.market });
        if (e.expectedCostUsd !== null)
          this.placementCost.observe({ team, cloud: e.cloud, market: e.market }, e.expectedCostUsd);
        const since = this.q.queuedSince(e.jobId);
        if (since !== null)
          this.queueWait.observe({ team }, Math.max(0, seconds(Date.parse(e.at) - Date.parse(since))));
        return;
      }
      case 'node.notice':
        for (const jobId of e.jobIds) this.noticed.set(jobId, { at: Date.parse(e.at), cloud: e.cloud });
        return;
      case 'job.transition': {
        const notice = this.noticed.get(e.jobId);
        if (!notice) return;
        if (e.to === 'migrating') {
          this.noticeToCheckpoint.observe(
            { cloud: notice.cloud },
            Math.max(0, seconds(Date.parse(e.at) - notice.at)),
          );
          this.noticed.delete(e.jobId);
        } else if (!JOB_STATES_ON_NODES.includes(e.to)) {
          // Queued again without a checkpoint (missed, or the node was lost first), or it ended meanwhile.
          if (e.to === 'queued') this.checkpointsMissed.inc({ cloud: notice.cloud });
          this.noticed.delete(e.jobId);
        }
        return;
      }
      default:
        return;
    }
  }
}

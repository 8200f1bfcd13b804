// The anomaly service: every `anomalies.everySeconds` (from the control loop) it gathers the facts (running
// jobs and their GPUs' telemetry, recent failures, the prices of pools in use), asks the core
// (core/anomalies.ts) what is anomalous, and raises each finding through Alerts.raise, the path budget alerts
// take: stored once under its key, then sent to Slack (the default webhook) or logged.
import type { Logger } from 'pino';
import { type AnomalyAlert, anomalyLogFields } from '../alerts/anomaly-alerts.js';
import {
  type FailurePolicy,
  failingJobs,
  type IdlePolicy,
  type IdleStretch,
  priceJumps,
  trackIdle,
  type UtilizationSample,
} from '../core/anomalies.js';
import { type Job, poolKey } from '../core/model.js';
import { gpuShare } from '../core/placement/slices.js';
import { EventLog } from '../store/event-log.js';
import type { Store } from '../store/store.js';
import { jobGpus, jobUtilization, type TelemetrySource } from './telemetry.js';

export interface AnomalyOptions {
  readonly enabled: boolean;
  readonly everySeconds: number;
  readonly idleGpu: IdlePolicy;
  readonly failures: FailurePolicy;
  readonly priceJumpPercent: number;
}

/** What the service raises alerts through (services/alerts.ts Alerts). */
export interface AlertSink {
  raise(alert: AnomalyAlert, now: Date): boolean;
}

export class AnomalyService {
  private last = Number.NEGATIVE_INFINITY;
  private stretches = new Map<string, IdleStretch>();
  private readonly log: EventLog;

  constructor(
    private readonly store: Store,
    private readonly alerts: AlertSink,
    private readonly telemetry: TelemetrySource,
    private readonly opts: AnomalyOptions,
    private readonly logger: Logger,
  ) {
    this.log = new EventLog(store.db);
  }

  /** Runs a pass when `everySeconds` have gone by since the last; returns the alerts newly raised. */
  tick(now: Date): AnomalyAlert[] {
    if (!this.opts.enabled || now.getTime() - this.last < this.opts.everySeconds * 1000) return [];
    this.last = now.getTime();
    return this.check(now);
  }

  /** One pass now, whatever the time since the last (tests, and tick). */
  check(now: Date): AnomalyAlert[] {
    const found = [...this.idleGpus(now), ...this.failing(now), ...this.priceJumps(now)];
    const raised: AnomalyAlert[] = [];
    for (const alert of found) {
      try {
        if (this.alerts.raise(alert, now)) {
          raised.push(alert);
          this.logger.warn(anomalyLogFields(alert), 'anomaly');
        }
      } catch (err) {
        this.logger.error({ ...anomalyLogFields(alert), err: (err as Error).message }, 'anomaly not raised');
      }
    }
    return raised;
  }

  private idleGpus(now: Date): AnomalyAlert[] {
    const running = this.store.jobs.inStates(['running']).filter((j) => j.startedAt !== null);
    const at = now.toISOString();
    const samples: UtilizationSample[] = [];
    const byId = new Map<string, Job>();
    for (const job of running) {
      byId.set(job.id, job);
      const nodes = job.nodeIds.map((id) => this.store.nodes.get(id)).filter((n) => n !== null);
      const gpus = jobGpus(job, this.store.slots.forJob(job.id), nodes);
      samples.push({
        jobId: job.id,
        runStartedAt: job.startedAt!,
        utilizationPercent: jobUtilization(gpus, (id) => this.telemetry.latest(id), now),
        at,
      });
    }
    const { stretches, due } = trackIdle(this.stretches, samples, this.opts.idleGpu);
    this.stretches = stretches;
    return due.map((d) => {
      const job = byId.get(d.jobId)!;
      return {
        kind: 'gpu-idle',
        jobId: job.id,
        jobName: job.name,
        team: job.team,
        nodeIds: job.nodeIds,
        runStartedAt: d.runStartedAt,
        utilizationPercent: d.meanUtilizationPercent,
        thresholdPercent: this.opts.idleGpu.utilizationPercent,
        idleMinutes: d.idleMinutes,
        minMinutes: this.opts.idleGpu.minutes,
        costPerHour: this.costPerHour(job),
        at,
      };
    });
  }

  /** The job's share of its nodes' price: its slots' part of each node's GPUs (all of it without slots). */
  private costPerHour(job: Job): number {
    const slots = this.store.slots.forJob(job.id);
    let total = 0;
    for (const id of job.nodeIds) {
      const node = this.store.nodes.get(id);
      if (!node) continue;
      const mine = slots.filter((s) => s.nodeId === id);
      const share =
        mine.length === 0 ? 1 : Math.min(1, mine.reduce((x, s) => x + gpuShare(s.slot), 0) / node.gpu.count);
      total += share * node.pricePerHour;
    }
    return total;
  }

  private failing(now: Date): AnomalyAlert[] {
    const policy = this.opts.failures;
    const from = new Date(now.getTime() - policy.windowMinutes * 60_000);
    const out: AnomalyAlert[] = [];
    for (const f of failingJobs(this.log.failuresSince(from.toISOString()), now, policy)) {
      const subject = `jobs:${f.team}/${f.name}`;
      // One alert per job name per window: a crash loop that goes on is told again once a window has passed.
      const last = this.store.alerts.list({ kind: 'job-failing', policy: subject, limit: 1 }).items[0];
      if (last && Date.parse(last.createdAt) > from.getTime()) continue;
      const oldest = f.failures[f.failures.length - 1]!;
      out.push({
        kind: 'job-failing',
        team: f.team,
        jobName: f.name,
        failures: f.failures.length,
        threshold: policy.count,
        windowMinutes: policy.windowMinutes,
        windowKey: oldest.at,
        jobIds: f.failures.slice(0, 10).map((x) => x.jobId),
        lastReason: f.failures[0]?.reason ?? null,
        at: now.toISOString(),
      });
    }
    return out;
  }

  private priceJumps(now: Date): AnomalyAlert[] {
    const inUse = this.store.nodes
      .list(['provisioning', 'ready', 'draining'])
      .map((node) => ({ node, jobs: this.store.jobs.onNode(node.id) }))
      .filter((n) => n.jobs.length > 0);
    const pools = inUse.map(({ node }) => {
      const latest = this.store.offers.priceHistory(poolKey(node)).at(-1);
      return {
        nodeId: node.id,
        launchPricePerHour: node.pricePerHour,
        pricePerHour: latest?.pricePerHour ?? null,
        observedAt: latest?.at ?? null,
      };
    });
    return priceJumps(pools, this.opts.priceJumpPercent).map((j) => {
      const { node, jobs } = inUse.find((n) => n.node.id === j.nodeId)!;
      const teams = [...new Set(jobs.map((x) => x.team))];
      return {
        kind: 'price-jump',
        nodeId: node.id,
        pool: poolKey(node),
        cloud: node.cloud,
        region: node.region,
        zone: node.zone,
        instanceType: node.instanceType,
        market: node.market,
        launchPricePerHour: j.launchPricePerHour,
        pricePerHour: j.pricePerHour,
        increasePercent: j.increasePercent,
        thresholdPercent: this.opts.priceJumpPercent,
        observedAt: j.observedAt,
        jobIds: jobs.map((x) => x.id),
        team: teams.length === 1 ? teams[0]! : null,
        at: now.toISOString(),
      };
    });
  }
}

// Anomalies worth a Slack message, as pure decisions: a running job's GPUs idle for too long, a job that keeps
// failing, a pool in use whose price jumped. The anomaly service (services/anomalies.ts) gathers the facts,
// calls these, and raises what they return; nothing here reads a clock, a database or a logger.

export interface IdlePolicy {
  /** Below this mean utilisation (%) a job's GPUs count as idle. */
  readonly utilizationPercent: number;
  /** Idle this long (minutes, without a busy sample in between) is an anomaly. */
  readonly minutes: number;
}

/** One look at a running job's GPUs. */
export interface UtilizationSample {
  readonly jobId: string;
  /** The run it belongs to (job.startedAt): a new run starts a new stretch. */
  readonly runStartedAt: string;
  /** Mean utilisation (%) of its GPUs; null when no fresh telemetry (nothing can be said). */
  readonly utilizationPercent: number | null;
  /** When the figures were taken. */
  readonly at: string;
}

/** A job's current idle stretch: since when, and its samples' sum and count (for the mean). */
export interface IdleStretch {
  readonly runStartedAt: string;
  readonly since: string;
  readonly sum: number;
  readonly count: number;
}

export interface IdleVerdict {
  readonly jobId: string;
  readonly runStartedAt: string;
  readonly idleMinutes: number;
  readonly meanUtilizationPercent: number;
}

/**
 * Moves each job's idle stretch on by one round of samples: an idle sample starts or extends it, a busy one
 * (or none at all) ends it, a job not sampled (no longer running) is forgotten. A stretch at least
 * `policy.minutes` long is due; the caller sends it once per run (the alert's key holds the run).
 */
export function trackIdle(
  stretches: ReadonlyMap<string, IdleStretch>,
  samples: readonly UtilizationSample[],
  policy: IdlePolicy,
): { stretches: Map<string, IdleStretch>; due: IdleVerdict[] } {
  const next = new Map<string, IdleStretch>();
  const due: IdleVerdict[] = [];
  for (const s of samples) {
    if (s.utilizationPercent === null || s.utilizationPercent >= policy.utilizationPercent) continue;
    const before = stretches.get(s.jobId);
    const base =
      before && before.runStartedAt === s.runStartedAt
        ? before
        : { runStartedAt: s.runStartedAt, since: s.at, sum: 0, count: 0 };
    const stretch = { ...base, sum: base.sum + s.utilizationPercent, count: base.count + 1 };
    next.set(s.jobId, stretch);
    const idleMinutes = (Date.parse(s.at) - Date.parse(stretch.since)) / 60_000;
    if (idleMinutes >= policy.minutes) {
      due.push({
        jobId: s.jobId,
        runStartedAt: s.runStartedAt,
        idleMinutes,
        meanUtilizationPercent: stretch.sum / stretch.count,
      });
    }
  }
  return { stretches: next, due };
}

export interface FailurePolicy {
  /** This many failures of one job (team and name) ... */
  readonly count: number;
  /** ... within this many minutes is an anomaly. */
  readonly windowMinutes: number;
}

export interface Failure {
  readonly jobId: string;
  readonly team: string;
  readonly name: string;
  readonly at: string;
  readonly reason: string;
}

export interface FailingJob {
  readonly team: string;
  readonly name: string;
  /** Newest first. */
  readonly failures: readonly Failure[];
}

/** Jobs (by team and name) that failed at least `count` times in the window ending at `now`. */
export function failingJobs(failures: readonly Failure[], now: Date, policy: FailurePolicy): FailingJob[] {
  const from = now.getTime() - policy.windowMinutes * 60_000;
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const t = Date.parse(f.at);
    if (t < from || t > now.getTime()) continue;
    const key = JSON.stringify([f.team, f.name]);
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const out: FailingJob[] = [];
  for (const list of groups.values()) {
    if (list.length < policy.count) continue;
    // Newest first; failures at the same instant newest-recorded first (the input is in record order).
    const sorted = [...list].reverse().sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    out.push({ team: sorted[0]!.team, name: sorted[0]!.name, failures: sorted });
  }
  return out.sort((a, b) => (a.team + a.name < b.team + b.name ? -1 : 1));
}

export interface PoolInUse {
  readonly nodeId: string;
  /** What the node was launched at. */
  readonly launchPricePerHour: number;
  /** The pool's newest price, and when it was seen; null when the pool has no price now. */
  readonly pricePerHour: number | null;
  readonly observedAt: string | null;
}

export interface PriceJump {
  readonly nodeId: string;
  readonly launchPricePerHour: number;
  readonly pricePerHour: number;
  readonly observedAt: string;
  readonly increasePercent: number;
}

/** Nodes whose pool now costs at least `percent` % more than they were launched at. */
export function priceJumps(pools: readonly PoolInUse[], percent: number): PriceJump[] {
  const out: PriceJump[] = [];
  for (const p of pools) {
    if (p.pricePerHour === null || p.observedAt === null || p.launchPricePerHour <= 0) continue;
    const increasePercent = ((p.pricePerHour - p.launchPricePerHour) / p.launchPricePerHour) * 100;
    // A hair of float error must not make a jump of exactly the threshold miss it.
    if (increasePercent + 1e-9 >= percent) {
      out.push({
        nodeId: p.nodeId,
        launchPricePerHour: p.launchPricePerHour,
        pricePerHour: p.pricePerHour,
        observedAt: p.observedAt,
        increasePercent,
      });
    }
  }
  return out;
}

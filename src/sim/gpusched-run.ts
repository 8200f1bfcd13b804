// gpusched itself under replay: the real daemon (startDaemon: store, scheduler with the packer, provisioner,
// reconciler, budgets, the in-process simulated cloud and agents) on a virtual clock, fed the replay's market
// through its market port and the jobs through its API. No scheduling decision is made here: this file moves
// the clock from event to event, tells the simulated cloud what the market does to its instances, and reads
// back what happened.
//
// Events: job arrivals and deletions (API calls), reclaims of instances whose pool goes dry (SimProvider.interrupt,
// which gives the cloud's notice), and the instants at which something is due in the daemon (a node booted, a
// job's run ends, a checkpoint is written, a notice runs out, an idle node's time is up, a pool block ends), plus
// a tick every `tickSeconds` while jobs wait or run. The market is polled at most every `pollSeconds`, as the
// daemon's market.pollCron would; a launch into a pool that has gone dry since fails with InsufficientCapacity.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { NOTICE_SECONDS } from '../clouds/sim/provider.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { runtimeOn } from '../core/cost.js';
import { OPEN_JOB_STATES } from '../core/lifecycle.js';
import type { Job } from '../core/model.js';
import { lastSaveAt } from '../core/progress.js';
import { type Daemon, startDaemon } from '../daemon.js';
import { seededIds } from '../ids.js';
import type { Db } from '../store/db.js';
import { EventQueue } from './event-queue.js';
import {
  type Capacity,
  type Charge,
  gpusOf,
  type JobOutcome,
  type PolicyRun,
  runEgressUsd,
} from './outcome.js';
import type { ReplayInputs } from './scenario.js';
import { traceMarketSources } from './trace-market.js';
import type { ReplayJob } from './workload.js';

const ADMIN = 'replay-admin-token-not-a-secret';
const HOUR = 3_600_000;

type Ev =
  | { at: number; rank: 1; kind: 'reclaim'; instance: string }
  | { at: number; rank: 2; kind: 'delete'; job: ReplayJob }
  | { at: number; rank: 3; kind: 'arrive'; job: ReplayJob }
  | { at: number; rank: 4; kind: 'due' }
  | { at: number; rank: 5; kind: 'cadence' };

interface InstanceRow {
  rowid: number;
  id: string;
  cloud: 'aws' | 'gcp' | 'azure';
  region: string;
  zone: string | null;
  instance_type: string;
  market: 'spot' | 'on-demand';
  launched_at: string;
  ready_at: string;
  state: string;
  terminated_at: string | null;
  interrupted_at: string | null;
  notice_seconds: number | null;
}

interface Run {
  nodeId: string;
  startedAt: number;
  region: string;
  lastSave: number;
  gpuMemoryGiB: number;
}

export interface GpuschedRunOptions {
  /** Called now and then with the share of virtual time done (0..1). */
  progress?: (done: number) => void;
}

function poolOf(r: InstanceRow): string {
  return `${r.cloud}/${r.region}/${r.zone ?? '-'}/${r.instance_type}/${r.market}`;
}

/** The daemon's configuration for a replay: the embedded default with the scenario's settings. */
export function replayConfig(inputs: ReplayInputs, dataDir: string): Config {
  const d = inputs.scenario.daemon;
  const config = structuredClone(loadConfig({ env: {} })) as Config;
  config.dataDir = dataDir;
  config.database.file = ':memory:';
  config.api.adminToken = ADMIN;
  config.log.level = 'error';
  // No budget policies: the replay measures placement and interruptions, not budget actions.
  config.policies.dir = join(dataDir, 'policies');
  config.sim = { ...config.sim, enabled: true, mode: 'in-process', timeScale: 1, bootSeconds: d.bootSeconds };
  config.costModel.restartMinutes = d.bootSeconds / 60;
  config.scheduler.idleNodeSeconds = d.idleNodeSeconds;
  config.scheduler.interruptionBlockSeconds = d.interruptionBlockSeconds;
  config.scheduler.launchFailureBlockSeconds = d.launchFailureBlockSeconds;
  config.consolidation.everySeconds = d.consolidationSeconds;
  // Anomaly alerts watch for idle GPUs and failing jobs on behalf of people; nobody reads them in a replay.
  config.anomalies.enabled = false;
  // Spend is written to the ledger per run when it ends, and in between every ledgerSeconds: with no budget
  // policy in a replay nobody reads the in-between figures, so they are written hourly.
  config.policies.ledgerSeconds = 3600;
  return config;
}

export async function runGpusched(inputs: ReplayInputs, opts: GpuschedRunOptions = {}): Promise<PolicyRun> {
  const { market, start } = inputs;
  const tmp = mkdtempSync(join(tmpdir(), 'gpusched-replay-'));
  mkdirSync(join(tmp, 'policies'));
  const errors: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  const clock = { now: start };
  let daemon: Daemon | null = null;
  try {
    daemon = await startDaemon(replayConfig(inputs, tmp), {
      now: () => new Date(clock.now),
      manualTicks: true,
      noListen: true,
      logger,
      replay: { marketSources: traceMarketSources(market) },
      ids: seededIds(inputs.scenario.seed),
    });
    cacheStatements(daemon.store.db);
    return await drive(daemon, inputs, clock, errors, opts);
  } finally {
    await daemon?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The daemon's store prepares its SQL anew on every call, which dominates a tick at a replay's pace (docs/replay.md,
 * "Speed"). The replay keeps each prepared statement for reuse: the same SQL on the same connection gives the same
 * results (no statement in the store changes mode with pluck/raw/expand or is iterated).
 */
export function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, ReturnType<Db['prepare']>>();
  db.prepare = ((sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = prepare(sql);
      cache.set(sql, s);
    }
    return s;
  }) as Db['prepare'];
}

async function drive(
  daemon: Daemon,
  inputs: ReplayInputs,
  clock: { now: number },
  errors: string[],
  opts: GpuschedRunOptions,
): Promise<PolicyRun> {
  const { market, start, end, tables } = inputs;
  const d = inputs.scenario.daemon;
  const sim = daemon.sim!;
  const db = daemon.store.db;
  const q = new EventQueue<Ev>();
  for (const job of inputs.jobs) {
    q.push({ at: job.submitAt, rank: 3, kind: 'arrive', job });
    if (job.cancelAt !== null) q.push({ at: job.cancelAt, rank: 2, kind: 'delete', job });
  }
  const stats = {
    ticks: 0,
    dueTicks: 0,
    cadenceTicks: 0,
    polls: 1,
    reclaims: 0,
    deferredReclaims: 0,
    submitted: 0,
    refused: 0,
    noticeMoves: 0,
    consolidationMoves: 0,
    deadlineMoves: 0,
    /** Of those, from on-demand back to spot (the rest: the safety net, or a deadline out of reach). */
    deadlineMovesToSpot: 0,
    checkpointsMissed: 0,
    launchFailures: 0,
    daemonErrors: 0,
  };
  const ids = new Map<string, string>(); // replay id → daemon job id
  const byDaemonId = new Map<string, ReplayJob>();
  const outcomes = new Map<string, JobOutcome>();
  const charges: Charge[] = [];
  const open = new Map<string, Run>(); // daemon job id → its current run
  const lastRegion = new Map<string, string>(); // daemon job id → region of its last run
  const dueSet = new Set<number>();
  let cadenceAt = Number.NEGATIVE_INFINITY;
  let lastRowid = 0;
  let lastPoll = start;
  const newInstances = db.prepare('SELECT rowid, * FROM sim_instances WHERE rowid > ? ORDER BY rowid');
  const instanceById = db.prepare('SELECT rowid, * FROM sim_instances WHERE id = ?');
  const blocks = db.prepare('SELECT blocked_until FROM pool_blocks WHERE blocked_until > ?');

  const due = (instant: number) => {
    const at = Math.round(instant);
    if (at <= clock.now || at > end || dueSet.has(at)) return;
    dueSet.add(at);
    q.push({ at, rank: 4, kind: 'due' });
  };
  const call = async (method: 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await daemon.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : {} };
  };
  // A launch into a spot pool that is dry fails. The faults follow the pools whose outage starts or ends, at the
  // instants it does, rather than every pool at every change of the market.
  const turns = new Map<number, string[]>();
  for (const p of market.pools) {
    if (p.offer.market !== 'spot') continue;
    if (!market.available(p.key, start)) sim.injectLaunchFault(p.key, 'InsufficientCapacity');
    for (const o of p.outages)
      for (const at of [o.from, o.to]) if (at > start) turns.set(at, [...(turns.get(at) ?? []), p.key]);
  }
  const turnAt = [...turns.keys()].sort((a, b) => a - b);
  let nextTurn = 0;
  const setFaults = (t: number) => {
    for (; nextTurn < turnAt.length && turnAt[nextTurn]! <= t; nextTurn++)
      for (const key of turns.get(turnAt[nextTurn]!)!)
        if (market.available(key, t)) sim.clearLaunchFault(key);
        else sim.injectLaunchFault(key, 'InsufficientCapacity');
  };

  /** Applies an event; false when it turned out to change nothing (its instance is gone already). */
  const apply = async (ev: Ev): Promise<boolean> => {
    clock.now = ev.at;
    switch (ev.kind) {
      case 'arrive': {
        const j = ev.job;
        const spec =
          j.deadlineAt === null ? j.spec : { ...j.spec, deadline: new Date(j.deadlineAt).toISOString() };
        const r = await call('POST', '/v1/jobs', spec);
        stats.submitted++;
        outcomes.set(j.id, {
          id: j.id,
          kind: (j.spec.kind ?? 'batch') as JobOutcome['kind'],
          submitAt: j.submitAt,
          deadlineAt: j.deadlineAt,
          finishedAt: null,
          gpuHoursLost: 0,
          interruptions: 0,
        });
        if (r.status !== 201 && r.status !== 200) {
          stats.refused++;
          errors.push(`submit ${j.id}: ${r.status} ${JSON.stringify(r.body)}`);
          return false;
        }
        const id = (r.body as { id: string }).id;
        ids.set(j.id, id);
        byDaemonId.set(id, j);
        return true;
      }
      case 'delete': {
        const id = ids.get(ev.job.id);
        if (!id) return false;
        await call('DELETE', `/v1/jobs/${id}`);
        const o = outcomes.get(ev.job.id);
        if (o && o.finishedAt === null) o.finishedAt = ev.at;
        return true;
      }
      case 'reclaim': {
        const row = instanceById.get(ev.instance) as InstanceRow | undefined;
        if (!row || row.state === 'terminated' || row.interrupted_at) return false;
        // A spot instance that is still booting is reclaimed as soon as it is up (its notice needs a node).
        if (Date.parse(row.ready_at) > ev.at) {
          stats.deferredReclaims++;
          q.push({ ...ev, at: Date.parse(row.ready_at) });
          return false;
        }
        sim.interrupt(row.id);
        stats.reclaims++;
        due(ev.at + NOTICE_SECONDS[row.cloud] * 1000);
        return true;
      }
      default:
        stats[ev.kind === 'due' ? 'dueTicks' : 'cadenceTicks']++;
        return true;
    }
  };

  /** After a tick: new instances (their boot and their reclaim), runs, and what is due next. */
  const observe = (now: number) => {
    for (const row of newInstances.all(lastRowid) as InstanceRow[]) {
      lastRowid = row.rowid;
      due(Date.parse(row.ready_at));
      if (row.market !== 'spot') continue;
      const outage = market.nextOutage(poolOf(row), Date.parse(row.launched_at));
      if (outage && outage.from <= end)
        q.push({ at: outage.from, rank: 1, kind: 'reclaim', instance: row.id });
    }
    const active = daemon.store.jobs.inStates(OPEN_JOB_STATES);
    const onNode = new Set<string>();
    const busy = new Set<string>();
    const live = daemon.store.nodes.list(['provisioning', 'ready', 'draining']);
    const nodeState = new Map(live.map((n) => [n.id, n.state]));
    let pending = 0;
    for (const job of active) {
      if (job.state === 'queued' || job.state === 'held') pending++;
      if ((job.state === 'running' || job.state === 'checkpointing') && job.startedAt) {
        onNode.add(job.id);
        track(job, now);
      }
      // Placed on a node already up: the daemon's next tick (a second later) starts it.
      if (job.state === 'provisioning' && job.nodeIds.every((n) => nodeState.get(n) === 'ready'))
        due(now + 1000);
      if (job.state === 'running') {
        const node = job.nodeIds[0] ? daemon.store.nodes.get(job.nodeIds[0]) : null;
        if (node && job.spec.runtime && (job.spec.kind ?? 'batch') === 'batch') {
          const hours = runtimeOn(job.spec, node.gpu.model, tables).hours * (1 - job.progress);
          due(lastSaveAt(job)!.getTime() + hours * HOUR);
        }
      }
      // The in-process agent writes it when its grace is over (unless the node goes first: a reclaim is due then).
      if (job.state === 'checkpointing')
        due(Date.parse(job.updatedAt) + (job.spec.checkpoint?.graceSeconds ?? 60) * 1000);
      for (const n of job.nodeIds) busy.add(n);
    }
    for (const [id] of open) if (!onNode.has(id)) close(id, now);
    for (const n of live)
      if (n.state === 'ready' && !busy.has(n.id)) due(Date.parse(n.lastBusyAt) + d.idleNodeSeconds * 1000);
    if (pending > 0)
      for (const b of blocks.all(new Date(now).toISOString()) as { blocked_until: string }[])
        due(Date.parse(b.blocked_until) + 1);
    // While jobs wait, every tickSeconds; while they only run, as often as consolidation may move them (what is
    // left to decide with time alone: consolidation, and Uniform Progress sending a job back to spot).
    if (active.length > 0) {
      const next = now + (pending > 0 ? d.tickSeconds : d.consolidationSeconds) * 1000;
      if ((cadenceAt <= now || next < cadenceAt) && next <= end) {
        cadenceAt = next;
        q.push({ at: next, rank: 5, kind: 'cadence' });
      }
    }
  };

  const track = (job: Job, now: number) => {
    const started = Date.parse(job.startedAt!);
    const run = open.get(job.id);
    if (run && run.startedAt !== started) close(job.id, now);
    if (!open.has(job.id)) {
      const node = daemon.store.nodes.get(job.nodeIds[0]!);
      const region = node ? `${node.cloud}:${node.region}` : 'unknown:unknown';
      const memory = node?.gpu.memoryGiB ?? 16;
      open.set(job.id, {
        nodeId: job.nodeIds[0]!,
        startedAt: started,
        region,
        lastSave: started,
        gpuMemoryGiB: memory,
      });
      const before = lastRegion.get(job.id) ?? null;
      const usd = runEgressUsd(job.spec, before, region, job.progress > 0, memory, tables);
      if (usd > 0) charges.push({ at: started, usd, kind: 'egress' });
      lastRegion.set(job.id, region);
    }
    const r = open.get(job.id)!;
    const cp = job.checkpoint ? Date.parse(job.checkpoint.at) : Number.NEGATIVE_INFINITY;
    if (cp >= r.startedAt) r.lastSave = Math.max(r.lastSave, cp);
  };

  /** The run left its node: finished, moved with a checkpoint, or lost (the work since its last save). */
  const close = (daemonId: string, now: number) => {
    const run = open.get(daemonId);
    open.delete(daemonId);
    const j = byDaemonId.get(daemonId);
    if (!run || !j) return;
    const job = daemonId ? daemon.store.jobs.get(daemonId) : null;
    const o = outcomes.get(j.id)!;
    if (!job) return;
    if (job.state === 'succeeded' || job.state === 'failed') {
      o.finishedAt = job.finishedAt ? Date.parse(job.finishedAt) : now;
      return;
    }
    if (job.state === 'cancelled') return;
    const cp = job.checkpoint ? Date.parse(job.checkpoint.at) : Number.NEGATIVE_INFINITY;
    const saved = cp >= run.startedAt ? Math.max(run.lastSave, cp) : run.lastSave;
    const lost = Math.max(0, now - saved) / HOUR;
    // A move with a checkpoint loses (almost) nothing; a reclaim without one in time loses the work since.
    if (lost > 1e-9) o.gpuHoursLost += lost * gpusOf(j.spec);
    const node = daemon.store.nodes.get(run.nodeId);
    if (node?.interruptedAt && Date.parse(node.interruptedAt) >= run.startedAt) o.interruptions++;
  };

  const span = end - start;
  let lastReport = Number.NEGATIVE_INFINITY;
  while (q.size > 0) {
    const first = q.peek()!;
    if (first.at > end) break;
    const batchEnd = first.at + 1000;
    let tickAt = first.at;
    let changed = false;
    while (q.size > 0 && q.peek()!.at <= batchEnd) {
      const ev = q.pop()!;
      if (ev.kind === 'due') dueSet.delete(ev.at);
      if (await apply(ev)) {
        changed = true;
        tickAt = Math.max(tickAt, ev.at);
      }
    }
    if (!changed) continue;
    clock.now = tickAt;
    setFaults(tickAt);
    if (tickAt - lastPoll >= d.pollSeconds * 1000 && market.changedBetween(lastPoll, tickAt)) {
      await daemon.pollMarket();
      lastPoll = tickAt;
      stats.polls++;
    }
    await daemon.tick();
    stats.ticks++;
    observe(tickAt);
    if (opts.progress && tickAt - lastReport > span / 200) {
      lastReport = tickAt;
      opts.progress((tickAt - start) / span);
    }
  }
  clock.now = end;
  for (const id of [...open.keys()]) close(id, end);

  // What the cloud billed: every instance from launch to its end (terminated, reclaimed, or the horizon).
  const capacity: Capacity[] = [];
  for (const row of db.prepare('SELECT rowid, * FROM sim_instances ORDER BY rowid').all() as InstanceRow[]) {
    const from = Date.parse(row.launched_at);
    const reclaimed =
      row.interrupted_at && row.notice_seconds !== null
        ? Date.parse(row.interrupted_at) + row.notice_seconds * 1000
        : Number.POSITIVE_INFINITY;
    const terminated = row.terminated_at ? Date.parse(row.terminated_at) : Number.POSITIVE_INFINITY;
    const to = Math.min(reclaimed, terminated, end);
    if (to > from) capacity.push({ pool: poolOf(row), from, to, share: 1 });
  }
  // Jobs that finished between the last observation and the end.
  for (const [rid, id] of ids) {
    const o = outcomes.get(rid)!;
    if (o.finishedAt !== null) continue;
    const job = daemon.store.jobs.get(id);
    if (job?.finishedAt && (job.state === 'succeeded' || job.state === 'failed'))
      o.finishedAt = Date.parse(job.finishedAt);
  }
  // Why running jobs were told to checkpoint: reclaim notices, consolidation, deadlines (Uniform Progress).
  const orders = db.prepare("SELECT reason FROM job_events WHERE to_state = 'checkpointing'").all() as {
    reason: string;
  }[];
  stats.noticeMoves = orders.filter((o) => o.reason.startsWith('reclaim notice')).length;
  stats.consolidationMoves = orders.filter((o) => o.reason.startsWith('consolidation')).length;
  stats.deadlineMoves = orders.filter((o) => o.reason.startsWith('deadline')).length;
  stats.deadlineMovesToSpot = orders.filter(
    (o) => o.reason.startsWith('deadline') && o.reason.includes('back to spot'),
  ).length;
  stats.checkpointsMissed = (
    db.prepare("SELECT COUNT(*) AS n FROM job_events WHERE reason LIKE 'no checkpoint in time%'").get() as {
      n: number;
    }
  ).n;
  stats.launchFailures = (
    db.prepare("SELECT COUNT(*) AS n FROM job_events WHERE reason LIKE 'launch failed%'").get() as {
      n: number;
    }
  ).n;
  stats.daemonErrors = errors.length;
  if (errors.length > 0 && process.env.GPUSCHED_REPLAY_DEBUG)
    for (const e of errors.slice(0, 20)) console.error(e);
  return {
    policy: 'gpusched',
    capacity,
    charges,
    jobs: inputs.jobs.map((j) => outcomes.get(j.id)!).filter(Boolean),
    interruptions: stats.reclaims,
    stats,
  };
}

// Workload loaders: real job traces turned into gpusched job specs with their arrival times. Pure: CSV text and
// options in, jobs out. What is taken from the trace and what is added is listed in docs/replay.md ("Jobs").
//
// - Philly-derived jobs with SLOs (Chronus artifact, S-Lab-System-Group/ChronusArtifact): GPUs, submit time,
//   duration and the expected completion time are the trace's (its times are minutes); the GPU model, the data
//   (where and how big), the checkpoint contract and the home region are the scenario's.
// - Alibaba GPU cluster v2023 pods with a fraction of one GPU (shared work): the fraction, creation, scheduling
//   and deletion times and QoS are the trace's; latency-sensitive pods (LS) become inference deployments that
//   are deleted when the trace deletes them, the others batch jobs that run for as long as the pod ran.
import { parse } from 'csv-parse/sync';
import type { JobSpec } from '../core/jobspec.js';
import { seedOf } from './rng.js';

/** A job of the replay: its spec and when it comes (and, for a deployment, when it is deleted). */
export interface ReplayJob {
  /** Stable across runs: `philly-<job_id>`, `alibaba-<pod>`; also the spec's name. */
  id: string;
  source: 'philly' | 'alibaba';
  team: string;
  /** Submission, ms since the epoch (unique within a workload after `distinctArrivals`). */
  submitAt: number;
  /** The deadline, ms; null without one. */
  deadlineAt: number | null;
  /** When a deployment is deleted, ms; null for batch jobs. */
  cancelAt: number | null;
  spec: JobSpec;
}

export interface PhillyOptions {
  /** The replay's start, ms: the trace's time 0. */
  start: number;
  /** Seconds per unit of the trace's times (60: the Chronus Philly traces count minutes). */
  unitSeconds: number;
  /** Submit times are multiplied by this (spreads the trace's days over the replay's); durations are not. */
  stretch: number;
  gpuModels: readonly string[];
  /** Where each team's data lives, `cloud:region`; a team gets one by a hash of its name. */
  homeRegions: readonly string[];
  dataGiB: number;
  checkpoint: { graceSeconds: number; everyMinutes: number };
  /**
   * Added to the trace's expected completion time: the Philly cluster ran jobs on machines already up, a cloud
   * boots one first (the cost model's restart time).
   */
  deadlineSlackMinutes: number;
  /** GPUs per node at most (a larger job is a gang of equal nodes). */
  maxGpusPerNode: number;
}

export interface AlibabaOptions {
  start: number;
  /** Trace second that maps to the replay's start; pods created before it are left out. */
  windowStartSeconds: number;
  /** Length of the window, seconds: pods created after it are left out. */
  windowSeconds: number;
  gpuModels: readonly string[];
  /** Memory of the trace's GPUs: a fractional pod asks for that share of it (the trace gives none). */
  gpuMemoryGiB: number;
  team: string;
}

function rows(text: string, what: string, needed: readonly string[]): Record<string, string>[] {
  const out = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const first = out[0];
  if (!first) throw new Error(`${what}: no rows`);
  for (const c of needed) if (!(c in first)) throw new Error(`${what}: column ${c} missing`);
  return out;
}

function num(r: Record<string, string>, k: string, what: string, line: number): number {
  const v = Number(r[k]);
  if (r[k] === undefined || r[k] === '' || !Number.isFinite(v))
    throw new Error(`${what}: row ${line}: ${k} must be a number, got ${JSON.stringify(r[k])}`);
  return v;
}

/** A whole-GPU request as nodes × GPUs per node: 12 GPUs on 8-GPU nodes → 2 nodes of 6. */
export function gangShape(gpus: number, maxPerNode: number): { nodes: number; count: number } {
  const nodes = Math.max(1, Math.ceil(gpus / maxPerNode));
  return { nodes, count: Math.ceil(gpus / nodes) };
}

/** The home region of a team: a hash of its name picks one of the regions. */
export function homeRegion(team: string, regions: readonly string[]): string {
  if (regions.length === 0) throw new Error('no home regions');
  return regions[seedOf('home', team) % regions.length]!;
}

const PHILLY_COLUMNS = [
  'job_id',
  'user',
  'num_gpu',
  'submit_time',
  'model_name',
  'duration',
  'expect_time_list',
  'job_type',
] as const;

/** Philly-derived jobs (Chronus `trace_job_Philly_*.csv`); jobs asking for no GPU are left out. */
export function phillyJobs(text: string, o: PhillyOptions): ReplayJob[] {
  const what = 'Philly trace';
  const out: ReplayJob[] = [];
  rows(text, what, PHILLY_COLUMNS).forEach((r, i) => {
    const line = i + 2;
    const gpus = num(r, 'num_gpu', what, line);
    if (gpus <= 0) return;
    const unit = o.unitSeconds * 1000;
    const submitAt = o.start + Math.round(num(r, 'submit_time', what, line) * unit * o.stretch);
    const minutes = (num(r, 'duration', what, line) * o.unitSeconds) / 60;
    if (!(minutes > 0)) throw new Error(`${what}: row ${line}: duration must be > 0`);
    // A best-effort job's expected time is its submit time (no SLO); a strict or soft one's first expected
    // completion is relative to its submission (the Chronus simulator adds it to the submit time).
    const best = r.job_type === 'best' || r.best_effort === '1';
    const expect = Number(String(r.expect_time_list).split('-')[0]);
    if (!best && !(expect > 0)) throw new Error(`${what}: row ${line}: expect_time_list must be > 0`);
    const deadlineAt = best
      ? null
      : submitAt + Math.round(expect * unit) + Math.round(o.deadlineSlackMinutes * 60_000);
    const team = r.user!;
    const model = r.model_name!;
    const id = `philly-${r.job_id}`;
    const { nodes, count } = gangShape(gpus, o.maxGpusPerNode);
    const spec: JobSpec = {
      name: id,
      team,
      image: `replay/philly-${model}:1`,
      resources: { gpu: { models: [...o.gpuModels], count }, ...(nodes > 1 ? { nodes } : {}) },
      runtime: { estimateHours: minutes / 60 },
      data: [
        { uri: `s3://replay-${team}/${model}`, region: homeRegion(team, o.homeRegions), sizeGiB: o.dataGiB },
      ],
      checkpoint: {
        dir: `/ckpt/${id}`,
        graceSeconds: o.checkpoint.graceSeconds,
        everyMinutes: o.checkpoint.everyMinutes,
      },
      market: 'auto',
      labels: { source: 'philly', model },
    };
    out.push({ id, source: 'philly', team, submitAt, deadlineAt, cancelAt: null, spec });
  });
  return out;
}

const ALIBABA_COLUMNS = [
  'name',
  'num_gpu',
  'gpu_milli',
  'qos',
  'creation_time',
  'deletion_time',
  'scheduled_time',
] as const;

/**
 * Alibaba v2023 pods with a fraction of one GPU (1 GPU, gpu_milli < 1000), created within the window; pods
 * never scheduled are left out (they used nothing).
 */
export function alibabaJobs(text: string, o: AlibabaOptions): ReplayJob[] {
  const what = 'Alibaba pod list';
  const out: ReplayJob[] = [];
  rows(text, what, ALIBABA_COLUMNS).forEach((r, i) => {
    const line = i + 2;
    if (num(r, 'num_gpu', what, line) !== 1) return;
    const milli = num(r, 'gpu_milli', what, line);
    if (!(milli > 0 && milli < 1000)) return;
    if (r.scheduled_time === '' || r.deletion_time === '') return;
    const created = num(r, 'creation_time', what, line);
    if (created < o.windowStartSeconds || created >= o.windowStartSeconds + o.windowSeconds) return;
    const scheduled = num(r, 'scheduled_time', what, line);
    const deleted = num(r, 'deletion_time', what, line);
    const runSeconds = Math.max(60, deleted - scheduled);
    const submitAt = o.start + (created - o.windowStartSeconds) * 1000;
    const fraction = milli / 1000;
    const inference = r.qos === 'LS';
    const id = `alibaba-${r.name}`;
    const gpu = {
      models: [...o.gpuModels],
      fraction,
      memoryGiB: Math.max(1, Math.ceil(fraction * o.gpuMemoryGiB)),
    };
    const spec: JobSpec = inference
      ? {
          name: id,
          team: o.team,
          kind: 'inference',
          image: 'replay/alibaba-pod:1',
          resources: { gpu },
          replicas: 1,
          market: 'auto',
          labels: { source: 'alibaba', qos: r.qos! },
        }
      : {
          name: id,
          team: o.team,
          image: 'replay/alibaba-pod:1',
          resources: { gpu },
          runtime: { estimateHours: runSeconds / 3600 },
          market: 'auto',
          labels: { source: 'alibaba', qos: r.qos! },
        };
    out.push({
      id,
      source: 'alibaba',
      team: o.team,
      submitAt,
      deadlineAt: null,
      cancelAt: inference ? submitAt + (deleted - created) * 1000 : null,
      spec,
    });
  });
  return out;
}

/**
 * All jobs in arrival order, each at its own millisecond: jobs that arrive in the same instant are spread by a
 * millisecond each in trace order, so that no tie is left to ids the daemon draws at random.
 */
export function distinctArrivals(jobs: readonly ReplayJob[]): ReplayJob[] {
  const sorted = jobs
    .map((j, i) => ({ j, i }))
    .sort((a, b) => a.j.submitAt - b.j.submitAt || a.i - b.i)
    .map((x) => x.j);
  let last = Number.NEGATIVE_INFINITY;
  return sorted.map((j) => {
    const at = Math.max(j.submitAt, last + 1);
    last = at;
    if (at === j.submitAt) return j;
    const shift = at - j.submitAt;
    return {
      ...j,
      submitAt: at,
      deadlineAt: j.deadlineAt === null ? null : j.deadlineAt + shift,
      cancelAt: j.cancelAt === null ? null : j.cancelAt + shift,
    };
  });
}

// Replay scenarios: a JSON file (data/replay/*.json) that names the traces, the price history and the job traces
// to replay, and how to read them. Loading one builds everything a replay needs, the same for every policy: the
// market over time and the jobs with their arrival times. The project's own bundled copies are the only files a
// scenario reads (paths are relative to the scenario file); nothing outside the project is read at run time.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { loadAwsSpotAdvisorBuckets } from '../catalog/interruption-priors.js';
import { defaultCatalogPath, loadCatalog } from '../catalog/load.js';
import { loadCostTables } from '../config/cost-tables.js';
import type { CostTables } from '../core/cost-tables.js';
import { canonicalGpu } from '../core/gpus.js';
import {
  buildMarket,
  type MarketTimeline,
  type PriceHistory,
  type PricePoint,
  type RenewalProfile,
  type TracedPool,
} from './market-model.js';
import { availableShare, type BundledTrace, parseBundledTrace, periods } from './traces.js';
import { alibabaJobs, distinctArrivals, phillyJobs, type ReplayJob } from './workload.js';

export const SCENARIO_FORMAT = 'gpusched-replay-scenario/1';

const Iso = Type.String({ format: 'date-time' });
const Region = Type.String({ pattern: '^(aws|gcp|azure):[a-z0-9-]+$' });
const strict = { additionalProperties: false } as const;

export const ScenarioSchema = Type.Object(
  {
    format: Type.Literal(SCENARIO_FORMAT),
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    description: Type.String(),
    /** The replay's time 0 (the traces' start). */
    start: Iso,
    /** Jobs arrive during this many days. */
    days: Type.Number({ exclusiveMinimum: 0, maximum: 366 }),
    /** After the arrivals, the replay goes on this long for the jobs to finish (the market keeps moving). */
    drainDays: Type.Number({ minimum: 0, maximum: 60 }),
    seed: Type.Integer({ minimum: 0 }),
    market: Type.Object(
      {
        /** The market is the catalog's pools of these GPU models (and the traced pools). */
        gpuModels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        /** Bundled spot traces that drive their pools; their periods also calibrate the modelled pools. */
        traces: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        /** Second of the traces at the replay's start. */
        traceOffsetSeconds: Type.Number({ minimum: 0 }),
        /** Spot Advisor bucket of the traced pools (p3.2xlarge: 4, ">20 %", in every traced region). */
        tracedBucket: Type.Integer({ minimum: 0, maximum: 4 }),
        gcpHistory: Type.Optional(
          Type.Object(
            {
              file: Type.String({ minLength: 1 }),
              /** History time at the replay's start. */
              anchor: Iso,
              /** History time of the catalog's prices (its snapshot date). */
              catalogAt: Iso,
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    workload: Type.Object(
      {
        philly: Type.Optional(
          Type.Object(
            {
              file: Type.String({ minLength: 1 }),
              unitSeconds: Type.Number({ exclusiveMinimum: 0 }),
              stretch: Type.Number({ exclusiveMinimum: 0 }),
              homeRegions: Type.Array(Region, { minItems: 1 }),
              dataGiB: Type.Number({ minimum: 0 }),
              checkpoint: Type.Object(
                {
                  graceSeconds: Type.Number({ minimum: 0 }),
                  everyMinutes: Type.Number({ exclusiveMinimum: 0 }),
                },
                strict,
              ),
              deadlineSlackMinutes: Type.Number({ minimum: 0 }),
              maxGpusPerNode: Type.Integer({ minimum: 1, maximum: 16 }),
            },
            strict,
          ),
        ),
        alibaba: Type.Optional(
          Type.Object(
            {
              file: Type.String({ minLength: 1 }),
              windowStartSeconds: Type.Number({ minimum: 0 }),
              gpuMemoryGiB: Type.Number({ exclusiveMinimum: 0 }),
              team: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' }),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    /** How the daemon is run (docs/replay.md, "The daemon's settings"). */
    daemon: Type.Object(
      {
        /** Virtual seconds between ticks while jobs wait (besides the ticks events bring); consolidationSeconds while they only run. */
        tickSeconds: Type.Number({ exclusiveMinimum: 0 }),
        /** The market is polled at most this often (the daemon's market.pollCron: 5 minutes). */
        pollSeconds: Type.Number({ exclusiveMinimum: 0 }),
        /** A node's boot, image pull and resume: every launch, for every policy (costModel.restartMinutes). */
        bootSeconds: Type.Number({ minimum: 0 }),
        idleNodeSeconds: Type.Number({ minimum: 0 }),
        interruptionBlockSeconds: Type.Number({ minimum: 0 }),
        launchFailureBlockSeconds: Type.Number({ minimum: 0 }),
        /** The daemon's consolidation.everySeconds. */
        consolidationSeconds: Type.Number({ exclusiveMinimum: 0 }),
      },
      strict,
    ),
  },
  strict,
);

export type Scenario = Static<typeof ScenarioSchema>;

/** Everything one replay of a scenario needs, the same for every policy. */
export interface ReplayInputs {
  scenario: Scenario;
  /** ms */
  start: number;
  /** Last arrival bound, ms. */
  arrivalsEnd: number;
  /** The replay's horizon, ms: nothing happens after it; a job not done by then is unfinished. */
  end: number;
  market: MarketTimeline;
  jobs: ReplayJob[];
  tables: CostTables;
  /** The traced pools, for the report. */
  traced: { name: string; pool: string; share: number }[];
}

/** The scenarios that ship with gpusched (data/replay/<name>.json). */
export const BUNDLED_SCENARIOS = ['month-v100', 'week-preemption'] as const;

export function bundledScenarioPath(name: string): string {
  return fileURLToPath(new URL(`../../data/replay/${name}.json`, import.meta.url));
}

/** A scenario by bundled name or file path, validated. */
export function readScenario(nameOrFile: string): { scenario: Scenario; dir: string } {
  const file =
    (BUNDLED_SCENARIOS as readonly string[]).includes(nameOrFile) && !nameOrFile.endsWith('.json')
      ? bundledScenarioPath(nameOrFile)
      : resolve(nameOrFile);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`scenario ${file}: ${(err as Error).message}`);
  }
  return { scenario: parseScenario(doc, file), dir: dirname(file) };
}

export function parseScenario(doc: unknown, name = 'scenario'): Scenario {
  if (!Value.Check(ScenarioSchema, doc)) {
    const e = Value.Errors(ScenarioSchema, doc)[0];
    throw new Error(`${name}: ${e ? `${e.instancePath || '/'} ${e.message}` : 'invalid'}`);
  }
  for (const m of doc.market.gpuModels)
    if (!canonicalGpu(m)) throw new Error(`${name}: /market/gpuModels: unknown GPU model ${m}`);
  return doc;
}

/** The GCP GPU price history as bundled (accelerator,count,zone,effective_from,on_demand,spot). */
export function parseGcpHistory(text: string): Map<string, { onDemand: PricePoint[]; spot: PricePoint[] }> {
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const series = new Map<string, { onDemand: PricePoint[]; spot: PricePoint[] }>();
  rows.forEach((r, i) => {
    const at = Date.parse(r.effective_from ?? '');
    const model = canonicalGpu(r.accelerator ?? '')?.model;
    if (Number.isNaN(at) || !model || !r.count || !r.zone)
      throw new Error(`GCP price history: row ${i + 2} is malformed`);
    const key = `${model}|${r.count}|${r.zone}`;
    const s = series.get(key) ?? { onDemand: [], spot: [] };
    const od = Number(r.on_demand);
    const sp = Number(r.spot);
    if (r.on_demand !== '' && od > 0) s.onDemand.push({ at, price: od });
    if (r.spot !== '' && sp > 0) s.spot.push({ at, price: sp });
    series.set(key, s);
  });
  for (const s of series.values()) {
    s.onDemand.sort((a, b) => a.at - b.at);
    s.spot.sort((a, b) => a.at - b.at);
  }
  return series;
}

const DAY = 86_400_000;

/** Builds the market and the jobs of a scenario from the project's bundled files. */
export function loadInputs(scenario: Scenario, dir: string): ReplayInputs {
  const path = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const read = (p: string) => readFileSync(path(p), 'utf8');
  const start = Date.parse(scenario.start);
  const arrivalsEnd = start + scenario.days * DAY;
  const end = arrivalsEnd + scenario.drainDays * DAY;

  const models = new Set(scenario.market.gpuModels.map((m) => canonicalGpu(m)!.model));
  const catalog = loadCatalog(defaultCatalogPath(), new Date(start).toISOString())
    .filter((o) => models.has(o.gpu.model))
    .map((o) => ({ ...o, source: 'simulated' }));
  const traces: BundledTrace[] = scenario.market.traces.map((f) => parseBundledTrace(read(f), f));
  const traced: TracedPool[] = traces.map((t) => ({
    name: `${t.cloud}:${t.zone}:${t.instanceType}`,
    cloud: t.cloud,
    region: t.region,
    zone: t.zone,
    instanceType: t.instanceType,
    trace: t,
    offsetSeconds: scenario.market.traceOffsetSeconds,
  }));
  const profiles: RenewalProfile[] = traces.map((t) => ({
    name: `${t.cloud}:${t.zone}:${t.instanceType}`,
    ...periods(t),
    availableShare: availableShare(t),
  }));
  let history: PriceHistory | undefined;
  const h = scenario.market.gcpHistory;
  if (h) {
    history = {
      series: parseGcpHistory(read(h.file)),
      anchor: Date.parse(h.anchor),
      catalogAt: Date.parse(h.catalogAt),
    };
  }
  const market = buildMarket({
    start,
    end,
    catalog,
    traced,
    profiles,
    buckets: loadAwsSpotAdvisorBuckets(),
    tracedBucket: scenario.market.tracedBucket,
    ...(history ? { history } : {}),
    seed: scenario.seed,
  });

  const jobs: ReplayJob[] = [];
  const w = scenario.workload;
  if (w.philly) {
    jobs.push(
      ...phillyJobs(read(w.philly.file), {
        start,
        unitSeconds: w.philly.unitSeconds,
        stretch: w.philly.stretch,
        gpuModels: scenario.market.gpuModels,
        homeRegions: w.philly.homeRegions,
        dataGiB: w.philly.dataGiB,
        checkpoint: w.philly.checkpoint,
        deadlineSlackMinutes: w.philly.deadlineSlackMinutes,
        maxGpusPerNode: w.philly.maxGpusPerNode,
      }).filter((j) => j.submitAt < arrivalsEnd),
    );
  }
  if (w.alibaba) {
    jobs.push(
      ...alibabaJobs(read(w.alibaba.file), {
        start,
        windowStartSeconds: w.alibaba.windowStartSeconds,
        windowSeconds: scenario.days * 86_400,
        gpuModels: scenario.market.gpuModels,
        gpuMemoryGiB: w.alibaba.gpuMemoryGiB,
        team: w.alibaba.team,
      }).map((j) => (j.cancelAt !== null && j.cancelAt > end ? { ...j, cancelAt: end } : j)),
    );
  }
  return {
    scenario,
    start,
    arrivalsEnd,
    end,
    market,
    jobs: distinctArrivals(jobs),
    tables: loadCostTables(),
    traced: traced.map((t, i) => ({
      name: t.name,
      pool: `${t.cloud}/${t.region}/${t.zone}/${t.instanceType}/spot`,
      share: profiles[i]!.availableShare,
    })),
  };
}

#!/usr/bin/env node
// Derives the replay's bundled data (data/replay/) from the project's shared data set. Run once by a maintainer,
// never by the replay, the tests or the benchmark: the project reads only what this writes.
//
//   node bench/replay-derive.mjs <shared data dir> [<out dir, default data/replay>]
//
// Deterministic: the same inputs give byte-identical outputs (seeded sampling, fixed order). What it keeps and
// why is in data/replay/README.md.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';

const [src, outArg] = process.argv.slice(2);
if (!src) {
  console.error('usage: node bench/replay-derive.mjs <shared data dir> [<out dir>]');
  process.exit(2);
}
const out = outArg ?? 'data/replay';
const SPOT_TRACES = 'skypilot-org/spot-traces@b26631383e2b5f5b48a3d700b92ed133edaf452e';

const sha = (text) => createHash('sha256').update(text).digest('hex');
const write = (path, text) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  console.log(`${path}  ${text.length} bytes  sha256 ${sha(text).slice(0, 16)}…`);
};

// The same generator as src/sim/rng.ts (mulberry32).
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runs(values) {
  const r = [];
  for (const v of values) {
    const last = r.at(-1);
    if (last && last[0] === v) last[1]++;
    else r.push([v, 1]);
  }
  return r;
}

// ---- spot traces: lossless run-length copies ------------------------------------------------------------------

function bundleTrace(folder, file, kind, start) {
  const rel = `${kind}/1-node/${folder}/${file}`;
  const text = readFileSync(join(src, 'spot/cantbelate-traces', rel), 'utf8');
  const doc = JSON.parse(text);
  const zone = file.split('_')[0];
  const region = zone.slice(0, -1);
  const body = {
    format: 'gpusched-spot-trace/1',
    origin: `${SPOT_TRACES}:${rel}`,
    originSha256: sha(text),
    kind,
    cloud: 'aws',
    region,
    zone,
    instanceType: 'p3.2xlarge',
    nodes: 1,
    start,
    gapSeconds: doc.metadata.gap_seconds,
    ticks: doc.data.length,
    runs: runs(doc.data),
    ...(doc.prices ? { priceRuns: runs(doc.prices) } : {}),
  };
  const lines = JSON.stringify(body)
    .replace('"runs":', '\n"runs":')
    .replace('"priceRuns":', '\n"priceRuns":');
  write(join(out, 'traces', `aws-v100-${kind}-${start.slice(0, 10)}`, `${zone}.json`), `${lines}\n`);
}

for (const z of [
  'us-east-1a',
  'us-east-1c',
  'us-east-1d',
  'us-east-1f',
  'us-east-2a',
  'us-east-2b',
  'us-west-2a',
  'us-west-2b',
  'us-west-2c',
])
  bundleTrace('aws-02-15-2023', `${z}_v100_1.json`, 'availability', '2023-02-15T00:00:00Z');
for (const z of ['us-east-1c', 'us-east-1f', 'us-west-2b', 'us-west-2c'])
  bundleTrace('aws-04-22-2023', `${z}_v100_1.json`, 'preemption', '2023-04-22T00:00:00Z');

// ---- Philly-derived jobs: a seeded sample, in trace order -------------------------------------------------------

function samplePhilly(file, n, seed, outName) {
  const text = readFileSync(join(src, 'jobs/philly-chronus', file), 'utf8');
  const lines = text.trimEnd().split('\n');
  const header = lines[0];
  const body = lines.slice(1).filter((l) => l.split(',')[2] !== '0'); // num_gpu > 0
  const random = mulberry32(seed);
  const idx = body.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const keep = idx.slice(0, n).sort((a, b) => a - b);
  write(join(out, 'jobs', outName), `${[header, ...keep.map((i) => body[i])].join('\n')}\n`);
  return { file, sha256: sha(text), rows: body.length };
}
const slo = samplePhilly('trace_job_Philly_SLO.csv', 2000, 20230215, 'philly-slo.sample.csv');
const mix = samplePhilly('trace_job_Philly_MIX1.csv', 600, 20230422, 'philly-mix1.sample.csv');

// ---- Alibaba pods with a fraction of a GPU, created in the trace's last 30 days ----------------------------------

const podsText = readFileSync(join(src, 'jobs/alibaba-gpu-v2023/openb_pod_list_default.csv'), 'utf8');
const pods = parse(podsText, { columns: true, skip_empty_lines: true });
const WINDOW_START = 10_310_400; // day 119⅓: the trace ends at day 149.34
const WINDOW = 30 * 86_400;
const podLines = podsText.trimEnd().split('\n');
const keptPods = [podLines[0]];
pods.forEach((p, i) => {
  const milli = Number(p.gpu_milli);
  const created = Number(p.creation_time);
  if (Number(p.num_gpu) !== 1 || !(milli > 0 && milli < 1000)) return;
  if (p.scheduled_time === '' || p.deletion_time === '') return;
  if (created < WINDOW_START || created >= WINDOW_START + WINDOW) return;
  keptPods.push(podLines[i + 1]);
});
write(join(out, 'jobs', 'alibaba-fractional.window.csv'), `${keptPods.join('\n')}\n`);

// ---- GCP GPU price history (anycloud, per zone, GPUs of N1 VMs) ------------------------------------------------

const histText = readFileSync(join(src, 'prices/gcp-anycloud-gpu-price-changes.csv'), 'utf8');
const hist = parse(histText, { columns: true, skip_empty_lines: true });
const histOut = ['accelerator,count,zone,effective_from,on_demand,spot'];
for (const r of hist) {
  if (r.InstanceType !== '' || !['V100', 'T4', 'L4'].includes(r.AcceleratorName)) continue;
  histOut.push(
    [
      r.AcceleratorName,
      r.AcceleratorCount,
      r.AvailabilityZone,
      r.effective_from_commit_time_utc,
      r.Price,
      r.SpotPrice,
    ].join(','),
  );
}
write(join(out, 'prices', 'gcp-gpu-price-changes.csv'), `${histOut.join('\n')}\n`);

console.log(
  JSON.stringify(
    {
      philly: [slo, mix],
      alibaba: { sha256: sha(podsText), kept: keptPods.length - 1 },
      gcpHistory: { sha256: sha(histText), kept: histOut.length - 1 },
      source: basename(src),
    },
    null,
    2,
  ),
);

// Reduces the Alibaba GPU cluster trace (cluster-trace-gpu-v2023, pod list `openb_pod_list_default.csv`) to
// the small subset the exact-packing benchmark draws its trace instances from:
// data/traces/alibaba-gpu-jobs.sample.csv. Run by hand, once, where the full trace is; never by tests or
// benchmarks (they read only the subset):
//
//   node bench/pack-exact/reduce-trace.mjs <path to openb_pod_list_default.csv> [rows]
//
// What it keeps: pods that ask for at least one GPU (num_gpu >= 1) and were scheduled (scheduled_time set:
// a pod that never ran has no runtime), then a seeded uniform sample of `rows` of them (default 2,000) in
// trace order. The column gpu_spec is dropped: it is empty in every row of this file. Deterministic: the same
// input gives the same output.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KEEP = [
  'name',
  'cpu_milli',
  'memory_mib',
  'num_gpu',
  'gpu_milli',
  'qos',
  'pod_phase',
  'creation_time',
  'deletion_time',
  'scheduled_time',
];
const SEED = 20231;

function rng(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const [input, rowsArg] = process.argv.slice(2);
if (!input) {
  console.error('usage: node bench/pack-exact/reduce-trace.mjs <openb_pod_list_default.csv> [rows]');
  process.exit(2);
}
const want = Number(rowsArg ?? 2000);
// The trace has no quoted fields: a plain split is exact here.
const lines = readFileSync(input, 'utf8').trim().split('\n');
const header = lines[0].split(',');
const col = Object.fromEntries(header.map((h, i) => [h, i]));
for (const k of KEEP) if (col[k] === undefined) throw new Error(`column ${k} missing from ${input}`);
const pods = lines
  .slice(1)
  .map((l) => l.split(','))
  .filter((f) => Number(f[col.num_gpu]) >= 1 && f[col.scheduled_time] !== '' && f[col.deletion_time] !== '');

// Partial Fisher-Yates: the first `want` entries of a seeded shuffle, then back into trace order.
const r = rng(SEED);
const idx = pods.map((_, i) => i);
const n = Math.min(want, idx.length);
for (let i = 0; i < n; i++) {
  const j = i + Math.floor(r() * (idx.length - i));
  [idx[i], idx[j]] = [idx[j], idx[i]];
}
const chosen = idx.slice(0, n).sort((a, b) => a - b);
const out = [KEEP.join(','), ...chosen.map((i) => KEEP.map((k) => pods[i][col[k]]).join(','))];
const target = join(dirname(fileURLToPath(import.meta.url)), '../../data/traces/alibaba-gpu-jobs.sample.csv');
writeFileSync(target, `${out.join('\n')}\n`);
console.log(`${pods.length} scheduled GPU pods, ${n} written to ${target}`);

#!/usr/bin/env node
// A toy training program that follows gpusched's job contract (docs/job-contract.md), so that checkpoint-and-
// migrate can be tried, and tested, without a GPU: minibatch SGD on a small synthetic linear regression.
//
// Deterministic to the bit: the data and the minibatches come from a seeded PRNG (mulberry32) and the arithmetic
// is only + - * /, which IEEE 754 rounds the same way everywhere. A checkpoint holds everything the next step
// depends on (weights, bias, step, PRNG state), and JSON numbers round-trip exactly, so a run that is
// interrupted and resumed ends with the same bits as a run that never stopped.
//
// Contract:
//   GPUSCHED_CHECKPOINT_DIR      checkpoints go to <dir>/step-<n>/state.json, then <dir>/latest.json (atomically)
//   GPUSCHED_RESUME_FROM         a checkpoint directory to resume from (absolute path)
//   GPUSCHED_CHECKPOINT_SIGNAL   checkpoint at the next step boundary and go on (default SIGUSR1)
//   GPUSCHED_CHECKPOINT_EVERY_MINUTES  periodic checkpoints by time
//   SIGTERM / SIGINT             checkpoint at the next step boundary, then exit 128+signal
//   stdout                       GPUSCHED_METRIC {...} lines (hyperparameters at step 0, then step and loss)
// Settings (flag, else environment, else default): --steps / TOY_STEPS (300), --step-delay-ms /
// TOY_STEP_DELAY_MS (0), --checkpoint-every / TOY_CHECKPOINT_EVERY steps (0: off), --metric-every /
// TOY_METRIC_EVERY (10), --seed / TOY_SEED (42), --output / TOY_OUTPUT (default <checkpoint dir>/result.json).
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

// The problem: fixed, so a checkpoint from one run fits any run with the same seed.
const FEATURES = 4;
const SAMPLES = 256;
const BATCH = 16;
const LEARNING_RATE = 0.05;
const TRUE_WEIGHTS = [1.5, -2, 0.5, 3];
const TRUE_BIAS = 0.25;

// If whoever reads our output goes away (the agent died), keep training and checkpointing rather than crash on
// the next line: the node may still be around long enough to save the work.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});

const config = readConfig(process.argv.slice(2), process.env);
const data = makeData(config.seed);

// Signal handlers only take note; the work happens at the next step boundary, where the state is whole. They are
// installed first: a signal that comes before them would kill the process (the default action).
let checkpointRequested = false;
let stopSignal = null;
process.on(config.checkpointSignal, () => {
  // The step reached when asked: a checkpoint at or after it loses nothing done before the notice.
  log(`checkpoint requested (${config.checkpointSignal}) at step ${state.step}`);
  checkpointRequested = true;
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  if (signal === config.checkpointSignal) continue;
  process.on(signal, () => {
    log(`${signal} at step ${state.step}: checkpointing, then exiting`);
    stopSignal = signal;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Train

const state = config.resumeFrom ? loadCheckpoint(config.resumeFrom) : freshState(config.seed);
// Only now say we are up: the signal handlers above are in place, so a checkpoint asked from here on is kept.
if (config.resumeFrom) log(`resumed from ${config.resumeFrom} at step ${state.step}`);
else metric({ step: 0, learningRate: LEARNING_RATE, batchSize: BATCH, samples: SAMPLES, seed: config.seed });

let lastCheckpointAt = Date.now();
while (state.step < config.steps && !stopSignal) {
  trainStep(state);
  if (config.metricEvery > 0 && state.step % config.metricEvery === 0)
    metric({ step: state.step, loss: loss(state) });
  const everySteps = config.checkpointEvery > 0 && state.step % config.checkpointEvery === 0;
  const everyTime = config.everyMinutes > 0 && Date.now() - lastCheckpointAt >= config.everyMinutes * 60_000;
  if (everySteps || everyTime) checkpoint('periodic');
  // Always yield to the event loop between steps, or no signal handler could ever run.
  await new Promise((resolve) =>
    config.stepDelayMs > 0 ? setTimeout(resolve, config.stepDelayMs) : setImmediate(resolve),
  );
  if (checkpointRequested) {
    checkpointRequested = false;
    checkpoint('signal');
  }
}

if (stopSignal) {
  checkpoint(stopSignal);
  // No result: the run is not over. Exit as a process killed by that signal would.
  process.exitCode = 128 + constants.signals[stopSignal];
} else {
  const result = {
    steps: state.step,
    seed: config.seed,
    weights: state.weights,
    bias: state.bias,
    loss: loss(state),
  };
  // The exact bits as well, so a comparison needs no trust in number printing.
  result.bits = { weights: state.weights.map(bits), bias: bits(state.bias), loss: bits(result.loss) };
  if (config.output) {
    mkdirSync(dirname(config.output), { recursive: true });
    writeAtomic(config.output, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (config.metricEvery === 0 || state.step % config.metricEvery !== 0)
    metric({ step: state.step, loss: result.loss });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------

function trainStep(s) {
  const gradW = new Array(FEATURES).fill(0);
  let gradB = 0;
  for (let k = 0; k < BATCH; k++) {
    const [u, next] = mulberry32(s.rng);
    s.rng = next;
    const i = Math.floor(u * SAMPLES);
    const x = data.x[i];
    const err = predict(s, x) - data.y[i];
    for (let j = 0; j < FEATURES; j++) gradW[j] += err * x[j];
    gradB += err;
  }
  for (let j = 0; j < FEATURES; j++) s.weights[j] -= (LEARNING_RATE * gradW[j]) / BATCH;
  s.bias -= (LEARNING_RATE * gradB) / BATCH;
  s.step++;
}

function predict(s, x) {
  let sum = s.bias;
  for (let j = 0; j < FEATURES; j++) sum += s.weights[j] * x[j];
  return sum;
}

/** Mean squared error over the whole data set. */
function loss(s) {
  let sum = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const err = predict(s, data.x[i]) - data.y[i];
    sum += err * err;
  }
  return sum / SAMPLES;
}

function freshState(seed) {
  return { step: 0, weights: new Array(FEATURES).fill(0), bias: 0, rng: (seed ^ 0x9e3779b9) >>> 0 };
}

/** The data set: x uniform in [-1, 1), y = x·w + b + noise uniform in [-0.05, 0.05). */
function makeData(seed) {
  let rng = seed >>> 0;
  const next = () => {
    const [u, s] = mulberry32(rng);
    rng = s;
    return u;
  };
  const x = [];
  const y = [];
  for (let i = 0; i < SAMPLES; i++) {
    const row = [];
    for (let j = 0; j < FEATURES; j++) row.push(next() * 2 - 1);
    let target = TRUE_BIAS;
    for (let j = 0; j < FEATURES; j++) target += TRUE_WEIGHTS[j] * row[j];
    x.push(row);
    y.push(target + (next() - 0.5) * 0.1);
  }
  return { x, y };
}

/** mulberry32: one uniform number in [0, 1) and the next state (an unsigned 32-bit integer). */
function mulberry32(state) {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoints

function checkpoint(reason) {
  if (!config.checkpointDir) {
    log(`no GPUSCHED_CHECKPOINT_DIR: ${reason} checkpoint skipped`);
    return;
  }
  const rel = `step-${state.step}`;
  const dir = join(config.checkpointDir, rel);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'state.json');
  const saved = {
    seed: config.seed,
    features: FEATURES,
    batch: BATCH,
    learningRate: LEARNING_RATE,
    ...state,
  };
  writeAtomic(file, `${JSON.stringify(saved)}\n`);
  // The manifest last: once it names step-<n>, step-<n> is complete.
  const manifest = { step: state.step, path: rel, at: new Date().toISOString(), bytes: statSync(file).size };
  writeAtomic(join(config.checkpointDir, 'latest.json'), `${JSON.stringify(manifest)}\n`);
  lastCheckpointAt = Date.now();
  log(`checkpoint ${rel} written (${reason})`);
}

function loadCheckpoint(dir) {
  const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  const same =
    saved.seed === config.seed &&
    saved.features === FEATURES &&
    saved.batch === BATCH &&
    saved.learningRate === LEARNING_RATE;
  if (!same) fail(`${dir} was written with other settings (seed ${saved.seed}); refusing to resume from it`);
  return { step: saved.step, weights: saved.weights, bias: saved.bias, rng: saved.rng };
}

/** Write a temporary file, flush it to disk, rename it over the target, flush the directory. */
function writeAtomic(file, text) {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dirFd = openSync(dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

// ---------------------------------------------------------------------------------------------------------

function readConfig(argv, env) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) fail(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else flags[arg.slice(2)] = argv[++i];
  }
  const known = ['steps', 'step-delay-ms', 'checkpoint-every', 'metric-every', 'seed', 'output'];
  for (const name of Object.keys(flags)) if (!known.includes(name)) fail(`unknown flag --${name}`);
  const int = (flag, name, fallback) => {
    const raw = flags[flag] ?? env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) fail(`--${flag} / ${name} must be a whole number ≥ 0, got ${raw}`);
    return n;
  };
  const checkpointDir = env.GPUSCHED_CHECKPOINT_DIR || null;
  const signal = env.GPUSCHED_CHECKPOINT_SIGNAL || 'SIGUSR1';
  if (!/^SIG[A-Z0-9]+$/.test(signal) || !(signal in constants.signals)) fail(`unknown signal ${signal}`);
  const everyMinutes = Number(env.GPUSCHED_CHECKPOINT_EVERY_MINUTES ?? 0);
  if (!(everyMinutes >= 0)) fail(`GPUSCHED_CHECKPOINT_EVERY_MINUTES must be a number ≥ 0`);
  return {
    steps: int('steps', 'TOY_STEPS', 300),
    stepDelayMs: int('step-delay-ms', 'TOY_STEP_DELAY_MS', 0),
    checkpointEvery: int('checkpoint-every', 'TOY_CHECKPOINT_EVERY', 0),
    metricEvery: int('metric-every', 'TOY_METRIC_EVERY', 10),
    seed: int('seed', 'TOY_SEED', 42),
    output: flags.output ?? (env.TOY_OUTPUT || (checkpointDir ? join(checkpointDir, 'result.json') : null)),
    checkpointDir,
    resumeFrom: env.GPUSCHED_RESUME_FROM || null,
    checkpointSignal: signal,
    everyMinutes,
  };
}

function metric(values) {
  process.stdout.write(`GPUSCHED_METRIC ${JSON.stringify(values)}\n`);
}

function log(message) {
  process.stdout.write(`${message}\n`);
}

function bits(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

function fail(message) {
  process.stderr.write(`train.mjs: ${message}\n`);
  process.exit(2);
}

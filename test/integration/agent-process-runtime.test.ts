// The process runtime with real processes: the job contract's environment, output, signals and stops, and the
// example training program interrupted mid-run and resumed, ending bit for bit where an uninterrupted run ends.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLatestCheckpoint, waitForCheckpoint } from '../../src/agent/checkpoint.js';
import { parseOutputLine } from '../../src/agent/output.js';
import {
  type OutputLine,
  ProcessRuntime,
  type WorkloadAssignment,
  type WorkloadHandle,
} from '../../src/agent/runtime/index.js';

const TOY = resolve(import.meta.dirname, '../../examples/toy-train/train.mjs');
const NODE = process.execPath;
// A small, known environment: what the agent itself has must not reach the job.
const runtime = new ProcessRuntime({
  baseEnv: { PATH: process.env.PATH, GPUSCHED_TOKEN: 'node-secret', CUDA_VISIBLE_DEVICES: '0,1,2,3' },
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gpusched-agent-'));
}

function job(command: string[], over: Partial<WorkloadAssignment> = {}): WorkloadAssignment {
  return { jobId: 'job-test', command, gpus: { kind: 'none' }, checkpointDir: tempDir(), ...over };
}

/** Starts a job and keeps its lines. */
async function start(a: WorkloadAssignment): Promise<{ handle: WorkloadHandle; lines: OutputLine[] }> {
  const lines: OutputLine[] = [];
  const handle = await runtime.start(a, { onLine: (l) => lines.push(l) });
  return { handle, lines };
}

async function until(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Alive and not a zombie: a killed orphan stays in the process table until init reaps it. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the command's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

const printEnv = `const e = process.env; console.log(JSON.stringify({
  job: e.GPUSCHED_JOB_ID, dir: e.GPUSCHED_CHECKPOINT_DIR, resume: e.GPUSCHED_RESUME_FROM,
  signal: e.GPUSCHED_CHECKPOINT_SIGNAL, every: e.GPUSCHED_CHECKPOINT_EVERY_MINUTES,
  cuda: e.CUDA_VISIBLE_DEVICES, token: e.GPUSCHED_TOKEN, hf: e.HF_HOME }))`;

describe('the process runtime', () => {
  it('gives the job the contract’s environment, its spec’s env, and not the agent’s token or GPUs', async () => {
    const dir = tempDir();
    const { handle, lines } = await start(
      job([NODE, '-e', printEnv], {
        checkpointDir: dir,
        resumeFrom: join(dir, 'step-40'),
        checkpointEveryMinutes: 30,
        env: { HF_HOME: '/cache' },
        gpus: { kind: 'whole', indices: [2, 3] },
      }),
    );
    expect(await handle.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(lines[0]!.text)).toEqual({
      job: 'job-test',
      dir,
      resume: join(dir, 'step-40'),
      signal: 'SIGUSR1',
      every: '30',
      cuda: '2,3',
      hf: '/cache',
    });
  });

  it('runs the command without a shell: arguments arrive exactly as written', async () => {
    const tricky = '$HOME; echo injected `id` "quoted" *';
    const { handle, lines } = await start(job([NODE, '-e', 'console.log(process.argv[1])', tricky]));
    await handle.exited;
    expect(lines.map((l) => l.text)).toEqual([tricky]);
  });

  it('delivers stdout and stderr line by line, the last unterminated line included, before the exit', async () => {
    const script = `process.stdout.write('a\\nb'); process.stderr.write('oops\\n'); process.stdout.write('c')`;
    const { handle, lines } = await start(job([NODE, '-e', script]));
    await handle.exited;
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['a', 'bc']);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['oops']);
  });

  it('refuses to start a program that does not exist', async () => {
    await expect(runtime.start(job(['/nonexistent/gpusched-train']))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('stops a job with SIGTERM, which it may catch to exit cleanly', async () => {
    const script = `process.on('SIGTERM', () => { console.log('bye'); process.exit(143) }); console.log('up'); setInterval(() => {}, 1000)`;
    const { handle, lines } = await start(job([NODE, '-e', script]));
    await until('the job to start', () => lines.length > 0);
    expect(await handle.stop(5000)).toEqual({ code: 143, signal: null });
    expect(lines.map((l) => l.text)).toEqual(['up', 'bye']);
  });

  it('kills a job that ignores SIGTERM once the grace is over', async () => {
    const script = `process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000)`;
    const { handle, lines } = await start(job([NODE, '-e', script]));
    await until('the job to start', () => lines.length > 0);
    expect(await handle.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(lines.map((l) => l.text)).toContain('ignored');
  });

  it('kills what the job started along with it', async () => {
    // The job starts a long sleep of its own and tells us its pid.
    const script = `const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000)`;
    const { handle, lines } = await start(job([NODE, '-e', script]));
    await until('the grandchild', () => lines.length > 0);
    const grandchild = Number(lines[0]!.text);
    await handle.stop(0);
    await until('the grandchild to be gone', () => !running(grandchild));
  });

  it('reports that there was nothing to signal once the job has exited, and stopping it again is harmless', async () => {
    const { handle } = await start(job([NODE, '-e', '']));
    const exit = await handle.exited;
    expect(await handle.signal('SIGUSR1')).toBe(false);
    expect(await handle.stop(1000)).toEqual(exit);
  });
});

describe('the example training program under the process runtime', () => {
  const toy = (checkpointDir: string, over: Partial<WorkloadAssignment> = {}) =>
    job([NODE, TOY, '--steps', '300', '--step-delay-ms', '3'], {
      jobId: 'toy-train',
      checkpointDir,
      env: { TOY_OUTPUT: join(checkpointDir, 'result.json') },
      ...over,
    });
  const stepOf = (line: OutputLine) => {
    const item = parseOutputLine(line, 0);
    return item.kind === 'metric' ? (item.step ?? -1) : -1;
  };

  it('checkpoints on SIGUSR1 without losing a step, and resumed elsewhere ends bit-identical to an uninterrupted run', async () => {
    // The reference: one run, start to end.
    const whole = tempDir();
    const reference = await start(toy(whole));
    expect(await reference.handle.exited).toEqual({ code: 0, signal: null });
    const expected = readFileSync(join(whole, 'result.json'), 'utf8');
    // Hyperparameters at step 0, then a falling loss curve every 10 steps.
    const metrics = reference.lines.map((l) => parseOutputLine(l, 0)).filter((m) => m.kind === 'metric');
    expect(metrics[0]).toMatchObject({ step: 0, values: { learningRate: 0.05, batchSize: 16 } });
    const losses = metrics.slice(1).map((m) => m.values.loss as number);
    expect(losses).toHaveLength(30);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 10);

    // The interrupted run: the notice comes a third of the way in.
    const dir = tempDir();
    const first = await start(toy(dir, { env: { TOY_OUTPUT: join(dir, 'first-result.json') } }));
    await until('step 100', () => first.lines.some((l) => stepOf(l) >= 100));
    const before = await readLatestCheckpoint(dir);
    expect(await first.handle.signal('SIGUSR1')).toBe(true);
    const manifest = await waitForCheckpoint({ dir, after: before, deadline: Date.now() + 5000, pollMs: 10 });
    expect(manifest).not.toBeNull();
    // The node dies: no grace, no chance to write anything more.
    expect(await first.handle.stop(0)).toEqual({ code: null, signal: 'SIGKILL' });

    // Lost work: steps the job had done when the notice came, that the checkpoint does not hold.
    const asked = first.lines
      .map((l) => /^checkpoint requested \(SIGUSR1\) at step (\d+)$/.exec(l.text))
      .find(Boolean);
    const noticeStep = Number(asked![1]);
    expect(Math.max(0, noticeStep - manifest!.step)).toBe(0);
    expect(manifest!.path).toBe(`step-${manifest!.step}`);

    // The replacement node: same checkpoint directory (durable), resumed from the manifest's checkpoint.
    const resumedOutput = join(dir, 'resumed-result.json');
    const second = await start(
      toy(dir, { resumeFrom: manifest!.absolutePath, env: { TOY_OUTPUT: resumedOutput } }),
    );
    expect(await second.handle.exited).toEqual({ code: 0, signal: null });
    expect(second.lines[0]!.text).toBe(`resumed from ${manifest!.absolutePath} at step ${manifest!.step}`);
    expect(readFileSync(resumedOutput, 'utf8')).toBe(expected);
  });

  it('after a node lost without notice, resumes from the last periodic checkpoint, losing only the steps since', async () => {
    const dir = tempDir();
    const first = await start(toy(dir, { env: { TOY_CHECKPOINT_EVERY: '50' } }));
    await until('step 120', () => first.lines.some((l) => stepOf(l) >= 120));
    await first.handle.stop(0);
    const lostAt = Math.max(...first.lines.map(stepOf));
    const latest = await readLatestCheckpoint(dir);
    expect(latest!.step % 50).toBe(0);
    expect(lostAt - latest!.step).toBeLessThan(50);

    const second = await start(
      toy(dir, { resumeFrom: latest!.absolutePath, env: { TOY_OUTPUT: join(dir, 'r.json') } }),
    );
    expect(await second.handle.exited).toEqual({ code: 0, signal: null });
    const reference = tempDir();
    const whole = await start(toy(reference, { command: [NODE, TOY, '--steps', '300'] }));
    await whole.handle.exited;
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe(
      readFileSync(join(reference, 'result.json'), 'utf8'),
    );
  });
});

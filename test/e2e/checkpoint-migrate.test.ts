// Checkpoint-and-migrate, end to end with real processes: the daemon in local mode, a real `gpusched agent`
// per node with its own simulated metadata server, and the deterministic toy trainer. The job is interrupted
// once with each cloud's notice (AWS, GCP, Azure, in their own formats) and once by a node that dies without a
// word; it must finish with a result bit-identical to a run that was never interrupted, losing no step to a
// notice (its checkpoint fits in the notice window) and only the steps since its last periodic checkpoint to
// the silent loss.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, type DaemonProcess, startDaemonProcess, tempDataDir, until } from '../helpers/process.js';

const TRAINER = resolve(import.meta.dirname, '../../examples/toy-train/train.mjs');
const CATALOG = resolve(import.meta.dirname, '../fixtures/catalog/local-mode.json');
const TOY = {
  TOY_STEPS: '3000',
  TOY_STEP_DELAY_MS: '10',
  TOY_CHECKPOINT_EVERY: '100',
  TOY_METRIC_EVERY: '25',
};

const running: DaemonProcess[] = [];
afterEach(() => {
  for (const d of running.splice(0)) d.child.kill('SIGTERM');
});

const envFor = (d: DaemonProcess) => ({
  GPUSCHED_URL: d.url,
  GPUSCHED_DATA_DIR: d.dataDir,
  GPUSCHED_TOKEN: '',
});

async function gs(d: DaemonProcess, args: string[]) {
  const r = await cli([...args, '--json'], envFor(d));
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

/** The job's log lines through the API (the admin token is in the data directory). */
async function logs(d: DaemonProcess, id: string): Promise<string[]> {
  const token = readFileSync(join(d.dataDir, 'admin.token'), 'utf8').trim();
  const r = await fetch(`${d.url}/v1/jobs/${id}/logs?limit=5000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await r.json()) as { items: { text: string }[] }).items.map((i) => i.text);
}

/** Waits until the job runs on a node other than `previous`, and has trained a little there. */
async function runningElsewhere(d: DaemonProcess, id: string, previous: string | null) {
  const j = await until(
    `job ${id} to run on a new node`,
    async () => {
      const job = await gs(d, ['job', id]);
      const node = job.placement?.nodeIds?.[0];
      return job.state === 'running' && node && node !== previous ? job : null;
    },
    60_000,
  );
  const before = (await logs(d, id)).length;
  await until(
    'the job to train on its new node',
    async () => (await logs(d, id)).length >= before + 4,
    30_000,
  );
  return { node: j.placement.nodeIds[0] as string, cloud: j.placement.cloud as string };
}

describe('checkpoint-and-migrate across three clouds and a silent loss', () => {
  it('ends with the result of an uninterrupted run, losing no step to a notice', async () => {
    const dataDir = tempDataDir();
    const ckpt = mkdtempSync(join(tmpdir(), 'gpusched-ckpt-'));
    const d = await startDaemonProcess(
      dataDir,
      {},
      {
        scheduler: '{ tickSeconds: 1, idleNodeSeconds: 2, interruptionBlockSeconds: 3600 }',
        consolidation: '{ enabled: false }',
        agent: '{ heartbeatSeconds: 1, nodeLostSeconds: 4 }',
        policies: `{ dir: ${JSON.stringify(mkdtempSync(join(tmpdir(), 'gpusched-policies-')))} }`,
        sim: `{ mode: local, timeScale: 1, bootSeconds: 0, catalog: ${JSON.stringify(CATALOG)} }`,
      },
    );
    running.push(d);
    const spec = {
      name: 'toy',
      team: 'research',
      command: ['node', TRAINER],
      env: TOY,
      resources: { gpu: { models: ['T4'], count: 1 } },
      runtime: { estimateHours: 1 },
      market: 'spot',
      checkpoint: { dir: ckpt, graceSeconds: 10 },
    };
    const file = join(dataDir, 'toy.json');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(spec));
    const id = (await gs(d, ['submit', file])).id as string;

    const places: string[] = [];
    let at = await runningElsewhere(d, id, null);
    for (const cloud of ['aws', 'gcp', 'azure']) {
      places.push(at.cloud);
      expect(at.cloud).toBe(cloud);
      await gs(d, ['sim', 'interrupt', at.node]);
      at = await runningElsewhere(d, id, at.node);
    }
    places.push(at.cloud);
    // A periodic checkpoint on this node, then the node dies without notice.
    const seen = (await logs(d, id)).filter((l) => /written \(periodic\)/.test(l)).length;
    await until(
      'a periodic checkpoint',
      async () => (await logs(d, id)).filter((l) => /written \(periodic\)/.test(l)).length > seen,
      30_000,
    );
    await gs(d, ['sim', 'lose', at.node]);
    at = await runningElsewhere(d, id, at.node);
    places.push(at.cloud);
    expect(places).toEqual(['aws', 'gcp', 'azure', 'aws', 'aws']);

    const done = await until(
      'the job to succeed',
      async () => {
        const j = await gs(d, ['job', id]);
        return j.state === 'succeeded' || j.state === 'failed' ? j : null;
      },
      90_000,
    );
    expect(done.state).toBe('succeeded');

    // Bit for bit what an uninterrupted run computes.
    const solo = mkdtempSync(join(tmpdir(), 'gpusched-solo-'));
    await promisify(execFile)(process.execPath, [TRAINER], {
      env: { ...process.env, ...TOY, TOY_STEP_DELAY_MS: '0', TOY_OUTPUT: join(solo, 'result.json') },
    });
    expect(readFileSync(join(ckpt, 'result.json'), 'utf8')).toBe(
      readFileSync(join(solo, 'result.json'), 'utf8'),
    );

    // Each notice: the job resumed from a checkpoint taken at (or after) the step where the signal came, so
    // nothing done before the notice was lost (a periodic checkpoint right after the signal's may be the one).
    const lines = await logs(d, id);
    const asked = lines
      .flatMap((l) => /checkpoint requested \(SIGUSR1\) at step (\d+)/.exec(l)?.[1] ?? [])
      .map(Number);
    const resumed = lines.flatMap((l) => /resumed from .* at step (\d+)/.exec(l)?.[1] ?? []).map(Number);
    expect(asked).toHaveLength(3);
    expect(resumed).toHaveLength(4);
    for (const [i, step] of asked.entries()) expect(resumed[i]!).toBeGreaterThanOrEqual(step);
    // No run writes a checkpoint once its job has moved on.
    expect(lines.filter((l) => /written \(SIGTERM\)/.test(l))).toEqual([]);
    // The silent loss: resumed from the last periodic checkpoint, its lost work said in the job's events.
    const lostEvent = done.events.find((e: { reason: string }) => /lost: no heartbeat/.test(e.reason));
    expect(lostEvent.reason).toMatch(/resumes from step \d+, losing [0-9.]+ min of work/);
    expect(resumed[3]! % 100).toBe(0); // a periodic checkpoint
  }, 240_000);
});

// The docker runtime against a stand-in `docker` first on PATH (test/helpers/fake-docker.mjs: there is no Docker
// engine here). It records every call, so the tests can hold the exact argv; a real process plays the container.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DockerRuntime,
  type DockerRuntimeOptions,
  type OutputLine,
  type WorkloadAssignment,
} from '../../src/agent/runtime/index.js';

const FAKE = resolve(import.meta.dirname, '../helpers/fake-docker.mjs');

/** A directory holding a `docker` that runs the stand-in, and the log of its calls. */
function fakeDocker(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gpusched-fake-docker-'));
  const bin = join(dir, 'docker');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" "$@"\n`);
  chmodSync(bin, 0o755);
  const log = join(dir, 'calls.jsonl');
  const baseEnv = { PATH: `${dir}:${process.env.PATH}`, FAKE_DOCKER_LOG: log, ...env };
  return {
    bin,
    baseEnv,
    calls: (): string[][] =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { argv: string[] }).argv)
        : [],
  };
}

const assignment: WorkloadAssignment = {
  jobId: 'job-7c1d',
  image: 'ghcr.io/acme/train:1.4',
  command: ['python', 'train.py'],
  env: { HF_HOME: '/cache' },
  gpus: { kind: 'whole', indices: [0, 1] },
  checkpointDir: '/ckpt/llama',
  resumeFrom: '/ckpt/llama/step-1200',
  checkpointSignal: 'SIGUSR1',
};

const RUN_ARGV = [
  'run',
  '--rm',
  '--init',
  '--name',
  'gpusched-job-7c1d',
  '--label',
  'gpusched.job-id=job-7c1d',
  '--gpus',
  '"device=0,1"',
  '-v',
  '/ckpt/llama:/ckpt/llama',
  '-e',
  'HF_HOME=/cache',
  '-e',
  'GPUSCHED_JOB_ID=job-7c1d',
  '-e',
  'GPUSCHED_CHECKPOINT_DIR=/ckpt/llama',
  '-e',
  'GPUSCHED_RESUME_FROM=/ckpt/llama/step-1200',
  '-e',
  'GPUSCHED_CHECKPOINT_SIGNAL=SIGUSR1',
  '-e',
  'CUDA_VISIBLE_DEVICES=0,1',
  'ghcr.io/acme/train:1.4',
  'python',
  'train.py',
];

async function startWith(options: DockerRuntimeOptions, a = assignment) {
  const lines: OutputLine[] = [];
  const handle = await new DockerRuntime(options).start(a, { onLine: (l) => lines.push(l) });
  return { handle, lines, texts: () => lines.map((l) => l.text) };
}

async function until(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the docker runtime', () => {
  it('starts `docker run` found on PATH, with the GPUs, the checkpoint volume and the environment, and captures its output', async () => {
    const docker = fakeDocker();
    const { handle, texts } = await startWith({ baseEnv: docker.baseEnv });
    // The stand-in prints one line per -e after its first line; the last is the GPU selection.
    await until('the container’s output', () => texts().includes('env CUDA_VISIBLE_DEVICES=0,1'));
    expect(docker.calls()).toEqual([RUN_ARGV]);
    expect(texts()[0]).toBe('container gpusched-job-7c1d started');
    expect(texts()).toContain('env GPUSCHED_RESUME_FROM=/ckpt/llama/step-1200');
    await handle.stop(0);
  });

  it('delivers the checkpoint signal with `docker kill --signal`', async () => {
    const docker = fakeDocker();
    const { handle, texts } = await startWith({ baseEnv: docker.baseEnv });
    await until('the container to start', () => texts().some((t) => t.startsWith('container ')));
    expect(await handle.signal('SIGUSR1')).toBe(true);
    await until('the signal to arrive', () => texts().includes('received SIGUSR1'));
    expect(docker.calls()[1]).toEqual(['kill', '--signal', 'SIGUSR1', 'gpusched-job-7c1d']);
    await handle.stop(0);
  });

  it('stops with `docker stop -t <grace in whole seconds>` and reports the container’s exit', async () => {
    const docker = fakeDocker();
    const { handle, texts } = await startWith({ baseEnv: docker.baseEnv });
    await until('the container to start', () => texts().some((t) => t.startsWith('container ')));
    // 1.5 s of grace: Docker counts whole seconds, so 2, never less than asked.
    expect(await handle.stop(1500)).toEqual({ code: 143, signal: null });
    expect(docker.calls()[1]).toEqual(['stop', '-t', '2', 'gpusched-job-7c1d']);
    expect(texts()).toContain('received SIGTERM');
  });

  it('kills at once with `docker kill` when there is no grace', async () => {
    const docker = fakeDocker();
    const { handle, texts } = await startWith({ baseEnv: docker.baseEnv });
    await until('the container to start', () => texts().some((t) => t.startsWith('container ')));
    const exit = await handle.stop(0);
    expect(docker.calls()[1]).toEqual(['kill', 'gpusched-job-7c1d']);
    expect(exit.code === 137 || exit.signal === 'SIGKILL').toBe(true);
  });

  it('reports a signal it could not deliver: the container is gone', async () => {
    const docker = fakeDocker({ FAKE_DOCKER_EXIT: '0' });
    const { handle } = await startWith({ baseEnv: docker.baseEnv });
    expect(await handle.exited).toEqual({ code: 0, signal: null });
    expect(await handle.signal('SIGUSR1')).toBe(false);
  });

  it('passes the container’s exit code on', async () => {
    const docker = fakeDocker({ FAKE_DOCKER_EXIT: '3' });
    const { handle } = await startWith({ baseEnv: docker.baseEnv });
    expect(await handle.exited).toEqual({ code: 3, signal: null });
  });

  it('uses a configured docker binary instead of PATH, and the node’s extra run arguments', async () => {
    const docker = fakeDocker();
    const { handle } = await startWith({
      docker: docker.bin,
      baseEnv: { PATH: '/nonexistent', FAKE_DOCKER_LOG: docker.baseEnv.FAKE_DOCKER_LOG },
      extraRunArgs: ['--shm-size=16g'],
    });
    await until('the call', () => docker.calls().length > 0);
    const argv = docker.calls()[0]!;
    expect(argv.slice(-4)).toEqual(['--shm-size=16g', 'ghcr.io/acme/train:1.4', 'python', 'train.py']);
    await handle.stop(0);
  });

  it('cannot start without a docker client', async () => {
    const runtime = new DockerRuntime({ docker: '/nonexistent/docker' });
    await expect(runtime.start(assignment)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

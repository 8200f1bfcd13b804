// The docker runtime: `docker run` in the foreground (attached, no TTY), so the client's stdout and stderr are the
// container's and its exit code is the container's. The client is found by `docker` on PATH, or the configured
// binary; tests put a stand-in `docker` first on PATH (test/helpers/fake-docker.mjs).
//
//   docker run --rm --init --name gpusched-<job> --label gpusched.job-id=<job>
//     [--gpus '"device=0,1"'] [--ipc=host -v <mps pipe dir>:<same>]
//     -v <checkpoint dir>:<same> [-v <resume dir>:<same>:ro] -e NAME=VALUE ... [--workdir DIR]
//     [extra run args] <image> [command ...]
//
// - `--gpus "device=0,1"`: the quotes are part of the value, as the shell form `--gpus '"device=0,1"'` passes it;
//   Docker reads `--gpus` as CSV, where an unquoted `device=0,1` would be two fields. MIG devices go by UUID.
// - `--init`: a tiny init as PID 1 forwards signals to the job. Without it the job is PID 1, which the kernel
//   shields from every signal it installed no handler for, so a plain SIGTERM would do nothing.
// - The checkpoint directory is mounted at the same path inside, so `GPUSCHED_CHECKPOINT_DIR` and
//   `GPUSCHED_RESUME_FROM` mean the same thing on both sides; a resume directory outside it is mounted read-only.
// - `-e NAME=VALUE` puts values on the client's command line, visible in the node's process list while the job
//   runs. Secrets belong in a secret store the job reads, not in the spec's env.
// - The exit is the client's: the container's code, 128+n when the container was killed by signal n, 125 when
//   Docker itself failed (no such image, ...). `signal` is set only when the client process itself was killed.
import { execFile } from 'node:child_process';
import { isAbsolute, relative } from 'node:path';
import { sendSignal, settlesWithin, spawnChild } from './child.js';
import { checkAssignment, inheritedEnv, isSignalName, workloadEnv } from './env.js';
import type {
  GpuSelection,
  Runtime,
  StartOptions,
  WorkloadAssignment,
  WorkloadExit,
  WorkloadHandle,
} from './types.js';

export interface DockerRuntimeOptions {
  /** The docker client: a name looked up on the PATH of `baseEnv`, or a path (default `docker`). */
  readonly docker?: string;
  /** The client's environment (DOCKER_HOST, DOCKER_CONFIG, PATH; default `process.env`); jobs never see it. */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** Appended to every `docker run` before the image (`--shm-size=16g`, `--network=host`, ...). */
  readonly extraRunArgs?: readonly string[];
  /** Time limit for `docker kill` / `docker stop` themselves, on top of the stop's grace (default 30 s). */
  readonly commandTimeoutMs?: number;
  /** After the client exits, how long to wait for its output pipes to close (default 2 s). */
  readonly closeWaitMs?: number;
}

export const DEFAULT_MPS_PIPE_DIRECTORY = '/tmp/nvidia-mps';

export function containerName(jobId: string): string {
  return `gpusched-${jobId}`;
}

/** The `--gpus` value, or null for a job without GPUs. */
export function dockerGpusArg(gpus: GpuSelection): string | null {
  switch (gpus.kind) {
    case 'none':
      return null;
    case 'whole':
      return `"device=${gpus.indices.join(',')}"`;
    case 'mig':
      return `"device=${gpus.uuids.join(',')}"`;
    case 'mps':
      return `"device=${gpus.device}"`;
  }
}

/** The full argv after the binary. Pure; the assignment is assumed checked (`checkAssignment`). */
export function dockerRunArgs(a: WorkloadAssignment, extraRunArgs: readonly string[] = []): string[] {
  const args = [
    'run',
    '--rm',
    '--init',
    '--name',
    containerName(a.jobId),
    '--label',
    `gpusched.job-id=${a.jobId}`,
  ];
  const gpus = dockerGpusArg(a.gpus);
  if (gpus !== null) args.push('--gpus', gpus);
  if (a.gpus.kind === 'mps') {
    // MPS clients reach their server through the pipe directory and shared memory.
    const pipe = a.gpus.pipeDirectory ?? DEFAULT_MPS_PIPE_DIRECTORY;
    args.push('--ipc=host', '-v', `${pipe}:${pipe}`);
  }
  args.push('-v', `${a.checkpointDir}:${a.checkpointDir}`);
  if (a.resumeFrom && !isInside(a.checkpointDir, a.resumeFrom))
    args.push('-v', `${a.resumeFrom}:${a.resumeFrom}:ro`);
  for (const [name, value] of Object.entries(workloadEnv(a, true))) args.push('-e', `${name}=${value}`);
  if (a.workDir) args.push('--workdir', a.workDir);
  args.push(...extraRunArgs, a.image!, ...(a.command ?? []));
  return args;
}

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private readonly docker: string;
  private readonly clientEnv: Record<string, string>;

  constructor(private readonly options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? 'docker';
    this.clientEnv = inheritedEnv(options.baseEnv ?? process.env);
  }

  async start(a: WorkloadAssignment, opts: StartOptions = {}): Promise<WorkloadHandle> {
    checkAssignment(a, 'docker');
    const name = containerName(a.jobId);
    const spawned = await spawnChild(this.docker, dockerRunArgs(a, this.options.extraRunArgs), {
      env: this.clientEnv,
      detached: false,
      onLine: opts.onLine,
      closeWaitMs: this.options.closeWaitMs,
    });
    const timeoutMs = this.options.commandTimeoutMs ?? 30_000;
    const docker = (args: string[], extraMs = 0) => this.run(args, timeoutMs + extraMs);
    const clientPid = spawned.child.pid!;
    return {
      jobId: a.jobId,
      pid: clientPid,
      exited: spawned.exited,
      async signal(signal: NodeJS.Signals): Promise<boolean> {
        if (!isSignalName(signal)) throw new Error(`unknown signal ${signal}`);
        if (spawned.exit() !== null) return false;
        // Fails (false) when the container is not there: not created yet (image still pulling) or already gone.
        return (await docker(['kill', '--signal', signal, name])) === 0;
      },
      async stop(graceMs: number): Promise<WorkloadExit> {
        if (spawned.exit() !== null) return spawned.exited;
        if (graceMs > 0) {
          const seconds = Math.ceil(graceMs / 1000);
          // `docker stop` sends SIGTERM and, after its own timeout, SIGKILL; it returns once the container is gone.
          await docker(['stop', '-t', String(seconds), name], seconds * 1000);
        } else {
          await docker(['kill', name]);
        }
        // The container is gone, or Docker did not answer: the client must not outlive the stop either way.
        if (!(await settlesWithin(spawned.exited, 5_000))) sendSignal(clientPid, 'SIGKILL');
        return spawned.exited;
      },
    };
  }

  /** Runs a docker client command; resolves with its exit code (-1 when it could not run or timed out). */
  private run(args: string[], timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      execFile(this.docker, args, { env: this.clientEnv, timeout: timeoutMs }, (err) => {
        if (!err) return resolve(0);
        const code = (err as { code?: unknown }).code;
        resolve(typeof code === 'number' ? code : -1);
      });
    });
  }
}

/** True when `path` is `dir` or lies under it (and so is already mounted with it). */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

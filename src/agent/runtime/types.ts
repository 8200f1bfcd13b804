// What the node agent runs a workload with. Two runtimes implement `Runtime`: `process` (the command, spawned
// directly: local mode and tests) and `docker` (`docker run` with the GPUs, the environment and the checkpoint
// directory). Both give the same handle, so the agent's checkpoint-and-migrate logic does not care which ran the job.
//
// The job's side of this (environment variables, files, signals) is docs/job-contract.md.

/**
 * Which GPUs the workload may use, as the agent was told by the daemon (a `SlotAssignment` after the agent has
 * created any MIG instance it names, so MIG devices arrive here by UUID).
 *
 * - `none`: no GPU; `CUDA_VISIBLE_DEVICES` is set empty, which CUDA reads as "no device" (local mode, tests).
 * - `whole`: whole GPUs by host index → `CUDA_VISIBLE_DEVICES=0,1`.
 * - `mig`: MIG devices by UUID → `CUDA_VISIBLE_DEVICES=MIG-…` (UUIDs are the same inside a container).
 * - `mps`: a share of one GPU under its MPS daemon → `CUDA_VISIBLE_DEVICES=<device>`,
 *   `CUDA_MPS_ACTIVE_THREAD_PERCENTAGE`, and, with a memory limit, `CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=<n>M`
 *   (ordinal 0: the client sees exactly one device). NVIDIA's MPS guide recommends naming the device by UUID,
 *   because an MPS server started under its own CUDA_VISIBLE_DEVICES renumbers devices.
 */
export type GpuSelection =
  | { readonly kind: 'none' }
  | { readonly kind: 'whole'; readonly indices: readonly number[] }
  | { readonly kind: 'mig'; readonly uuids: readonly string[] }
  | {
      readonly kind: 'mps';
      /** The GPU's UUID (`GPU-…`, preferred) or host index. */
      readonly device: string;
      /** 1..100: `fraction × 100` of the assignment, rounded. */
      readonly activeThreadPercentage: number;
      readonly pinnedMemoryMiB?: number;
      /** The MPS daemon's pipe directory when it is not the default `/tmp/nvidia-mps`. */
      readonly pipeDirectory?: string;
    };

/** One workload to start on this node. */
export interface WorkloadAssignment {
  /** The job id; the docker runtime names the container `gpusched-<jobId>`. */
  readonly jobId: string;
  /** The container image (docker runtime; the process runtime refuses an assignment with only an image). */
  readonly image?: string;
  /**
   * argv, never a shell string: `[python, train.py, --epochs, "3"]`. The process runtime runs `command[0]` with
   * the rest as arguments and no shell; a job that wants a shell says so: `[sh, -c, "..."]`. The docker runtime
   * passes it after the image (overriding the image's CMD).
   */
  readonly command?: readonly string[];
  /** The spec's `env`. gpusched's own variables (below) win over a key of the same name. */
  readonly env?: Readonly<Record<string, string>>;
  readonly gpus: GpuSelection;
  /**
   * Absolute path of `$GPUSCHED_CHECKPOINT_DIR` on this node (the docker runtime mounts it at the same path). The
   * runtimes do not create it: the agent prepares it (a bucket mount, a local folder) before the start.
   */
  readonly checkpointDir: string;
  /** Absolute path of the checkpoint to resume from (`$GPUSCHED_RESUME_FROM`); absent on a first start. */
  readonly resumeFrom?: string | null;
  /**
   * The spec's `checkpoint.signal`, passed on as `$GPUSCHED_CHECKPOINT_SIGNAL` (default SIGUSR1). A URL is passed on
   * too (the job learns where it is asked); requesting it is the agent's business, `signal()` only sends signals.
   */
  readonly checkpointSignal?: string;
  /** The spec's `checkpoint.everyMinutes`, passed on as `$GPUSCHED_CHECKPOINT_EVERY_MINUTES`. */
  readonly checkpointEveryMinutes?: number;
  /** Working directory (process runtime: on this node; docker runtime: inside the container). */
  readonly workDir?: string;
}

/** One line the workload wrote, without its line ending. */
export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** How the workload ended: an exit code, or the signal that ended it (process runtime only; see docker.ts). */
export interface WorkloadExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /**
   * Called for every output line, in order per stream, from the moment the workload starts; a partial last line
   * is delivered when the stream ends. The runtime always reads the pipes, so a job never blocks on its output;
   * whoever listens bounds what it keeps (output.ts's OutputBuffer drops the oldest).
   */
  readonly onLine?: (line: OutputLine) => void;
}

export interface WorkloadHandle {
  readonly jobId: string;
  /** The job's process (process runtime) or the `docker run` client's (docker runtime). */
  readonly pid: number | undefined;
  /**
   * Delivers a signal to the job's main process (the container's init under docker, which forwards it).
   * Resolves false when there was nothing to deliver it to (the workload has exited, or its container is gone).
   */
  signal(name: NodeJS.Signals): Promise<boolean>;
  /**
   * SIGTERM, then SIGKILL once `graceMs` has passed (`graceMs` 0: SIGKILL at once, as when a node dies).
   * Resolves with the exit; stopping a workload that has already exited just returns its exit.
   */
  stop(graceMs: number): Promise<WorkloadExit>;
  /** Resolves once the workload has exited and its output has been delivered. Never rejects. */
  readonly exited: Promise<WorkloadExit>;
}

export interface Runtime {
  readonly kind: 'process' | 'docker';
  /** Starts the workload; rejects (AssignmentError, or the spawn error) when it could not be started. */
  start(assignment: WorkloadAssignment, options?: StartOptions): Promise<WorkloadHandle>;
}

/** An assignment this runtime cannot run, with the field at fault. */
export class AssignmentError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AssignmentError';
  }
}

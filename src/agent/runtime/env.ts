// The environment a workload starts with (the job contract's variables and the GPU selection), and the checks an
// assignment must pass before either runtime starts it. Pure: no I/O.
import { constants } from 'node:os';
import { isAbsolute } from 'node:path';
import { AssignmentError, type GpuSelection, type WorkloadAssignment } from './types.js';

export const DEFAULT_CHECKPOINT_SIGNAL = 'SIGUSR1';

/** Container names are `gpusched-<jobId>`, so a job id must also be a valid part of a Docker name. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** MIG UUIDs: `MIG-<uuid>` (R470+) or `MIG-GPU-<uuid>/<gi>/<ci>` (R450); never a comma or a quote (`--gpus`). */
const MIG_UUID = /^MIG-[A-Za-z0-9/-]+$/;
const DEVICE = /^[A-Za-z0-9-]+$/;

/**
 * Names the job cannot set through its spec: the `GPUSCHED_` namespace is gpusched's (a spec must not fake
 * `GPUSCHED_RESUME_FROM`), and the GPU variables would undo the node's GPU assignment.
 */
export function isReservedEnvName(name: string): boolean {
  return (
    name.startsWith('GPUSCHED_') ||
    name === 'CUDA_VISIBLE_DEVICES' ||
    name === 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE' ||
    name === 'CUDA_MPS_PINNED_DEVICE_MEM_LIMIT' ||
    name === 'CUDA_MPS_PIPE_DIRECTORY'
  );
}

export function isSignalName(name: string): name is NodeJS.Signals {
  return /^SIG[A-Z0-9]+$/.test(name) && Object.hasOwn(constants.signals, name);
}

/**
 * The GPU variables. `inContainer`: Docker's `--gpus` already hides every other GPU, and inside the container the
 * selected ones are numbered from 0, so whole GPUs and an MPS share are named by those numbers; MIG UUIDs are the
 * same on both sides.
 */
export function gpuEnv(gpus: GpuSelection, inContainer: boolean): Record<string, string> {
  switch (gpus.kind) {
    case 'none':
      return { CUDA_VISIBLE_DEVICES: '' };
    case 'whole':
      return {
        CUDA_VISIBLE_DEVICES: (inContainer ? gpus.indices.map((_, i) => i) : gpus.indices).join(','),
      };
    case 'mig':
      return { CUDA_VISIBLE_DEVICES: gpus.uuids.join(',') };
    case 'mps': {
      const env: Record<string, string> = {
        CUDA_VISIBLE_DEVICES: inContainer ? '0' : gpus.device,
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: String(gpus.activeThreadPercentage),
      };
      if (gpus.pinnedMemoryMiB !== undefined)
        env.CUDA_MPS_PINNED_DEVICE_MEM_LIMIT = `0=${gpus.pinnedMemoryMiB}M`;
      if (gpus.pipeDirectory !== undefined) env.CUDA_MPS_PIPE_DIRECTORY = gpus.pipeDirectory;
      return env;
    }
  }
}

/** The job contract's variables, in a fixed order (the docker runtime's argv follows it). */
export function contractEnv(a: WorkloadAssignment, inContainer: boolean): Record<string, string> {
  const env: Record<string, string> = {
    GPUSCHED_JOB_ID: a.jobId,
    GPUSCHED_CHECKPOINT_DIR: a.checkpointDir,
  };
  if (a.resumeFrom) env.GPUSCHED_RESUME_FROM = a.resumeFrom;
  env.GPUSCHED_CHECKPOINT_SIGNAL = a.checkpointSignal ?? DEFAULT_CHECKPOINT_SIGNAL;
  if (a.checkpointEveryMinutes !== undefined)
    env.GPUSCHED_CHECKPOINT_EVERY_MINUTES = String(a.checkpointEveryMinutes);
  return { ...env, ...gpuEnv(a.gpus, inContainer) };
}

/** What the job sees: its spec's env without the reserved names, then the contract's variables. */
export function workloadEnv(a: WorkloadAssignment, inContainer: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(a.env ?? {})) if (!isReservedEnvName(name)) env[name] = value;
  return { ...env, ...contractEnv(a, inContainer) };
}

/** The agent's own environment, minus what belongs to the agent (its token, its GPU view). */
export function inheritedEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base))
    if (value !== undefined && !isReservedEnvName(name)) env[name] = value;
  return env;
}

/** Throws AssignmentError, naming the field, for an assignment that `runtime` cannot start. */
export function checkAssignment(a: WorkloadAssignment, runtime: 'process' | 'docker'): void {
  if (!JOB_ID.test(a.jobId))
    throw new AssignmentError(
      'jobId',
      `must be 1-128 letters, digits, . _ - (got ${JSON.stringify(a.jobId)})`,
    );
  if (!isAbsolute(a.checkpointDir)) throw new AssignmentError('checkpointDir', 'must be an absolute path');
  if (a.resumeFrom && !isAbsolute(a.resumeFrom))
    throw new AssignmentError('resumeFrom', 'must be an absolute path');
  if (a.command !== undefined) {
    if (a.command.length === 0 || a.command[0] === '')
      throw new AssignmentError('command', 'must name a program to run');
    a.command.forEach((arg, i) => {
      if (arg.includes('\0')) throw new AssignmentError(`command.${i}`, 'must not contain a NUL character');
    });
  }
  if (runtime === 'process' && a.command === undefined)
    throw new AssignmentError('command', 'the process runtime runs a command; this job only names an image');
  if (runtime === 'docker' && !a.image)
    throw new AssignmentError('image', 'the docker runtime needs an image');
  for (const [name, value] of Object.entries(a.env ?? {})) {
    if (!ENV_NAME.test(name)) throw new AssignmentError(`env.${name}`, 'is not a valid variable name');
    if (value.includes('\0')) throw new AssignmentError(`env.${name}`, 'must not contain a NUL character');
  }
  const signal = a.checkpointSignal;
  if (signal !== undefined && !isSignalName(signal) && !/^https?:\/\/\S+$/.test(signal))
    throw new AssignmentError(
      'checkpointSignal',
      `"${signal}" is neither a signal this node knows nor a URL`,
    );
  const every = a.checkpointEveryMinutes;
  if (every !== undefined && !(Number.isFinite(every) && every > 0))
    throw new AssignmentError('checkpointEveryMinutes', 'must be a positive number');
  checkGpus(a.gpus);
}

function checkGpus(gpus: GpuSelection): void {
  switch (gpus.kind) {
    case 'none':
      return;
    case 'whole':
      if (gpus.indices.length === 0) throw new AssignmentError('gpus.indices', 'must not be empty');
      if (!gpus.indices.every((i) => Number.isInteger(i) && i >= 0))
        throw new AssignmentError('gpus.indices', 'must be GPU indices (integers from 0)');
      if (new Set(gpus.indices).size !== gpus.indices.length)
        throw new AssignmentError('gpus.indices', 'lists a GPU twice');
      return;
    case 'mig':
      if (gpus.uuids.length === 0) throw new AssignmentError('gpus.uuids', 'must not be empty');
      gpus.uuids.forEach((u, i) => {
        if (!MIG_UUID.test(u))
          throw new AssignmentError(`gpus.uuids.${i}`, `"${u}" is not a MIG device UUID`);
      });
      return;
    case 'mps':
      if (!DEVICE.test(gpus.device))
        throw new AssignmentError('gpus.device', 'must be one GPU UUID or index');
      if (!(Number.isInteger(gpus.activeThreadPercentage) && gpus.activeThreadPercentage >= 1))
        throw new AssignmentError('gpus.activeThreadPercentage', 'must be an integer from 1 to 100');
      if (gpus.activeThreadPercentage > 100)
        throw new AssignmentError('gpus.activeThreadPercentage', 'must be an integer from 1 to 100');
      if (
        gpus.pinnedMemoryMiB !== undefined &&
        !(Number.isInteger(gpus.pinnedMemoryMiB) && gpus.pinnedMemoryMiB > 0)
      )
        throw new AssignmentError('gpus.pinnedMemoryMiB', 'must be a positive whole number of MiB');
      if (gpus.pipeDirectory !== undefined && !isAbsolute(gpus.pipeDirectory))
        throw new AssignmentError('gpus.pipeDirectory', 'must be an absolute path');
      return;
  }
}

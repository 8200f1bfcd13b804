// The runtimes the node agent runs workloads with; see types.ts for the interface and docs/job-contract.md for
// what a job sees.
import { DockerRuntime, type DockerRuntimeOptions } from './docker.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process.js';
import type { Runtime } from './types.js';

export {
  containerName,
  DockerRuntime,
  type DockerRuntimeOptions,
  dockerGpusArg,
  dockerRunArgs,
} from './docker.js';
export {
  checkAssignment,
  contractEnv,
  DEFAULT_CHECKPOINT_SIGNAL,
  gpuEnv,
  isReservedEnvName,
  isSignalName,
  workloadEnv,
} from './env.js';
export { LineSplitter } from './lines.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './process.js';
export * from './types.js';

export type RuntimeOptions =
  | ({ kind: 'process' } & ProcessRuntimeOptions)
  | ({ kind: 'docker' } & DockerRuntimeOptions);

export function createRuntime(options: RuntimeOptions): Runtime {
  return options.kind === 'docker' ? new DockerRuntime(options) : new ProcessRuntime(options);
}

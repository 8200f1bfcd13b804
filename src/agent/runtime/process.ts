// The process runtime: runs the job's command directly on this machine (local mode of the simulated cloud, tests,
// a node without Docker).
//
// - No shell, ever: the spec's `command` is an argv list, run as `command[0]` with the rest as its arguments
//   (`child_process.spawn`, `shell: false`), so no quoting rule of any shell applies to a job's arguments. A job
//   that wants a shell writes `[sh, -c, "..."]`.
// - Environment: the agent's own, minus the GPUSCHED_* and GPU variables (the agent's token must not reach a job),
//   then the spec's env, then the contract's variables (env.ts).
// - The job leads its own process group. Signals (the checkpoint signal, SIGTERM) go to the job's main process
//   only, as `docker kill` sends them to a container's main process: a launcher that starts workers forwards
//   them. SIGKILL goes to the whole group, so nothing the job started outlives a stop.

import { sendSignal, settlesWithin, spawnChild } from './child.js';
import { checkAssignment, inheritedEnv, isSignalName, workloadEnv } from './env.js';
import type { Runtime, StartOptions, WorkloadAssignment, WorkloadExit, WorkloadHandle } from './types.js';

export interface ProcessRuntimeOptions {
  /** The environment jobs inherit (default: the agent's own, `process.env`). */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** After the job exits, how long to wait for its output pipes to close (default 2 s). */
  readonly closeWaitMs?: number;
}

export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const;

  constructor(private readonly options: ProcessRuntimeOptions = {}) {}

  async start(a: WorkloadAssignment, opts: StartOptions = {}): Promise<WorkloadHandle> {
    checkAssignment(a, 'process');
    const [file, ...args] = a.command!;
    const env = { ...inheritedEnv(this.options.baseEnv ?? process.env), ...workloadEnv(a, false) };
    const spawned = await spawnChild(file!, args, {
      env,
      cwd: a.workDir,
      detached: true,
      onLine: opts.onLine,
      closeWaitMs: this.options.closeWaitMs,
    });
    const pid = spawned.child.pid!;
    const killGroup = () => {
      // Negative pid: the whole process group the job leads.
      sendSignal(-pid, 'SIGKILL');
    };
    return {
      jobId: a.jobId,
      pid,
      exited: spawned.exited,
      async signal(name: NodeJS.Signals): Promise<boolean> {
        if (!isSignalName(name)) throw new Error(`unknown signal ${name}`);
        if (spawned.exit() !== null) return false;
        return sendSignal(pid, name);
      },
      async stop(graceMs: number): Promise<WorkloadExit> {
        // Already over: nothing to signal (and its pid may since belong to another process).
        if (spawned.exit() !== null) return spawned.exited;
        if (graceMs > 0) {
          sendSignal(pid, 'SIGTERM');
          if (!(await settlesWithin(spawned.exited, graceMs))) killGroup();
        } else {
          killGroup();
        }
        const exit = await spawned.exited;
        // The job is gone; anything it left running in its group goes too.
        killGroup();
        return exit;
      },
    };
  }
}

// One child process, as both runtimes need it: spawned without a shell, its stdout and stderr read line by line
// from the first byte, and one promise for its end that resolves only once its output has been delivered.
import { type ChildProcess, spawn } from 'node:child_process';
import { LineSplitter } from './lines.js';
import type { OutputLine, WorkloadExit } from './types.js';

export interface SpawnOptions {
  readonly env: Record<string, string>;
  readonly cwd?: string;
  /** Its own process group (process runtime), so a stop can kill whatever the job started too. */
  readonly detached: boolean;
  readonly onLine?: (line: OutputLine) => void;
  /**
   * After the process has exited, how long to wait for its pipes to close. A grandchild that inherited stdout
   * keeps the pipe open after the job is gone; the exit must not wait for it.
   */
  readonly closeWaitMs?: number;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<WorkloadExit>;
  /** The exit once the process has exited (its output may still be arriving), else null. */
  exit(): WorkloadExit | null;
}

/** Resolves once the process runs; rejects with the spawn error (ENOENT, EACCES) when it cannot start. */
export function spawnChild(file: string, args: readonly string[], opts: SpawnOptions): Promise<Spawned> {
  const child = spawn(file, [...args], {
    env: opts.env,
    cwd: opts.cwd,
    detached: opts.detached,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
  });
  let exit: WorkloadExit | null = null;
  const streams = [
    { name: 'stdout' as const, stream: child.stdout!, splitter: new LineSplitter(), ended: false },
    { name: 'stderr' as const, stream: child.stderr!, splitter: new LineSplitter(), ended: false },
  ];
  const deliver = (stream: OutputLine['stream'], lines: string[]) => {
    for (const text of lines) {
      try {
        opts.onLine?.({ stream, text });
      } catch {
        // A listener's failure must not stop the pipe being read (the job would block on a full pipe).
      }
    }
  };
  for (const s of streams) {
    s.stream.on('data', (chunk: Buffer) => deliver(s.name, s.splitter.push(chunk)));
    s.stream.on('end', () => {
      s.ended = true;
      deliver(s.name, s.splitter.end());
    });
    s.stream.on('error', () => {});
  }
  const exited = new Promise<WorkloadExit>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      for (const s of streams) {
        if (s.ended) continue;
        s.ended = true;
        deliver(s.name, s.splitter.end());
        s.stream.destroy();
      }
      resolve(exit ?? { code: null, signal: null });
    };
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      timer = setTimeout(finish, opts.closeWaitMs ?? 2000);
      timer.unref();
    });
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      // Later errors (a failed kill) change nothing: the exit promise tells how it ended.
      child.on('error', () => {});
      resolve({ child, exited, exit: () => exit });
    });
    child.once('error', (err) => {
      if (child.pid === undefined) reject(err);
    });
  });
}

/** Sends a signal, ignoring "no such process" (it has just exited). True when it was sent. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

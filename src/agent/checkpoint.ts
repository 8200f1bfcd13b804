// The job's checkpoint manifest, `$GPUSCHED_CHECKPOINT_DIR/latest.json`, as the agent reads it:
//
//   {"step": 1200, "path": "step-1200", "at": "2025-06-01T12:00:00.000Z", "bytes": 734003200}
//
// `step` a whole number ≥ 0, `path` the checkpoint's directory relative to the checkpoint directory (inside it),
// `at` an ISO date-time, `bytes` (optional) its size, which prices a move across regions. Other keys are allowed
// and ignored, so a job can keep its own notes there. The job writes it last and atomically (write a temporary
// file, then rename), so a manifest that can be read names a complete checkpoint.
//
// `parseCheckpointManifest` is pure; `readLatestCheckpoint` and `waitForCheckpoint` read the file. The agent
// delivers the checkpoint signal, then waits with `waitForCheckpoint` until the notice window less a margin; the
// periodic checkpoints are the job's own business: the agent only reports the latest manifest it sees.
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Static, Type } from 'typebox';
import type { Checkpoint } from '../core/model.js';
import { formatIssues, type Issue, schemaIssues } from '../core/validate.js';

export const MANIFEST_FILE = 'latest.json';

export const CheckpointManifestSchema = Type.Object({
  step: Type.Integer({ minimum: 0 }),
  path: Type.String({ minLength: 1, maxLength: 4096 }),
  at: Type.String({ format: 'date-time' }),
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
});

export type CheckpointManifestFields = Static<typeof CheckpointManifestSchema>;

/** A valid manifest, with the checkpoint's absolute path (what `GPUSCHED_RESUME_FROM` is set to). */
export interface CheckpointManifest {
  readonly step: number;
  readonly path: string;
  readonly at: string;
  readonly bytes?: number;
  readonly absolutePath: string;
}

/** A manifest that cannot be used; `issues` name the fields at fault. */
export class CheckpointManifestError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${file} is not a valid checkpoint manifest:\n${formatIssues(issues)}`);
    this.name = 'CheckpointManifestError';
  }
}

/** Every problem with a parsed manifest value; [] when it is usable. Pure. */
export function manifestIssues(value: unknown, checkpointDir: string): Issue[] {
  const issues = schemaIssues(CheckpointManifestSchema, value);
  const path = (value as { path?: unknown } | null)?.path;
  if (typeof path === 'string' && path.length > 0) {
    const problem = pathProblem(path, checkpointDir);
    if (problem) issues.push({ path: 'path', message: problem });
  }
  return issues;
}

/** Parses latest.json's text; throws CheckpointManifestError naming each field at fault. Pure. */
export function parseCheckpointManifest(
  text: string,
  checkpointDir: string,
  file = join(checkpointDir, MANIFEST_FILE),
): CheckpointManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CheckpointManifestError(file, [{ path: '', message: `not JSON (${(e as Error).message})` }]);
  }
  const issues = manifestIssues(value, checkpointDir);
  if (issues.length > 0) throw new CheckpointManifestError(file, issues);
  const m = value as CheckpointManifestFields;
  return {
    step: m.step,
    path: m.path,
    at: m.at,
    ...(m.bytes !== undefined ? { bytes: m.bytes } : {}),
    absolutePath: resolve(checkpointDir, m.path),
  };
}

/** What the daemon records (`Checkpoint`: the path stays relative to the job's checkpoint directory). */
export function toCheckpoint(m: CheckpointManifest): Checkpoint {
  return { path: m.path, step: m.step, at: m.at };
}

/** The absolute path to resume from, for a recorded checkpoint and the node's checkpoint directory. */
export function resumePath(checkpointDir: string, checkpoint: Pick<Checkpoint, 'path'>): string {
  const problem = pathProblem(checkpoint.path, checkpointDir);
  if (problem) throw new Error(`checkpoint path ${JSON.stringify(checkpoint.path)} ${problem}`);
  return resolve(checkpointDir, checkpoint.path);
}

/** True when `m` is a later checkpoint than `after`: a higher step, or the same step written later. */
export function isNewerManifest(m: CheckpointManifest, after: CheckpointManifest | null): boolean {
  if (after === null) return true;
  if (m.step !== after.step) return m.step > after.step;
  return Date.parse(m.at) > Date.parse(after.at);
}

/**
 * The manifest in `checkpointDir`, or null when the job has not written one yet. Throws CheckpointManifestError
 * when it is invalid, or when it names a directory that does not exist or that resolves (through a symbolic link)
 * outside the checkpoint directory.
 */
export async function readLatestCheckpoint(checkpointDir: string): Promise<CheckpointManifest | null> {
  const file = join(checkpointDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = parseCheckpointManifest(text, checkpointDir, file);
  let real: string;
  try {
    real = await realpath(m.absolutePath);
    if (!(await stat(real)).isDirectory())
      throw new CheckpointManifestError(file, [{ path: 'path', message: `${m.path} is not a directory` }]);
  } catch (e) {
    if (e instanceof CheckpointManifestError) throw e;
    throw new CheckpointManifestError(file, [
      { path: 'path', message: `names ${m.path}, which does not exist in the checkpoint directory` },
    ]);
  }
  if (!within(await realpath(checkpointDir), real))
    throw new CheckpointManifestError(file, [
      { path: 'path', message: `${m.path} leads outside the checkpoint directory (through a link)` },
    ]);
  return m;
}

export interface WaitForCheckpointOptions {
  readonly dir: string;
  /** The manifest before the signal (null when the job had none): only a newer one answers. */
  readonly after: CheckpointManifest | null;
  /** Give up at this time (ms since the epoch, or a Date): the notice window less the margin. */
  readonly deadline: number | Date;
  /** How often to look (default 200 ms). Polling, not fs.watch: bucket mounts (FUSE) send no change events. */
  readonly pollMs?: number;
  /** Called for each unusable manifest seen while waiting (the wait goes on: the job may yet write a good one). */
  readonly onInvalid?: (error: Error) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/**
 * Resolves with the first manifest newer than `after`, or null at the deadline (or when aborted). Looks once
 * more at the deadline itself, so a checkpoint finished in the last poll interval still counts. Never throws.
 */
export async function waitForCheckpoint(opts: WaitForCheckpointOptions): Promise<CheckpointManifest | null> {
  const now = opts.now ?? Date.now;
  const deadline = typeof opts.deadline === 'number' ? opts.deadline : opts.deadline.getTime();
  const pollMs = Math.max(1, opts.pollMs ?? 200);
  let lastError = '';
  for (;;) {
    try {
      const m = await readLatestCheckpoint(opts.dir);
      if (m && isNewerManifest(m, opts.after)) return m;
    } catch (e) {
      // Report each distinct problem once, not every poll.
      const message = (e as Error).message;
      if (message !== lastError) opts.onInvalid?.(e as Error);
      lastError = message;
    }
    const left = deadline - now();
    if (left <= 0 || opts.signal?.aborted) return null;
    try {
      await sleep(Math.min(pollMs, left), undefined, { signal: opts.signal });
    } catch {
      return null;
    }
  }
}

/** Why `path` cannot name a checkpoint inside `checkpointDir`, or null when it can. Pure. */
function pathProblem(path: string, checkpointDir: string): string | null {
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (isAbsolute(path)) return 'must be relative to the checkpoint directory, not absolute';
  const base = resolve(checkpointDir);
  const target = resolve(base, path);
  if (target === base)
    return 'must name a directory inside the checkpoint directory, not the directory itself';
  if (!within(base, target)) return `${JSON.stringify(path)} leads outside the checkpoint directory`;
  return null;
}

function within(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

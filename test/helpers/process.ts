// Real processes for end-to-end tests: the built daemon and CLI (npm test builds dist/ first).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const BIN = resolve(import.meta.dirname, '../../bin/gpusched.js');
const run = promisify(execFile);

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  log: () => string;
}

/**
 * A config for fast end-to-end runs: 1 h of sim time per wall second, quick boots and idle release; `groups`
 * replaces or adds whole top-level groups (YAML flow mappings by group name).
 */
export function e2eConfig(dataDir: string, groups: Record<string, string> = {}): string {
  const file = join(dataDir, 'config.yaml');
  const all: Record<string, string> = {
    api: '{ port: 0 }',
    log: '{ level: info }',
    scheduler: '{ tickSeconds: 1, idleNodeSeconds: 2 }',
    sim: '{ timeScale: 3600, bootSeconds: 60 }',
    ...groups,
  };
  const lines = [
    `dataDir: ${JSON.stringify(dataDir)}`,
    ...Object.entries(all).map(([k, v]) => `${k}: ${v}`),
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gpusched-e2e-'));
}

/** Starts `gpusched daemon --config FILE` and resolves once it logs the address it listens on. */
export function startDaemonProcess(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
  groups: Record<string, string> = {},
): Promise<DaemonProcess> {
  const childEnv = { ...process.env, ...env };
  // The test's config file decides; a developer's own settings must not leak in.
  for (const k of ['GPUSCHED_CONFIG', 'GPUSCHED_PORT', 'GPUSCHED_DATA_DIR', 'GPUSCHED_ADMIN_TOKEN'])
    delete childEnv[k];
  const child = spawn(process.execPath, [BIN, 'daemon', '--config', e2eConfig(dataDir, groups)], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, url: m[1]!, dataDir, log: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${out}`));
    });
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, against a daemon found through GPUSCHED_URL and the admin token file. */
export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

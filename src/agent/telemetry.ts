// Node and GPU telemetry for the agent's heartbeats.
//
// GPUs come from two `nvidia-smi` calls:
//   nvidia-smi --query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw
//              --format=csv,noheader,nounits
//     0, GPU-e5f404f3-cc2a-cf0c-219f-dcf1a4e223f2, NVIDIA H100 80GB HBM3, 100, 26980, 81559, 41, 362.00
//   nvidia-smi -L
//     GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16)
//       MIG 1g.10gb     Device  0: (UUID: MIG-feb88891-0321-5fef-9c87-d4af3b54259e)
// Values nvidia-smi cannot give come as `[N/A]`, `N/A` or `[Not Supported]` (utilization of a GPU in MIG mode,
// power on some boards): they become null. Samples and where they come from: test/fixtures/nvidia-smi/README.md.
//
// The parsers are pure and never throw (a line they cannot read is reported in `problems`); `collect` runs
// nvidia-smi when there is one and otherwise returns host telemetry only: it never throws either, since a
// heartbeat without GPU figures is still a heartbeat.
import { execFile } from 'node:child_process';
import { availableParallelism, freemem, hostname, loadavg, totalmem, uptime } from 'node:os';

export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
] as const;

/** The arguments of the query call, in the order the parser expects the columns. */
export function gpuQueryArgs(): string[] {
  return [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
}

export interface GpuReading {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly utilizationPercent: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly temperatureC: number | null;
  readonly powerDrawW: number | null;
}

export interface MigDevice {
  /** `1g.10gb`, `3g.40gb`, `1c.3g.20gb` (a compute instance of a larger GPU instance). */
  readonly profile: string;
  /** The device number nvidia-smi gives it on its GPU. */
  readonly device: number;
  readonly uuid: string;
}

export interface ListedGpu {
  readonly index: number;
  readonly name: string;
  readonly uuid: string;
  readonly mig: readonly MigDevice[];
}

export interface GpuTelemetry extends GpuReading {
  /** The GPU's MIG devices (empty when MIG is off or not listed). */
  readonly mig: readonly MigDevice[];
}

export interface Parsed<T> {
  readonly items: T[];
  /** Lines that could not be read, with why. */
  readonly problems: string[];
}

/** Reads `--query-gpu` output in GPU_QUERY_FIELDS order (`csv,noheader,nounits`). */
export function parseGpuQuery(text: string): Parsed<GpuReading> {
  const items: GpuReading[] = [];
  const problems: string[] = [];
  for (const [n, line] of lines(text)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < GPU_QUERY_FIELDS.length) {
      problems.push(`line ${n}: expected ${GPU_QUERY_FIELDS.length} columns, got ${cells.length}: ${line}`);
      continue;
    }
    // A comma in a GPU's name would split it: the name is whatever lies between uuid and the five numbers.
    const tail = cells.slice(-5);
    const [indexCell, uuid] = cells;
    const name = cells.slice(2, -5).join(', ');
    const index = Number(indexCell);
    if (!/^\d+$/.test(indexCell ?? '') || !Number.isSafeInteger(index)) {
      problems.push(`line ${n}: index ${JSON.stringify(indexCell)} is not a GPU index`);
      continue;
    }
    const [util, used, total, temp, power] = tail.map(reading);
    items.push({
      index,
      uuid: uuid ?? '',
      name,
      utilizationPercent: util ?? null,
      memoryUsedMiB: used ?? null,
      memoryTotalMiB: total ?? null,
      temperatureC: temp ?? null,
      powerDrawW: power ?? null,
    });
  }
  return { items, problems };
}

const GPU_LINE = /^GPU (\d+): (.*?) \(UUID: ([^)\s]+)\)$/;
const MIG_LINE = /^MIG (\S+)\s+Device\s+(\d+): \(UUID: ([^)\s]+)\)$/;

/** Reads `nvidia-smi -L`: each GPU, and under it its MIG devices. */
export function parseGpuList(text: string): Parsed<ListedGpu> {
  const items: { index: number; name: string; uuid: string; mig: MigDevice[] }[] = [];
  const problems: string[] = [];
  for (const [n, line] of lines(text)) {
    const trimmed = line.trim();
    const gpu = GPU_LINE.exec(trimmed);
    if (gpu) {
      items.push({ index: Number(gpu[1]), name: gpu[2]!, uuid: gpu[3]!, mig: [] });
      continue;
    }
    const mig = MIG_LINE.exec(trimmed);
    if (mig && items.length > 0) {
      items.at(-1)!.mig.push({ profile: mig[1]!, device: Number(mig[2]), uuid: mig[3]! });
      continue;
    }
    problems.push(`line ${n}: not a GPU or MIG device line: ${trimmed}`);
  }
  return { items, problems };
}

/** The readings, each with the MIG devices the listing shows under the same GPU (matched by UUID, else index). */
export function mergeGpus(readings: readonly GpuReading[], listed: readonly ListedGpu[]): GpuTelemetry[] {
  return readings.map((r) => {
    const match = listed.find((g) => g.uuid === r.uuid) ?? listed.find((g) => g.index === r.index);
    return { ...r, mig: match?.mig ?? [] };
  });
}

export interface HostTelemetry {
  readonly hostname: string;
  readonly cpus: number;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
  readonly memoryTotalBytes: number;
  readonly memoryFreeBytes: number;
  readonly uptimeSeconds: number;
}

export interface NodeTelemetry {
  /** ISO time of the reading. */
  readonly at: string;
  readonly host: HostTelemetry;
  /** `nvidia-smi` when GPU figures came from it; `none` when there is no nvidia-smi or it failed. */
  readonly gpuSource: 'nvidia-smi' | 'none';
  readonly gpus: readonly GpuTelemetry[];
  /** Why there are no (or not all) GPU figures: nvidia-smi failed, or printed lines that could not be read. */
  readonly gpuProblems: readonly string[];
}

export interface CollectOptions {
  /** The nvidia-smi binary: a name looked up on PATH or a path (default `nvidia-smi`). */
  readonly nvidiaSmi?: string;
  /** Time limit per nvidia-smi call (default 5 s: a wedged driver can hang it). */
  readonly timeoutMs?: number;
  /** Environment for nvidia-smi (default `process.env`); its PATH finds the binary. */
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

export function hostTelemetry(): HostTelemetry {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    hostname: hostname(),
    cpus: availableParallelism(),
    loadAverage: [one, five, fifteen],
    memoryTotalBytes: totalmem(),
    memoryFreeBytes: freemem(),
    uptimeSeconds: uptime(),
  };
}

/** Host telemetry, and GPU telemetry when nvidia-smi is there and answers. Never throws. */
export async function collect(opts: CollectOptions = {}): Promise<NodeTelemetry> {
  const at = (opts.now?.() ?? new Date()).toISOString();
  const host = hostTelemetry();
  const bin = opts.nvidiaSmi ?? 'nvidia-smi';
  const [query, list] = await Promise.all([run(bin, gpuQueryArgs(), opts), run(bin, ['-L'], opts)]);
  if (query.missing) return { at, host, gpuSource: 'none', gpus: [], gpuProblems: [] };
  if (query.error !== undefined)
    return { at, host, gpuSource: 'none', gpus: [], gpuProblems: [`nvidia-smi ${query.error}`] };
  const readings = parseGpuQuery(query.stdout);
  const problems = [...readings.problems];
  let listed: ListedGpu[] = [];
  if (list.error !== undefined) problems.push(`nvidia-smi -L ${list.error}`);
  else {
    const parsed = parseGpuList(list.stdout);
    listed = parsed.items;
    problems.push(...parsed.problems.map((p) => `nvidia-smi -L ${p}`));
  }
  return {
    at,
    host,
    gpuSource: 'nvidia-smi',
    gpus: mergeGpus(readings.items, listed),
    gpuProblems: problems,
  };
}

interface RunResult {
  readonly stdout: string;
  /** The binary is not there (not on PATH, or no such file). */
  readonly missing: boolean;
  /** How it failed otherwise (exit status and its first line of output, or a time-out). */
  readonly error?: string;
}

function run(bin: string, args: string[], opts: CollectOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    try {
      execFile(
        bin,
        args,
        { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 5000, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, missing: false });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
          if (e.code === 'ENOENT') return resolve({ stdout: '', missing: true });
          const said =
            `${stderr}\n${stdout}`
              .split('\n')
              .find((l) => l.trim() !== '')
              ?.trim() ?? '';
          const how =
            e.killed || e.signal
              ? `did not answer within ${opts.timeoutMs ?? 5000} ms`
              : `failed (exit ${typeof e.code === 'number' ? e.code : (e.code ?? '?')})`;
          resolve({ stdout, missing: false, error: said ? `${how}: ${said}` : how });
        },
      );
    } catch (e) {
      resolve({ stdout: '', missing: false, error: `could not run: ${(e as Error).message}` });
    }
  });
}

/** A number, or null for nvidia-smi's "no value" markers (`[N/A]`, `N/A`, `[Not Supported]`, ...). */
function reading(cell: string): number | null {
  if (cell === '' || cell === 'N/A' || /^\[.*\]$/.test(cell)) return null;
  const value = Number(cell);
  return Number.isFinite(value) ? value : null;
}

/** Non-empty lines with their 1-based numbers. */
function lines(text: string): [number, string][] {
  return text
    .split(/\r?\n/)
    .map((line, i): [number, string] => [i + 1, line])
    .filter(([, line]) => line.trim() !== '');
}

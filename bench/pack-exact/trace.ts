// The reduced Alibaba GPU trace (data/traces/alibaba-gpu-jobs.sample.csv, provenance in its README): each pod
// as the GPU request and runtime a job spec would carry. The project never reads the full trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SlotRequest } from '../../src/core/placement/slices.js';

export interface TracePod {
  readonly name: string;
  readonly gpu: SlotRequest;
  readonly hours: number;
}

/** The trace gives no GPU memory for a share: it is taken of 16 GiB (the fleet's T4, P100, V100-16GB). */
const SHARE_OF_GIB = 16;
/** Runtimes in whole quarter hours, at most a day: the cost model wants an estimate, not the trace's tail. */
const MAX_HOURS = 24;

export function tracePath(): string {
  return fileURLToPath(new URL('../../data/traces/alibaba-gpu-jobs.sample.csv', import.meta.url));
}

export function loadTrace(path = tracePath()): TracePod[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const col = new Map(head!.split(',').map((h, i) => [h, i]));
  const at = (f: string[], name: string) => {
    const i = col.get(name);
    if (i === undefined) throw new Error(`trace: column ${name} missing`);
    return f[i]!;
  };
  return rows.map((line) => {
    const f = line.split(',');
    const count = Number(at(f, 'num_gpu'));
    const milli = Number(at(f, 'gpu_milli'));
    const seconds = Number(at(f, 'deletion_time')) - Number(at(f, 'scheduled_time'));
    const hours = Math.min(MAX_HOURS, Math.max(0.25, Math.ceil(seconds / 900) / 4));
    const gpu: SlotRequest =
      count === 1 && milli < 1000
        ? { fraction: milli / 1000, memoryGiB: Math.ceil((milli / 1000) * SHARE_OF_GIB) }
        : { count };
    return { name: at(f, 'name'), gpu, hours };
  });
}

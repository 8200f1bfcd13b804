// collect() with a stand-in nvidia-smi that prints the recorded samples (test/fixtures/nvidia-smi), with none at
// all, and with one that fails the way nvidia-smi does on a node whose driver is gone.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../../src/agent/telemetry.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/nvidia-smi');

/** A directory with an `nvidia-smi` shell script; `body` sees the arguments as "$@". */
function standIn(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpusched-smi-'));
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

const NOW = () => new Date('2025-06-01T12:00:00.000Z');

describe('collecting telemetry', () => {
  it('reads GPUs and their MIG devices from the nvidia-smi on PATH', async () => {
    const dir = standIn(
      `if [ "$1" = "-L" ]; then cat "${FIXTURES}/a100-sxm4-80gb-mig.list.txt"; else cat "${FIXTURES}/a100-sxm4-80gb-mig.query.csv"; fi`,
    );
    const t = await collect({ env: { PATH: `${dir}:/usr/bin:/bin` }, now: NOW });
    expect(t.at).toBe('2025-06-01T12:00:00.000Z');
    expect(t.gpuSource).toBe('nvidia-smi');
    expect(t.gpuProblems).toEqual([]);
    expect(t.gpus).toHaveLength(1);
    expect(t.gpus[0]).toMatchObject({
      name: 'NVIDIA A100-SXM4-80GB',
      memoryTotalMiB: 81920,
      utilizationPercent: null,
    });
    expect(t.gpus[0]!.mig).toHaveLength(7);
    expect(t.host.cpus).toBeGreaterThan(0);
  });

  it('asks for exactly the columns it reads, and the listing', async () => {
    const dir = standIn(
      `echo "$@" >> "$(dirname "$0")/calls"; if [ "$1" = "-L" ]; then cat "${FIXTURES}/h100-8x.list.txt"; else cat "${FIXTURES}/h100-8x.query.csv"; fi`,
    );
    const t = await collect({ nvidiaSmi: join(dir, 'nvidia-smi'), now: NOW });
    expect(t.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.gpus).toHaveLength(8);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').sort();
    expect(calls).toEqual([
      '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw --format=csv,noheader,nounits',
      '-L',
    ]);
  });

  it('returns host telemetry only on a machine without nvidia-smi, and does not fail', async () => {
    const t = await collect({ nvidiaSmi: '/nonexistent/nvidia-smi', now: NOW });
    expect(t).toMatchObject({ gpuSource: 'none', gpus: [], gpuProblems: [] });
    expect(t.host.memoryTotalBytes).toBeGreaterThan(0);
    expect(t.host.loadAverage).toHaveLength(3);
  });

  it('says why when nvidia-smi is there but fails', async () => {
    const dir = standIn(
      `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."; exit 9`,
    );
    const t = await collect({ nvidiaSmi: join(dir, 'nvidia-smi'), now: NOW });
    expect(t.gpuSource).toBe('none');
    expect(t.gpuProblems).toEqual([
      "nvidia-smi failed (exit 9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    ]);
  });

  it('gives up on an nvidia-smi that hangs', async () => {
    const dir = standIn('exec sleep 5');
    const t = await collect({ nvidiaSmi: join(dir, 'nvidia-smi'), timeoutMs: 100, now: NOW });
    expect(t.gpuSource).toBe('none');
    expect(t.gpuProblems[0]).toMatch(/did not answer within 100 ms/);
  });
});

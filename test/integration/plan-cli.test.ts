// `gpusched plan --input FILE`: one cycle of the pure core on a snapshot file, without a daemon.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';

async function plan(text: string, json = true) {
  const file = join(mkdtempSync(join(tmpdir(), 'gpusched-plan-')), 'snapshot.yaml');
  writeFileSync(file, text);
  let out = '';
  let err = '';
  const code = await run(['plan', '--input', file, ...(json ? ['--json'] : [])], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err, file };
}

const offers = `
offers:
  - { cloud: aws, region: us-east-1, zone: us-east-1a, instanceType: p4d.24xlarge, gpu: { model: A100, count: 8, memoryGiB: 40 }, vcpus: 96, memoryGiB: 1152, market: spot, pricePerHour: 9 }
  - { cloud: gcp, region: us-central1, zone: us-central1-a, instanceType: a2-highgpu-1g, gpu: { model: A100, count: 1, memoryGiB: 40 }, vcpus: 12, memoryGiB: 85, market: spot, pricePerHour: 1.5 }
  - { cloud: gcp, region: us-central1, zone: us-central1-a, instanceType: a2-highgpu-1g, gpu: { model: A100, count: 1, memoryGiB: 40 }, vcpus: 12, memoryGiB: 85, market: on-demand, pricePerHour: 3.7 }
`;

describe('gpusched plan', () => {
  it('places each job on the cheapest fit, reuses an idle node, and sums the expected cost', async () => {
    const r = await plan(`now: 2026-11-28T12:00:00Z
jobs:
  - { name: big, image: x, resources: { gpu: { models: [A100], count: 8 } }, runtime: { estimateHours: 2 } }
  - { name: one, image: x, resources: { gpu: { models: [A100], count: 1 } }, runtime: { estimateHours: 3 } }
  - { name: two, image: x, resources: { gpu: { models: [A100], count: 1 } }, runtime: { estimateHours: 1 } }
nodes:
  - { id: idle-1, cloud: gcp, region: us-central1, zone: us-central1-a, instanceType: a2-highgpu-1g, market: spot, gpu: { model: A100, count: 1, memoryGiB: 40 }, pricePerHour: 1.2 }
${offers}`);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out);
    expect(
      p.launches.map((l: { jobIds: string[]; instanceType: string }) => [l.jobIds, l.instanceType]),
    ).toEqual([
      [['big#0'], 'p4d.24xlarge'],
      [['two#2'], 'a2-highgpu-1g'],
    ]);
    const on = (jobId: string) => p.placements.find((x: { jobId: string }) => x.jobId === jobId);
    expect(on('one#1').units).toEqual([
      { unit: 0, where: { kind: 'node', nodeId: 'idle-1' }, slot: { kind: 'whole', gpuIndices: [0] } },
    ]);
    // Each is priced by the cost model (compute + interruption overhead on spot): at least price × hours.
    expect(on('one#1').expectedCostUsd).toBeGreaterThan(1.2 * 3);
    expect(on('big#0').expectedCostUsd).toBeGreaterThan(9 * 2);
    const sum = p.placements.reduce((t: number, a: { expectedCostUsd: number }) => t + a.expectedCostUsd, 0);
    expect(p.totalExpectedCostUsd).toBeCloseTo(sum, 3);
  });

  it('uses the bundled catalog when the snapshot has no offers', async () => {
    const r = await plan(
      'jobs:\n  - { name: t4, image: x, resources: { gpu: { models: [T4], count: 1 } }, runtime: { estimateHours: 1 } }\n',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).launches[0].instanceType).toBeTruthy();
  });

  it('says why a job cannot be placed', async () => {
    const r = await plan(
      `jobs:\n  - { name: h, image: x, resources: { gpu: { models: [H100], count: 1 } }, runtime: { estimateHours: 1 } }\n${offers}`,
    );
    expect(JSON.parse(r.out).unplaced[0].message).toMatch(/GPU_MODEL ×3/);
  });

  it('prints a table by default', async () => {
    const r = await plan(
      `jobs:\n  - { name: a, image: x, resources: { gpu: { count: 1 } }, runtime: { estimateHours: 1 } }\n${offers}`,
      false,
    );
    expect(r.out).toMatch(/^plan for .*: total expected cost \$1\.\d\d/);
    expect(r.out).toMatch(/a2-highgpu-1g/);
  });

  it('refuses a bad snapshot with every problem at its line (exit 2)', async () => {
    const r = await plan(
      'jobs:\n  - name: bad\n    image: x\n    resources: { gpu: { count: 0 } }\n    runtime: { estimateHours: 1 }\n',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/snapshot\.yaml:4: jobs\.0\.resources\.gpu\.count: /);
  });

  it('runs the bundled example', async () => {
    let out = '';
    const code = await run(['plan', '--input', 'examples/plan-snapshot.yaml', '--json'], {
      out: (t) => (out += t),
      err: () => {},
    });
    expect(code).toBe(0);
    const p = JSON.parse(out);
    const launchesOf = (jobId: string) =>
      p.launches.filter((l: { jobIds: string[] }) => l.jobIds.includes(jobId));
    expect(p.placements.find((x: { jobId: string }) => x.jobId === 'finetune#1').units[0].where).toEqual({
      kind: 'node',
      nodeId: 'node-a100',
    });
    expect(launchesOf('pretrain#0')).toHaveLength(2);
    expect(launchesOf('eval#2')[0].market).toBe('on-demand');
  });
});

// What a new user does: start the daemon, submit a job with the CLI, watch it succeed with a cost; and
// what an operator fears: the daemon killed with -9 while a job runs, restarted, the job done once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, type DaemonProcess, startDaemonProcess, tempDataDir, until } from '../helpers/process.js';

const JOB = `# a one-hour fine-tune on a cheap GPU
name: demo
image: ghcr.io/acme/train:1
command: [python, train.py]
resources:
  gpu: { models: [T4], count: 1 }
runtime: { estimateHours: 3 }
team: research
`;

const running: DaemonProcess[] = [];
afterEach(() => {
  for (const d of running.splice(0)) d.child.kill('SIGKILL');
});

async function start(dataDir: string): Promise<DaemonProcess> {
  const d = await startDaemonProcess(dataDir);
  running.push(d);
  return d;
}

const envFor = (d: DaemonProcess) => ({
  GPUSCHED_URL: d.url,
  GPUSCHED_DATA_DIR: d.dataDir,
  GPUSCHED_TOKEN: '',
});

async function jobJson(d: DaemonProcess, id: string) {
  const r = await cli(['job', id, '--json'], envFor(d));
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the quickstart, end to end', () => {
  it('runs a submitted job to success on simulated spot capacity and records its cost', async () => {
    const dataDir = tempDataDir();
    const d = await start(dataDir);
    const file = join(dataDir, 'job.yaml');
    writeFileSync(file, JOB);
    const sub = await cli(['submit', file, '--json'], envFor(d));
    expect(sub.code, sub.stderr).toBe(0);
    const id = JSON.parse(sub.stdout).id as string;

    const done = await until('the job to succeed', async () => {
      const j = await jobJson(d, id);
      return j.state === 'succeeded' ? j : null;
    });
    expect(done.placement.market).toBe('spot');
    expect(done.placement.cloud).toMatch(/^(aws|gcp|azure)$/);
    expect(done.costUsd).toBeCloseTo(done.placement.pricePerHour * 3, 3);
    expect(done.events.map((e: { to: string }) => e.to)).toEqual([
      'queued',
      'scheduled',
      'provisioning',
      'running',
      'succeeded',
    ]);

    const table = await cli(['jobs'], envFor(d));
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain('succeeded');
  });

  it('finishes a running job exactly once after the daemon is killed with -9 and restarted', async () => {
    const dataDir = tempDataDir();
    let d = await start(dataDir);
    const file = join(dataDir, 'job.yaml');
    writeFileSync(file, JOB.replace('estimateHours: 3', 'estimateHours: 6'));
    const id = JSON.parse((await cli(['submit', file, '--json'], envFor(d))).stdout).id as string;
    await until('the job to run', async () => ((await jobJson(d, id)).state === 'running' ? true : null));

    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    d = await start(dataDir);

    const done = await until('the job to succeed after the restart', async () => {
      const j = await jobJson(d, id);
      return j.state === 'succeeded' ? j : null;
    });
    const to = done.events.map((e: { to: string }) => e.to);
    expect(to.filter((s: string) => s === 'running')).toHaveLength(1);
    expect(to.filter((s: string) => s === 'succeeded')).toHaveLength(1);
    expect(to.filter((s: string) => s === 'scheduled')).toHaveLength(1);
    const nodes = JSON.parse((await cli(['nodes', '--json'], envFor(d))).stdout);
    const list = Array.isArray(nodes) ? nodes : nodes.items;
    expect(list).toHaveLength(1);
  });

  it('stops gracefully on SIGTERM', async () => {
    const d = await start(tempDataDir());
    d.child.kill('SIGTERM');
    const code = await new Promise((r) => d.child.once('exit', r));
    expect(code).toBe(0);
    expect(d.log()).toContain('gpusched daemon stopped');
  });

  it('refuses a bad config with a clear message and exit code 2, no stack trace', async () => {
    const dataDir = tempDataDir();
    const bad = join(dataDir, 'bad.yaml');
    writeFileSync(bad, 'api:\n  port: seventy\nschedular: {}\n');
    const r = await cli(['daemon', '--config', bad], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:2/);
    expect(r.stderr).toMatch(/api\.port/);
    expect(r.stderr).toMatch(/schedular/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

// Job traces as gpusched jobs: what is taken from the trace and what the scenario adds.
import { describe, expect, it } from 'vitest';
import { validateJobSpec } from '../../src/core/jobspec.js';
import {
  alibabaJobs,
  distinctArrivals,
  gangShape,
  homeRegion,
  phillyJobs,
  type ReplayJob,
} from '../../src/sim/workload.js';

const T0 = Date.parse('2023-02-15T00:00:00Z');
const MIN = 60_000;

const philly = `job_id,user,num_gpu,submit_time,iterations,model_name,duration,interval,expect_time_list,expect_value_list,best_effort,job_type
0,vc_a,4,100,6910,resnet101,211,8,282,10,0,strict
1,vc_b,1,50,8897,vgg16,31,6,88,10,0,strict
2,vc_a,0,10,100,alexnet,30,6,40,10,0,strict
3,vc_b,12,70,100,alexnet,30,6,70,10,1,best
`;

const options = {
  start: T0,
  unitSeconds: 60,
  stretch: 2,
  gpuModels: ['V100'],
  homeRegions: ['aws:us-east-1', 'aws:us-west-2'],
  dataGiB: 50,
  checkpoint: { graceSeconds: 60, everyMinutes: 30 },
  deadlineSlackMinutes: 5,
  maxGpusPerNode: 8,
};

describe('Philly-derived jobs', () => {
  const jobs = phillyJobs(philly, options);
  const byId = new Map(jobs.map((j) => [j.id, j]));

  it('leave out jobs that ask for no GPU', () => {
    expect(jobs.map((j) => j.id)).toEqual(['philly-0', 'philly-1', 'philly-3']);
  });

  it('arrive at the trace’s minute, stretched, and run for the trace’s duration on the scenario’s GPU', () => {
    const j = byId.get('philly-0')!;
    expect(j.submitAt).toBe(T0 + 100 * 2 * MIN);
    expect(j.spec.runtime?.estimateHours).toBeCloseTo(211 / 60, 12);
    expect(j.spec.resources.gpu).toEqual({ models: ['V100'], count: 4 });
    expect(j.spec.checkpoint).toEqual({ dir: '/ckpt/philly-0', graceSeconds: 60, everyMinutes: 30 });
    expect(j.spec.market).toBe('auto');
  });

  it('take their deadline from the SLO: submission + expected time + the boot a cloud needs first', () => {
    const j = byId.get('philly-1')!;
    expect(j.deadlineAt).toBe(j.submitAt + 88 * MIN + 5 * MIN);
  });

  it('have no deadline when best-effort, and become a gang when larger than a node', () => {
    const j = byId.get('philly-3')!;
    expect(j.deadlineAt).toBeNull();
    expect(j.spec.resources).toEqual({ gpu: { models: ['V100'], count: 6 }, nodes: 2 });
  });

  it('keep each team’s data in one home region', () => {
    const a = jobs.filter((j) => j.team === 'vc_a').map((j) => j.spec.data?.[0]?.region);
    expect(new Set(a).size).toBe(1);
    expect(a[0]).toBe(homeRegion('vc_a', options.homeRegions));
  });

  it('are valid job specs once given their deadline', () => {
    for (const j of jobs) {
      const spec = j.deadlineAt ? { ...j.spec, deadline: new Date(j.deadlineAt).toISOString() } : j.spec;
      expect(validateJobSpec(spec, new Date(j.submitAt))).toEqual({ ok: true, spec });
    }
  });

  it('name the row of a bad value', () => {
    expect(() => phillyJobs(philly.replace('211', 'x'), options)).toThrow(/row 2: duration/);
  });
});

describe('gang shapes', () => {
  it.each([
    [1, 1, 1],
    [8, 1, 8],
    [12, 2, 6],
    [16, 2, 8],
    [20, 3, 7],
  ])('%i GPUs → %i nodes of %i', (gpus, nodes, count) => {
    expect(gangShape(gpus, 8)).toEqual({ nodes, count });
  });
});

const pods = `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
p-0,1000,1024,1,500,,LS,Running,1000,4600,1000
p-1,1000,1024,1,250,,BE,Succeeded,2000,2030,2010
p-2,1000,1024,1,1000,,BE,Succeeded,2000,3000,2000
p-3,1000,1024,2,500,,BE,Succeeded,2000,3000,2000
p-4,1000,1024,1,300,,BE,Pending,2500,,
p-5,1000,1024,1,300,,BE,Succeeded,900,3000,900
`;

describe('Alibaba pods with a fraction of a GPU', () => {
  const jobs = alibabaJobs(pods, {
    start: T0,
    windowStartSeconds: 1000,
    windowSeconds: 10_000,
    gpuModels: ['V100'],
    gpuMemoryGiB: 16,
    team: 'alibaba',
  });

  it('keep fractional pods that ran, created in the window', () => {
    expect(jobs.map((j) => j.id)).toEqual(['alibaba-p-0', 'alibaba-p-1']);
  });

  it('turn latency-sensitive pods into deployments deleted when the trace deletes them', () => {
    const j = jobs[0]!;
    expect(j.spec.kind).toBe('inference');
    expect(j.spec.resources.gpu).toEqual({ models: ['V100'], fraction: 0.5, memoryGiB: 8 });
    expect(j.submitAt).toBe(T0);
    expect(j.cancelAt).toBe(T0 + 3600 * 1000);
  });

  it('turn the others into batch jobs that run as long as the pod ran (a minute at least)', () => {
    const j = jobs[1]!;
    expect(j.spec.kind).toBeUndefined();
    expect(j.spec.runtime?.estimateHours).toBeCloseTo(60 / 3600, 12);
    expect(j.spec.resources.gpu).toEqual({ models: ['V100'], fraction: 0.25, memoryGiB: 4 });
    expect(j.submitAt).toBe(T0 + 1000 * 1000);
  });
});

describe('arrivals', () => {
  it('get a millisecond each when they share an instant, keeping deadlines and deletions relative', () => {
    const mk = (id: string, at: number): ReplayJob => ({
      id,
      source: 'philly',
      team: 't',
      submitAt: at,
      deadlineAt: at + 10,
      cancelAt: null,
      spec: { name: id, image: 'x', resources: { gpu: { count: 1 } }, runtime: { estimateHours: 1 } },
    });
    const out = distinctArrivals([mk('b', 5), mk('a', 5), mk('c', 3)]);
    expect(out.map((j) => [j.id, j.submitAt, j.deadlineAt])).toEqual([
      ['c', 3, 13],
      ['b', 5, 15],
      ['a', 6, 16],
    ]);
  });
});

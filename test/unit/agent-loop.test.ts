// The agent's pure decisions: slot → GPU selection, assignment → workload, reconcile and command plans, the
// notice window, output and telemetry in the protocol's shapes. No sockets, processes or timers.

import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  assignmentKey,
  checkpointWaitUntil,
  exitCodeOf,
  gpuSelectionFor,
  jobDirectories,
  logsBody,
  protocolTelemetry,
  toWorkload,
} from '../../src/agent/assignment.js';
import {
  type CommandJobView,
  commandKey,
  decideCommand,
  type JobView,
  planReconcile,
  standingKeys,
} from '../../src/agent/decisions.js';
import { sameManifest } from '../../src/agent/manifests.js';
import type { GpuTelemetry, NodeTelemetry } from '../../src/agent/telemetry.js';
import { type Assignment, type Command, LogsBody, Telemetry } from '../../src/api/schemas/agent.js';

const gpu = (index: number, mig: GpuTelemetry['mig'] = []): GpuTelemetry => ({
  index,
  uuid: `GPU-0000000${index}-aaaa-bbbb-cccc-dddddddddddd`,
  name: 'NVIDIA A100-SXM4-80GB',
  utilizationPercent: null,
  memoryUsedMiB: 10,
  memoryTotalMiB: 81920,
  temperatureC: 40,
  powerDrawW: null,
  mig,
});

const migSlot = (profile: string, start = 0): Assignment['slot'] => ({
  kind: 'mig',
  gpuIndices: [1],
  profile,
  profileId: 19,
  start,
  size: 1,
  memoryGiB: 10,
});

function assignment(over: Partial<Assignment> = {}): Assignment {
  return {
    jobId: 'job-1',
    unit: 0,
    slot: { kind: 'whole', gpuIndices: [0, 1] },
    command: ['python', 'train.py'],
    env: { HF_HOME: '/cache' },
    checkpointDir: '/mnt/ckpt/job-1',
    checkpointSignal: 'SIGUSR1',
    checkpointGraceSeconds: 60,
    ...over,
  };
}

describe('slot → GPU selection', () => {
  it('gives whole GPUs by index, and no GPU for an empty list (local mode)', () => {
    expect(gpuSelectionFor({ kind: 'whole', gpuIndices: [2, 3] }, [])).toEqual({
      gpus: { kind: 'whole', indices: [2, 3] },
    });
    expect(gpuSelectionFor({ kind: 'whole', gpuIndices: [] }, [])).toEqual({ gpus: { kind: 'none' } });
  });

  it('gives a MIG slot the UUID of a free device of its profile on its GPU, lowest device first', () => {
    const gpus = [
      gpu(0, [{ profile: '1g.10gb', device: 0, uuid: 'MIG-on-gpu-0' }]),
      gpu(1, [
        { profile: '3g.40gb', device: 0, uuid: 'MIG-big' },
        { profile: '1g.10gb', device: 2, uuid: 'MIG-second' },
        { profile: '1g.10gb', device: 1, uuid: 'MIG-first' },
      ]),
    ];
    expect(gpuSelectionFor(migSlot('1g.10gb'), gpus).gpus).toEqual({ kind: 'mig', uuids: ['MIG-first'] });
    // Another job holds the first: the next one.
    expect(gpuSelectionFor(migSlot('1g.10gb'), gpus, new Set(['MIG-first'])).gpus).toEqual({
      kind: 'mig',
      uuids: ['MIG-second'],
    });
  });

  it('falls back to the GPU index when no MIG device is listed (no nvidia-smi, instance not created)', () => {
    const none = gpuSelectionFor(migSlot('2g.20gb'), [gpu(1)]);
    expect(none.gpus).toEqual({ kind: 'whole', indices: [1] });
    expect(none.note).toMatch(/no free MIG device 2g.20gb listed on GPU 1/);
    expect(gpuSelectionFor(migSlot('1g.10gb'), []).gpus).toEqual({ kind: 'whole', indices: [1] });
    const allTaken = gpuSelectionFor(
      migSlot('1g.10gb'),
      [gpu(1, [{ profile: '1g.10gb', device: 0, uuid: 'MIG-x' }])],
      new Set(['MIG-x']),
    );
    expect(allTaken.gpus).toEqual({ kind: 'whole', indices: [1] });
  });

  it('gives a shared slot an MPS share, by UUID when telemetry has one', () => {
    const slot: Assignment['slot'] = { kind: 'shared', gpuIndices: [1], fraction: 0.25, memoryGiB: 20 };
    expect(gpuSelectionFor(slot, [gpu(1)]).gpus).toEqual({
      kind: 'mps',
      device: 'GPU-00000001-aaaa-bbbb-cccc-dddddddddddd',
      activeThreadPercentage: 25,
      pinnedMemoryMiB: 20480,
    });
    expect(gpuSelectionFor({ ...slot, fraction: 0.001, memoryGiB: 0 }, []).gpus).toEqual({
      kind: 'mps',
      device: '1',
      activeThreadPercentage: 1,
    });
  });
});

describe('assignment → workload', () => {
  const roots = { checkpointRoot: '/var/lib/gpusched/checkpoints', scratchRoot: '/var/lib/gpusched/scratch' };

  it('keeps an absolute checkpoint dir, and passes env, signal, period and resume point on', () => {
    const a = assignment({ resumeFrom: '/mnt/ckpt/job-1/step-40', checkpointEveryMinutes: 15 });
    const dirs = jobDirectories(a, roots);
    expect(dirs).toEqual({
      checkpointDir: '/mnt/ckpt/job-1',
      checkpoints: true,
      resumeFrom: '/mnt/ckpt/job-1/step-40',
    });
    expect(toWorkload(a, dirs, { kind: 'whole', indices: [0, 1] })).toEqual({
      jobId: 'job-1',
      command: ['python', 'train.py'],
      env: { HF_HOME: '/cache' },
      gpus: { kind: 'whole', indices: [0, 1] },
      checkpointDir: '/mnt/ckpt/job-1',
      resumeFrom: '/mnt/ckpt/job-1/step-40',
      checkpointSignal: 'SIGUSR1',
      checkpointEveryMinutes: 15,
    });
  });

  it('reads a relative checkpoint dir and resume point under the checkpoint root', () => {
    const dirs = jobDirectories(
      assignment({ checkpointDir: 'ckpt/run', resumeFrom: 'ckpt/run/step-9' }),
      roots,
    );
    expect(dirs).toEqual({
      checkpointDir: '/var/lib/gpusched/checkpoints/ckpt/run',
      checkpoints: true,
      resumeFrom: '/var/lib/gpusched/checkpoints/ckpt/run/step-9',
    });
  });

  it('gives a job without a checkpoint dir a scratch one, and does not count it as checkpointing', () => {
    const a = assignment();
    delete a.checkpointDir;
    expect(jobDirectories(a, roots)).toEqual({
      checkpointDir: '/var/lib/gpusched/scratch/job-1',
      checkpoints: false,
    });
  });

  it('tells runs of a job apart by unit and resume point', () => {
    expect(assignmentKey(assignment())).not.toBe(assignmentKey(assignment({ resumeFrom: '/x/step-1' })));
    expect(assignmentKey(assignment())).not.toBe(assignmentKey(assignment({ unit: 1 })));
    expect(assignmentKey(assignment({ env: { A: 'b' } }))).toBe(assignmentKey(assignment()));
  });

  it('reports a death by signal n as 128 + n', () => {
    expect(exitCodeOf({ code: 0, signal: null })).toBe(0);
    expect(exitCodeOf({ code: 3, signal: null })).toBe(3);
    expect(exitCodeOf({ code: null, signal: 'SIGKILL' })).toBe(137);
    expect(exitCodeOf({ code: null, signal: 'SIGTERM' })).toBe(143);
    expect(exitCodeOf({ code: null, signal: null })).toBe(1);
  });
});

const view = (over: Partial<JobView> = {}): JobView => ({
  jobId: 'job-1',
  key: assignmentKey(assignment()),
  state: 'running',
  stopping: false,
  exitReported: false,
  ...over,
});

describe('reconcile', () => {
  it('starts what is assigned and not known, and leaves what runs alone', () => {
    const plan = planReconcile([assignment(), assignment({ jobId: 'job-2' })], new Map([['job-1', view()]]));
    expect(plan.start.map((a) => a.jobId)).toEqual(['job-2']);
    expect(plan).toMatchObject({ restart: [], stop: [], forget: [], duplicates: [] });
  });

  it('stops what is no longer assigned, once', () => {
    expect(planReconcile([], new Map([['job-1', view()]])).stop).toEqual(['job-1']);
    expect(planReconcile([], new Map([['job-1', view({ state: 'starting' })]])).stop).toEqual(['job-1']);
    expect(planReconcile([], new Map([['job-1', view({ stopping: true })]])).stop).toEqual([]);
  });

  it('keeps an exit until a heartbeat has carried it, then forgets the job', () => {
    expect(planReconcile([], new Map([['job-1', view({ state: 'exited' })]]))).toMatchObject({
      stop: [],
      forget: [],
    });
    expect(
      planReconcile([], new Map([['job-1', view({ state: 'exited', exitReported: true })]])).forget,
    ).toEqual(['job-1']);
  });

  it('does not start an exited run again while it is still assigned; a new run of it, yes', () => {
    const exited = new Map([['job-1', view({ state: 'exited', exitReported: true })]]);
    expect(planReconcile([assignment()], exited)).toMatchObject({ start: [], restart: [], forget: [] });
    const resumed = assignment({ resumeFrom: '/mnt/ckpt/job-1/step-80' });
    expect(planReconcile([resumed], exited).restart).toEqual([resumed]);
  });

  it('runs one unit of a job per node: the lowest', () => {
    const plan = planReconcile([assignment({ unit: 3 }), assignment({ unit: 1 })], new Map());
    expect(plan.start.map((a) => a.unit)).toEqual([1]);
    expect(plan.duplicates.map((a) => a.unit)).toEqual([3]);
  });
});

const cmdView = (over: Partial<CommandJobView> = {}): CommandJobView => ({
  state: 'running',
  stopping: false,
  checkpoints: true,
  checkpointInFlight: false,
  noticeCheckpointDone: false,
  ...over,
});
const checkpoint: Command = {
  kind: 'checkpoint',
  jobId: 'job-1',
  reason: 'reclaim notice',
  deadline: '2030-01-01T00:00:25.000Z',
};
const stop: Command = { kind: 'stop', jobId: 'job-1', reason: 'cancelled', graceSeconds: 30 };

describe('commands', () => {
  it('stops with the given grace, once', () => {
    expect(decideCommand(stop, cmdView(), new Set())).toEqual({ do: 'stop', graceMs: 30_000 });
    expect(decideCommand(stop, cmdView({ state: 'starting' }), new Set())).toEqual({
      do: 'stop',
      graceMs: 30_000,
    });
    expect(decideCommand(stop, cmdView({ stopping: true }), new Set()).do).toBe('ignore');
    expect(decideCommand(stop, cmdView({ state: 'exited' }), new Set()).do).toBe('ignore');
    expect(decideCommand(stop, undefined, new Set()).do).toBe('ignore');
  });

  it('checkpoints until the order’s deadline, once per standing order', () => {
    expect(decideCommand(checkpoint, cmdView(), new Set())).toEqual({
      do: 'checkpoint',
      deadline: Date.parse('2030-01-01T00:00:25.000Z'),
    });
    expect(decideCommand(checkpoint, cmdView(), new Set([commandKey(checkpoint)])).do).toBe('ignore');
    // The daemon moves the deadline in every answer; the order is the same order.
    expect(commandKey({ ...checkpoint, deadline: '2030-01-01T00:00:26.000Z' })).toBe(commandKey(checkpoint));
    expect([...standingKeys([checkpoint, stop])]).toEqual([commandKey(checkpoint), commandKey(stop)]);
  });

  it('joins a checkpoint under way, and answers with the notice’s checkpoint when there is one', () => {
    expect(decideCommand(checkpoint, cmdView({ checkpointInFlight: true }), new Set())).toEqual({
      do: 'join',
    });
    expect(decideCommand(checkpoint, cmdView({ noticeCheckpointDone: true }), new Set())).toEqual({
      do: 'report-again',
    });
  });

  it('does not ask a job that cannot checkpoint, has not started, or is stopping', () => {
    expect(decideCommand(checkpoint, cmdView({ checkpoints: false }), new Set())).toMatchObject({
      do: 'ignore',
      why: 'the job has no checkpoint directory',
    });
    expect(decideCommand(checkpoint, cmdView({ state: 'starting' }), new Set()).do).toBe('ignore');
    expect(decideCommand(checkpoint, cmdView({ stopping: true }), new Set()).do).toBe('ignore');
  });
});

describe('the notice window', () => {
  const seen = Date.parse('2030-01-01T00:00:00.000Z');
  const notice = (cloud: 'aws' | 'gcp' | 'azure', deadline: Date | null) => ({
    cloud,
    kind: 'preempt' as const,
    deadline,
    raw: '',
  });

  it('waits until the deadline less the margin', () => {
    expect(checkpointWaitUntil(notice('aws', new Date(seen + 120_000)), seen, 5_000)).toBe(seen + 115_000);
  });

  it('uses the cloud’s window when the notice states no deadline', () => {
    expect(checkpointWaitUntil(notice('azure', null), seen, 5_000)).toBe(seen + 25_000);
    expect(checkpointWaitUntil(notice('gcp', null), seen, 5_000)).toBe(seen + 25_000);
    expect(checkpointWaitUntil(notice('aws', null), seen, 5_000)).toBe(seen + 115_000);
  });

  it('never ends before the notice was seen', () => {
    expect(checkpointWaitUntil(notice('azure', new Date(seen + 2_000)), seen, 5_000)).toBe(seen);
  });
});

describe('protocol shapes', () => {
  it('sends output as the logs call takes it, marking a line that was not a metric', () => {
    const body = logsBody('job-1', {
      items: [
        { kind: 'log', stream: 'stderr', text: 'warming up', at: 0 },
        { kind: 'metric', at: 1000, step: 10, values: { loss: 0.5 } },
        { kind: 'log', stream: 'stdout', text: 'GPUSCHED_METRIC {', at: 2000, metricError: 'not JSON' },
      ],
      droppedLogLines: 2,
      droppedMetrics: 1,
    });
    expect(body).toEqual({
      items: [
        { jobId: 'job-1', at: '1970-01-01T00:00:00.000Z', stream: 'stderr', text: 'warming up' },
        { jobId: 'job-1', at: '1970-01-01T00:00:01.000Z', step: 10, values: { loss: 0.5 } },
        {
          jobId: 'job-1',
          at: '1970-01-01T00:00:02.000Z',
          stream: 'stdout',
          text: 'GPUSCHED_METRIC { [gpusched: not a metric: not JSON]',
        },
      ],
      dropped: 3,
    });
    expect(Value.Check(LogsBody, body)).toBe(true);
  });

  it('sends telemetry the schema accepts, MIG devices included', () => {
    const t: NodeTelemetry = {
      at: '2030-01-01T00:00:00.000Z',
      host: {
        hostname: 'n1',
        cpus: 8,
        loadAverage: [0.5, 0.4, 0.3],
        memoryTotalBytes: 8 * 1048576,
        memoryFreeBytes: 2 * 1048576,
        uptimeSeconds: 10,
      },
      gpuSource: 'nvidia-smi',
      gpus: [gpu(0, [{ profile: '1g.10gb', device: 0, uuid: 'MIG-a' }])],
      gpuProblems: [],
    };
    const out = protocolTelemetry(t);
    expect(Value.Check(Telemetry, out)).toBe(true);
    expect(out.host).toMatchObject({ load1: 0.5, memoryUsedMiB: 6, memoryTotalMiB: 8 });
    expect(out.gpus[0]).toMatchObject({ index: 0, utilizationPct: null, mig: [{ uuid: 'MIG-a' }] });
  });
});

describe('manifests', () => {
  const m = (step: number, at = '2030-01-01T00:00:00.000Z', path = `step-${step}`) => ({
    step,
    path,
    at,
    absolutePath: `/ckpt/${path}`,
  });

  it('tells a new manifest by change, not by a higher step (a resumed run may find a later one)', () => {
    expect(sameManifest(m(160), m(160))).toBe(true);
    expect(sameManifest(m(160), m(160, '2030-01-01T00:00:00Z'))).toBe(true);
    expect(sameManifest(m(156), m(160))).toBe(false);
    expect(sameManifest(m(160, '2030-01-01T00:00:01.000Z'), m(160))).toBe(false);
    expect(sameManifest(m(160), null)).toBe(false);
    expect(sameManifest(null, null)).toBe(true);
  });
});

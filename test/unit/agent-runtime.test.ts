import { describe, expect, it } from 'vitest';
import {
  AssignmentError,
  checkAssignment,
  contractEnv,
  dockerRunArgs,
  type GpuSelection,
  gpuEnv,
  LineSplitter,
  type WorkloadAssignment,
  workloadEnv,
} from '../../src/agent/runtime/index.js';

const MIG_A = 'MIG-feb88891-0321-5fef-9c87-d4af3b54259e';
const MIG_B = 'MIG-a25704ba-3a06-5299-a795-fd7cf4d13973';
const GPU_UUID = 'GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16';

function assignment(over: Partial<WorkloadAssignment> = {}): WorkloadAssignment {
  return {
    jobId: 'job-0123456789ab',
    image: 'ghcr.io/acme/train:1.4',
    command: ['python', 'train.py', '--epochs', '3'],
    gpus: { kind: 'whole', indices: [0, 1] },
    checkpointDir: '/ckpt/llama',
    ...over,
  };
}

describe('the GPU selection, as environment variables', () => {
  it.each<[string, GpuSelection, Record<string, string>, Record<string, string>]>([
    ['no GPU hides every GPU', { kind: 'none' }, { CUDA_VISIBLE_DEVICES: '' }, { CUDA_VISIBLE_DEVICES: '' }],
    [
      'whole GPUs keep their host indices on the host, and are renumbered from 0 in a container',
      { kind: 'whole', indices: [2, 3] },
      { CUDA_VISIBLE_DEVICES: '2,3' },
      { CUDA_VISIBLE_DEVICES: '0,1' },
    ],
    [
      'MIG devices go by UUID on both sides',
      { kind: 'mig', uuids: [MIG_A, MIG_B] },
      { CUDA_VISIBLE_DEVICES: `${MIG_A},${MIG_B}` },
      { CUDA_VISIBLE_DEVICES: `${MIG_A},${MIG_B}` },
    ],
    [
      'an MPS share sets its thread percentage, and a memory limit on the one device the client sees',
      { kind: 'mps', device: GPU_UUID, activeThreadPercentage: 25, pinnedMemoryMiB: 10240 },
      {
        CUDA_VISIBLE_DEVICES: GPU_UUID,
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '25',
        CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: '0=10240M',
      },
      {
        CUDA_VISIBLE_DEVICES: '0',
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '25',
        CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: '0=10240M',
      },
    ],
    [
      'an MPS daemon with its own pipe directory is named to the client',
      { kind: 'mps', device: '1', activeThreadPercentage: 50, pipeDirectory: '/run/mps-1' },
      {
        CUDA_VISIBLE_DEVICES: '1',
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '50',
        CUDA_MPS_PIPE_DIRECTORY: '/run/mps-1',
      },
      {
        CUDA_VISIBLE_DEVICES: '0',
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '50',
        CUDA_MPS_PIPE_DIRECTORY: '/run/mps-1',
      },
    ],
  ])('%s', (_what, gpus, onHost, inContainer) => {
    expect(gpuEnv(gpus, false)).toEqual(onHost);
    expect(gpuEnv(gpus, true)).toEqual(inContainer);
  });
});

describe('the job contract’s variables', () => {
  it('name the job and its checkpoint directory, with the default checkpoint signal', () => {
    expect(contractEnv(assignment({ gpus: { kind: 'none' } }), false)).toEqual({
      GPUSCHED_JOB_ID: 'job-0123456789ab',
      GPUSCHED_CHECKPOINT_DIR: '/ckpt/llama',
      GPUSCHED_CHECKPOINT_SIGNAL: 'SIGUSR1',
      CUDA_VISIBLE_DEVICES: '',
    });
  });

  it('add the checkpoint to resume from, the spec’s signal and period only when there are some', () => {
    const env = contractEnv(
      assignment({
        resumeFrom: '/ckpt/llama/step-1200',
        checkpointSignal: 'SIGUSR2',
        checkpointEveryMinutes: 30,
      }),
      false,
    );
    expect(env).toMatchObject({
      GPUSCHED_RESUME_FROM: '/ckpt/llama/step-1200',
      GPUSCHED_CHECKPOINT_SIGNAL: 'SIGUSR2',
      GPUSCHED_CHECKPOINT_EVERY_MINUTES: '30',
    });
  });

  it('win over the spec’s env: a job cannot fake a resume or widen its GPUs', () => {
    const env = workloadEnv(
      assignment({
        env: {
          HF_HOME: '/cache',
          GPUSCHED_RESUME_FROM: '/elsewhere',
          CUDA_VISIBLE_DEVICES: '0,1,2,3,4,5,6,7',
        },
      }),
      false,
    );
    expect(env.HF_HOME).toBe('/cache');
    expect(env.GPUSCHED_RESUME_FROM).toBeUndefined();
    expect(env.CUDA_VISIBLE_DEVICES).toBe('0,1');
  });
});

describe('assignments a runtime refuses, naming the field', () => {
  it.each<[string, Partial<WorkloadAssignment>, 'process' | 'docker', string]>([
    ['a job id that cannot be part of a container name', { jobId: 'job/1' }, 'docker', 'jobId'],
    ['a relative checkpoint directory', { checkpointDir: 'ckpt' }, 'process', 'checkpointDir'],
    ['a relative checkpoint to resume from', { resumeFrom: 'step-1' }, 'process', 'resumeFrom'],
    ['an image without a command, for the process runtime', { command: undefined }, 'process', 'command'],
    ['a command without an image, for the docker runtime', { image: undefined }, 'docker', 'image'],
    ['an empty command', { command: [] }, 'process', 'command'],
    ['an argument with a NUL character', { command: ['a', 'b\0c'] }, 'process', 'command.1'],
    ['an environment variable with an invalid name', { env: { 'A-B': '1' } }, 'process', 'env.A-B'],
    [
      'a checkpoint signal the node does not know',
      { checkpointSignal: 'SIGNOPE' },
      'process',
      'checkpointSignal',
    ],
    [
      'a checkpoint signal that is neither a signal nor a URL',
      { checkpointSignal: 'usr1' },
      'process',
      'checkpointSignal',
    ],
    ['a checkpoint period of zero', { checkpointEveryMinutes: 0 }, 'process', 'checkpointEveryMinutes'],
    ['no GPU index at all', { gpus: { kind: 'whole', indices: [] } }, 'process', 'gpus.indices'],
    ['a GPU index twice', { gpus: { kind: 'whole', indices: [1, 1] } }, 'process', 'gpus.indices'],
    ['a negative GPU index', { gpus: { kind: 'whole', indices: [-1] } }, 'process', 'gpus.indices'],
    [
      'a GPU UUID where a MIG UUID belongs',
      { gpus: { kind: 'mig', uuids: [GPU_UUID] } },
      'docker',
      'gpus.uuids.0',
    ],
    [
      'an MPS share over 100 %',
      { gpus: { kind: 'mps', device: '0', activeThreadPercentage: 101 } },
      'process',
      'gpus.activeThreadPercentage',
    ],
    [
      'an MPS share on two devices',
      { gpus: { kind: 'mps', device: '0,1', activeThreadPercentage: 50 } },
      'process',
      'gpus.device',
    ],
  ])('%s', (_what, over, runtime, field) => {
    let error: unknown;
    try {
      checkAssignment(assignment(over), runtime);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AssignmentError);
    expect((error as AssignmentError).field).toBe(field);
    // The message leads with the field, as the API's validation errors do.
    expect((error as AssignmentError).message.startsWith(`${field}: `)).toBe(true);
  });

  it('passes a checkpoint URL on to the job: the spec may name one instead of a signal', () => {
    const a = assignment({ checkpointSignal: 'http://127.0.0.1:8080/checkpoint' });
    expect(() => checkAssignment(a, 'process')).not.toThrow();
    expect(contractEnv(a, false).GPUSCHED_CHECKPOINT_SIGNAL).toBe('http://127.0.0.1:8080/checkpoint');
  });

  it('accepts the example job on both runtimes', () => {
    expect(() => checkAssignment(assignment(), 'docker')).not.toThrow();
    expect(() => checkAssignment(assignment(), 'process')).not.toThrow();
  });
});

describe('docker run’s argv', () => {
  const head = [
    'run',
    '--rm',
    '--init',
    '--name',
    'gpusched-job-0123456789ab',
    '--label',
    'gpusched.job-id=job-0123456789ab',
  ];

  it('selects whole GPUs with the quoted device list, mounts the checkpoint directory at the same path', () => {
    expect(dockerRunArgs(assignment({ env: { HF_HOME: '/cache' } }))).toEqual([
      ...head,
      '--gpus',
      '"device=0,1"',
      '-v',
      '/ckpt/llama:/ckpt/llama',
      '-e',
      'HF_HOME=/cache',
      '-e',
      'GPUSCHED_JOB_ID=job-0123456789ab',
      '-e',
      'GPUSCHED_CHECKPOINT_DIR=/ckpt/llama',
      '-e',
      'GPUSCHED_CHECKPOINT_SIGNAL=SIGUSR1',
      '-e',
      'CUDA_VISIBLE_DEVICES=0,1',
      'ghcr.io/acme/train:1.4',
      'python',
      'train.py',
      '--epochs',
      '3',
    ]);
  });

  it('selects MIG devices by UUID', () => {
    const args = dockerRunArgs(assignment({ gpus: { kind: 'mig', uuids: [MIG_A] } }));
    expect(args.slice(head.length, head.length + 2)).toEqual(['--gpus', `"device=${MIG_A}"`]);
    expect(args).toContain(`CUDA_VISIBLE_DEVICES=${MIG_A}`);
  });

  it('gives an MPS client the host’s IPC namespace and the MPS pipe directory', () => {
    const args = dockerRunArgs(
      assignment({ gpus: { kind: 'mps', device: GPU_UUID, activeThreadPercentage: 25 } }),
    );
    expect(args.slice(head.length, head.length + 5)).toEqual([
      '--gpus',
      `"device=${GPU_UUID}"`,
      '--ipc=host',
      '-v',
      '/tmp/nvidia-mps:/tmp/nvidia-mps',
    ]);
  });

  it('asks for no GPU when the job has none', () => {
    expect(dockerRunArgs(assignment({ gpus: { kind: 'none' } }))).not.toContain('--gpus');
  });

  it.each([
    ['inside the checkpoint directory: already mounted', '/ckpt/llama/step-1200', []],
    [
      'elsewhere: mounted read-only at the same path',
      '/ckpt/old-run/step-9',
      ['-v', '/ckpt/old-run/step-9:/ckpt/old-run/step-9:ro'],
    ],
  ])('a checkpoint to resume from %s', (_where, resumeFrom, extra) => {
    const args = dockerRunArgs(assignment({ resumeFrom }));
    const at = args.indexOf('/ckpt/llama:/ckpt/llama');
    expect(args.slice(at + 1, at + 1 + extra.length)).toEqual(extra);
    expect(args).toContain(`GPUSCHED_RESUME_FROM=${resumeFrom}`);
  });

  it('puts the working directory and the node’s extra run arguments before the image, and no command when the image has its own', () => {
    const args = dockerRunArgs(assignment({ command: undefined, workDir: '/work' }), ['--shm-size=16g']);
    expect(args.slice(-4)).toEqual(['--workdir', '/work', '--shm-size=16g', 'ghcr.io/acme/train:1.4']);
  });
});

describe('splitting output into lines', () => {
  it.each<[string, (string | Buffer)[], string[]]>([
    ['lines split across chunks are joined', ['los', 's 0.3\nstep', ' 2\n'], ['loss 0.3', 'step 2']],
    ['\\r\\n ends a line like \\n', ['a\r\nb\r\n'], ['a', 'b']],
    ['a last line without a newline is given at the end', ['done'], ['done']],
    ['empty lines are lines', ['\n\n'], ['', '']],
    [
      'a UTF-8 character split across chunks stays whole',
      [Buffer.from([0x6c, 0x6f, 0x73, 0x73, 0x20, 0xe2, 0x86]), Buffer.from([0x93, 0x0a])],
      ['loss ↓'],
    ],
  ])('%s', (_what, chunks, expected) => {
    const s = new LineSplitter();
    expect([...chunks.flatMap((c) => s.push(c)), ...s.end()]).toEqual(expected);
  });

  it('cuts a line longer than the limit into pieces, before it has ended', () => {
    const s = new LineSplitter(4);
    expect(s.push('abcdefghij')).toEqual(['abcd', 'efgh']);
    expect(s.push('kl\nmnopqr\n')).toEqual(['ijkl', 'mnop', 'qr']);
    expect(s.end()).toEqual([]);
  });
});

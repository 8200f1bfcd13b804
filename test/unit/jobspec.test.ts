import { describe, expect, it } from 'vitest';
import { validateJobSpec } from '../../src/core/jobspec.js';
import { T0 } from '../helpers/builders.js';

const valid = {
  name: 'llama-8b-finetune',
  kind: 'batch',
  image: 'ghcr.io/acme/train:1.4',
  command: ['python', 'train.py'],
  resources: {
    gpu: { models: ['A100', 'H100'], count: 8, minMemoryGiB: 40 },
    nodes: 1,
    cpus: 32,
    memoryGiB: 200,
  },
  data: [{ uri: 's3://acme-datasets/c4', region: 'aws:us-east-1', sizeGiB: 800 }],
  checkpoint: { dir: '/ckpt/llama', signal: 'SIGUSR1', graceSeconds: 60, everyMinutes: 30 },
  runtime: { estimateHours: 10, maxHours: 16 },
  deadline: '2026-12-03T09:00:00Z',
  market: 'auto',
  priority: 50,
  dependsOn: ['prepare-data'],
  labels: { project: 'llm' },
  constraints: { clouds: ['aws', 'gcp'], regionsExclude: ['aws:ap-south-1'] },
};

function issuesOf(doc: unknown) {
  const r = validateJobSpec(doc, T0);
  return r.ok ? [] : r.issues;
}

describe('a job spec', () => {
  it('accepts the example of DESIGN.md', () => {
    expect(validateJobSpec(valid, T0)).toEqual({ ok: true, spec: valid });
  });

  it('accepts a fractional inference deployment', () => {
    const inference = {
      name: 'chat',
      kind: 'inference',
      image: 'vllm:latest',
      replicas: 3,
      resources: { gpu: { fraction: 0.25, memoryGiB: 10 } },
    };
    expect(issuesOf(inference)).toEqual([]);
  });

  it('reports every error at once, each with its path', () => {
    const bad = {
      ...valid,
      name: '',
      resources: { gpu: { count: 0 }, nodes: 1 },
      data: [{ uri: 's3://x', region: 'us-east-1', sizeGiB: 1 }],
      surprise: true,
    };
    const paths = issuesOf(bad).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'resources.gpu.count', 'data.0.region', 'surprise']),
    );
  });

  it.each([
    ['neither count nor fraction', { resources: { gpu: { models: ['A100'] } } }, 'resources.gpu'],
    [
      'count and fraction together',
      { resources: { gpu: { count: 1, fraction: 0.5, memoryGiB: 5 } } },
      'resources.gpu.fraction',
    ],
    ['a fraction without memory', { resources: { gpu: { fraction: 0.5 } } }, 'resources.gpu.memoryGiB'],
    [
      'an unknown GPU model',
      { resources: { gpu: { models: ['Z9000'], count: 1 } } },
      'resources.gpu.models.0',
    ],
    ['maxHours below the estimate', { runtime: { estimateHours: 5, maxHours: 2 } }, 'runtime.maxHours'],
    ['a deadline in the past', { deadline: '2020-01-01T00:00:00Z' }, 'deadline'],
    ['a batch job without an estimate', { runtime: undefined }, 'runtime.estimateHours'],
    ['no image and no command', { image: undefined, command: undefined }, 'image'],
    [
      'a region outside the allowed clouds',
      { constraints: { clouds: ['gcp'], regions: ['aws:us-east-1'] } },
      'constraints.regions.0',
    ],
    ['a dependency on itself', { dependsOn: ['llama-8b-finetune'] }, 'dependsOn'],
    ['replicas on a batch job', { replicas: 2 }, 'replicas'],
    ['a label key with a space', { labels: { 'bad key': 'x' } }, 'labels.bad key'],
    ['an environment variable name with a dash', { env: { 'MY-VAR': '1' } }, 'env.MY-VAR'],
  ])('refuses %s', (_what, change, path) => {
    const doc = JSON.parse(JSON.stringify({ ...valid, ...change }));
    expect(issuesOf(doc).map((i) => i.path)).toContain(path);
  });

  it('refuses a misspelt key instead of ignoring it', () => {
    expect(issuesOf({ ...valid, resources: { ...valid.resources, gpus: 8 } })).toContainEqual(
      expect.objectContaining({ path: 'resources.gpus' }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  type CheckpointManifest,
  CheckpointManifestError,
  isNewerManifest,
  parseCheckpointManifest,
  resumePath,
  toCheckpoint,
} from '../../src/agent/checkpoint.js';

const DIR = '/ckpt/llama';
const AT = '2025-06-01T12:00:00.000Z';

function parse(value: unknown): CheckpointManifest {
  return parseCheckpointManifest(typeof value === 'string' ? value : JSON.stringify(value), DIR);
}

function issuesOf(value: unknown): { path: string; message: string }[] {
  try {
    parse(value);
  } catch (e) {
    if (e instanceof CheckpointManifestError) return [...e.issues];
    throw e;
  }
  throw new Error('expected the manifest to be refused');
}

describe('a valid latest.json', () => {
  it('gives the checkpoint’s step, relative path, time and absolute path', () => {
    expect(parse({ step: 1200, path: 'step-1200', at: AT })).toEqual({
      step: 1200,
      path: 'step-1200',
      at: AT,
      absolutePath: '/ckpt/llama/step-1200',
    });
  });

  it('keeps the optional size, which prices a move across regions', () => {
    expect(parse({ step: 3, path: 'runs/a/step-3', at: AT, bytes: 734003200 }).bytes).toBe(734003200);
  });

  it('ignores keys of the job’s own, so a job can keep notes there', () => {
    expect(parse({ step: 0, path: 'step-0', at: AT, epoch: 2, note: 'warmup' })).not.toHaveProperty('epoch');
  });

  it('accepts a path that wanders but stays inside the checkpoint directory', () => {
    expect(parse({ step: 1, path: 'a/../step-1', at: AT }).absolutePath).toBe('/ckpt/llama/step-1');
  });
});

describe('an invalid latest.json is refused, naming the field', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['text that is not JSON', '{"step": 1,', '', /not JSON/],
    ['a list', [1, 2], '', /expected a mapping/],
    ['a fractional step', { step: 1.5, path: 'p', at: AT }, 'step', /expected an integer, got 1\.5/],
    ['a negative step', { step: -1, path: 'p', at: AT }, 'step', /at least 0/],
    [
      'a step written as a string',
      { step: '12', path: 'p', at: AT },
      'step',
      /expected an integer, got "12"/,
    ],
    ['no path', { step: 1, at: AT }, 'path', /is required/],
    ['an empty path', { step: 1, path: '', at: AT }, 'path', /must not be empty/],
    ['a time that is not ISO 8601', { step: 1, path: 'p', at: 'yesterday' }, 'at', /date-time/],
    ['a negative size', { step: 1, path: 'p', at: AT, bytes: -5 }, 'bytes', /at least 0/],
    ['an absolute path', { step: 1, path: '/etc', at: AT }, 'path', /relative to the checkpoint directory/],
    ['a path to the parent', { step: 1, path: '..', at: AT }, 'path', /leads outside/],
    ['a path that climbs out', { step: 1, path: 'step-1/../../other-job', at: AT }, 'path', /leads outside/],
    ['the checkpoint directory itself', { step: 1, path: '.', at: AT }, 'path', /not the directory itself/],
    ['a NUL character in the path', { step: 1, path: 'step\u00001', at: AT }, 'path', /NUL/],
  ])('%s', (_what, value, field, message) => {
    const issues = issuesOf(value);
    const issue = issues.find((i) => i.path === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('lists every problem at once, and names the file', () => {
    try {
      parse({ step: 'x', path: '../x', at: 'now' });
      expect.unreachable();
    } catch (e) {
      const error = e as CheckpointManifestError;
      expect(error.issues.map((i) => i.path).sort()).toEqual(['at', 'path', 'step']);
      expect(error.message).toMatch(/^\/ckpt\/llama\/latest\.json is not a valid checkpoint manifest:\n/);
    }
  });
});

describe('which manifest is newer', () => {
  const m = (step: number, at: string) => parse({ step, path: `step-${step}`, at });

  it.each<[string, CheckpointManifest, CheckpointManifest | null, boolean]>([
    ['any manifest, when there was none', m(0, AT), null, true],
    ['a higher step', m(101, AT), m(100, AT), true],
    [
      'a lower step, even written later (a resume from an older checkpoint)',
      m(99, '2030-01-01T00:00:00Z'),
      m(100, AT),
      false,
    ],
    [
      'the same step written again later (a signal right after a periodic checkpoint)',
      m(100, '2025-06-01T12:00:05Z'),
      m(100, AT),
      true,
    ],
    ['the very same manifest', m(100, AT), m(100, AT), false],
  ])('%s', (_what, manifest, after, newer) => {
    expect(isNewerManifest(manifest, after)).toBe(newer);
  });
});

describe('what is recorded, and what a resume is given', () => {
  it('records the path relative to the job’s checkpoint directory, and resumes from it joined to the node’s', () => {
    const recorded = toCheckpoint(parse({ step: 7, path: 'step-7', at: AT, bytes: 10 }));
    expect(recorded).toEqual({ path: 'step-7', step: 7, at: AT });
    expect(resumePath('/mnt/bucket/llama', recorded)).toBe('/mnt/bucket/llama/step-7');
  });

  it('will not resume from a recorded path that leads outside the checkpoint directory', () => {
    expect(() => resumePath('/mnt/bucket/llama', { path: '../../etc' })).toThrow(/leads outside/);
  });
});

// Reading latest.json from a real directory, and waiting for a new one after the checkpoint signal.
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointManifestError,
  readLatestCheckpoint,
  waitForCheckpoint,
} from '../../src/agent/checkpoint.js';

function checkpointDir(): string {
  return mkdtempSync(join(tmpdir(), 'gpusched-ckpt-'));
}

/** What a job does: the checkpoint's directory first, then the manifest, written and renamed into place. */
function writeCheckpoint(dir: string, step: number, at = new Date().toISOString()): void {
  mkdirSync(join(dir, `step-${step}`), { recursive: true });
  writeFileSync(join(dir, 'latest.json.tmp'), JSON.stringify({ step, path: `step-${step}`, at }));
  renameSync(join(dir, 'latest.json.tmp'), join(dir, 'latest.json'));
}

describe('reading latest.json', () => {
  it('finds none before the job has written one', async () => {
    expect(await readLatestCheckpoint(checkpointDir())).toBeNull();
  });

  it('reads the one the job wrote', async () => {
    const dir = checkpointDir();
    writeCheckpoint(dir, 40, '2025-06-01T12:00:00.000Z');
    expect(await readLatestCheckpoint(dir)).toEqual({
      step: 40,
      path: 'step-40',
      at: '2025-06-01T12:00:00.000Z',
      absolutePath: join(dir, 'step-40'),
    });
  });

  it.each([
    [
      'a checkpoint directory that is not there',
      (dir: string) => writeManifest(dir, 'step-9'),
      /does not exist/,
    ],
    [
      'a link that leads outside the checkpoint directory',
      (dir: string) => {
        symlinkSync(checkpointDir(), join(dir, 'step-9'));
        writeManifest(dir, 'step-9');
      },
      /leads outside the checkpoint directory/,
    ],
    [
      'a file where the checkpoint directory should be',
      (dir: string) => {
        writeFileSync(join(dir, 'step-9'), '');
        writeManifest(dir, 'step-9');
      },
      /is not a directory/,
    ],
  ])('refuses a manifest naming %s', async (_what, arrange, message) => {
    const dir = checkpointDir();
    arrange(dir);
    const error = await readLatestCheckpoint(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointManifestError);
    expect((error as CheckpointManifestError).issues[0]).toMatchObject({
      path: 'path',
      message: expect.stringMatching(message),
    });
  });
});

function writeManifest(dir: string, path: string): void {
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ step: 9, path, at: '2025-06-01T12:00:00Z' }));
}

describe('waiting for the checkpoint after the signal', () => {
  it('resolves with the new manifest once the job writes it', async () => {
    const dir = checkpointDir();
    writeCheckpoint(dir, 100, '2025-06-01T12:00:00.000Z');
    const before = await readLatestCheckpoint(dir);
    setTimeout(() => writeCheckpoint(dir, 117), 100);
    const m = await waitForCheckpoint({ dir, after: before, deadline: Date.now() + 5000, pollMs: 10 });
    expect(m).toMatchObject({ step: 117, path: 'step-117' });
  });

  it('does not take the manifest that was already there for the answer', async () => {
    const dir = checkpointDir();
    writeCheckpoint(dir, 100);
    const before = await readLatestCheckpoint(dir);
    const started = Date.now();
    expect(await waitForCheckpoint({ dir, after: before, deadline: started + 150, pollMs: 10 })).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('gives up at the deadline (the notice window less the margin) with null', async () => {
    expect(
      await waitForCheckpoint({ dir: checkpointDir(), after: null, deadline: Date.now() + 50, pollMs: 10 }),
    ).toBeNull();
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const wait = waitForCheckpoint({
      dir: checkpointDir(),
      after: null,
      deadline: Date.now() + 10_000,
      signal: controller.signal,
    });
    expect(await wait).toBeNull();
  });

  it('reports a bad manifest once and keeps waiting for a good one', async () => {
    const dir = checkpointDir();
    writeFileSync(join(dir, 'latest.json'), '{"step": "soon"}');
    const problems: string[] = [];
    setTimeout(() => writeCheckpoint(dir, 5), 100);
    const m = await waitForCheckpoint({
      dir,
      after: null,
      deadline: Date.now() + 5000,
      pollMs: 10,
      onInvalid: (e) => problems.push(e.message),
    });
    expect(m?.step).toBe(5);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/step: expected an integer/);
  });
});

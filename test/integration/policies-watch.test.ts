// The policy folder on disk: loading it, and hot reload, where a bad edit keeps the last good set in force
// and is reported once, and a fix (or any valid change) replaces the set.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatPolicyIssue,
  loadPolicyDir,
  PolicyError,
  type PolicyIssue,
  type PolicySet,
} from '../../src/policies/load.js';
import { PolicyWatcher, type PolicyWatcherOptions } from '../../src/policies/watch.js';

const policy = (name: string, limit = 100) =>
  `name: ${name}\nscope: { team: ${name} }\nperiod: monthly\nlimitUsd: ${limit}\naction: block-new\n`;

/** Temp folders made by the tests, removed after each. */
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'gpusched-policies-'));
  made.push(root);
  const dir = join(root, 'policies');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const names = (set: PolicySet) => set.policies.map((p) => `${p.name}:${p.limitUsd}`);

describe('loadPolicyDir', () => {
  it('reads *.yaml and *.yml by name, and nothing else', () => {
    const dir = folder({
      'b.yml': policy('b'),
      'a.yaml': policy('a'),
      'README.md': '# not a policy',
      '.a.yaml.swp': 'garbage',
      'a.yaml~': 'garbage',
    });
    const result = loadPolicyDir(dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(names(result.set)).toEqual(['a:100', 'b:100']);
    expect(result.set.files).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yml')]);
    expect(result.set.policies[0]?.source).toEqual({ file: join(dir, 'a.yaml'), line: 1 });
    expect(Object.isFrozen(result.set.policies[0]?.alerts.thresholds)).toBe(true);
  });

  it('an empty folder is a valid set with no budgets', () => {
    const result = loadPolicyDir(folder());
    expect(result).toMatchObject({ ok: true, set: { policies: [] } });
  });

  it('a missing folder is an error naming it', () => {
    const dir = join(tmpdir(), 'gpusched-no-such-folder');
    const result = loadPolicyDir(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatPolicyIssue)).toEqual([`${dir}: cannot read the policy folder: ENOENT`]);
  });

  it('names every bad file and line', () => {
    const dir = folder({ 'a.yaml': policy('a', -1), 'b.yaml': policy('a') });
    const result = loadPolicyDir(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatPolicyIssue)).toEqual([
      `${join(dir, 'a.yaml')}:4: limitUsd: must be greater than 0, got -1`,
    ]);
  });

  it('the example policies shipped in policies/ load', () => {
    const result = loadPolicyDir('policies');
    if (!result.ok) throw new PolicyError(result.issues);
    expect(result.set.policies.length).toBeGreaterThan(0);
  });
});

describe('PolicyWatcher', () => {
  const watchers: PolicyWatcher[] = [];
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close();
  });

  function watch(dir: string, over: Partial<PolicyWatcherOptions> = {}) {
    const changes: PolicySet[] = [];
    const errors: { issues: readonly PolicyIssue[]; kept: PolicySet; fingerprint: string }[] = [];
    const watcher = PolicyWatcher.start({
      dir,
      debounceMs: 20,
      pollMs: 0,
      onChange: (set) => changes.push(set),
      onError: (issues, kept, fingerprint) => errors.push({ issues, kept, fingerprint }),
      ...over,
    });
    watchers.push(watcher);
    return { watcher, changes, errors };
  }

  it('refuses to start on an invalid folder: there is no last good set to keep', () => {
    const dir = folder({ 'a.yaml': policy('a', 0) });
    expect(() => watch(dir)).toThrow(PolicyError);
    expect(() => watch(dir)).toThrow(/a\.yaml:4: limitUsd: must be greater than 0, got 0/);
  });

  it('a valid edit is in force after the debounce', async () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher, changes } = watch(dir);
    expect(names(watcher.current)).toEqual(['a:100']);
    writeFileSync(join(dir, 'a.yaml'), policy('a', 250));
    writeFileSync(join(dir, 'b.yaml'), policy('b'));
    await until(() => names(watcher.current).join() === 'a:250,b:100');
    expect(changes.length).toBeGreaterThanOrEqual(1);
    expect(names(changes.at(-1) as PolicySet)).toEqual(['a:250', 'b:100']);
  });

  it('a bad edit keeps the last good set in force and is reported once; the fix replaces it', async () => {
    const dir = folder({ 'a.yaml': policy('a'), 'b.yaml': policy('b') });
    const { watcher, changes, errors } = watch(dir);
    writeFileSync(join(dir, 'b.yaml'), policy('b', -5));
    await until(() => errors.length === 1);
    expect(names(watcher.current)).toEqual(['a:100', 'b:100']);
    expect(errors[0]?.issues.map(formatPolicyIssue)).toEqual([
      `${join(dir, 'b.yaml')}:4: limitUsd: must be greater than 0, got -5`,
    ]);
    expect(names(errors[0]?.kept as PolicySet)).toEqual(['a:100', 'b:100']);
    expect(errors[0]?.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    // Saving the same bad content again is not news.
    writeFileSync(join(dir, 'b.yaml'), policy('b', -5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watcher.reload()).toBe('unchanged');
    expect(errors).toHaveLength(1);

    writeFileSync(join(dir, 'b.yaml'), policy('b', 300));
    await until(() => names(watcher.current).join() === 'a:100,b:300');
    expect(changes).toHaveLength(1);
  });

  it('a bad edit reverted to the content in force is reported as a change, so the daemon clears the error', () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher, changes, errors } = watch(dir, { fsEvents: false });
    writeFileSync(join(dir, 'a.yaml'), 'name: [');
    expect(watcher.reload()).toBe('invalid');
    writeFileSync(join(dir, 'a.yaml'), policy('a'));
    expect(watcher.reload()).toBe('changed');
    expect(errors).toHaveLength(1);
    expect(changes).toHaveLength(1);
  });

  it('deleting a file removes its policies', async () => {
    const dir = folder({ 'a.yaml': policy('a'), 'b.yaml': policy('b') });
    const { watcher } = watch(dir);
    rmSync(join(dir, 'b.yaml'));
    await until(() => names(watcher.current).join() === 'a:100');
  });

  it('an editor saving by rename (write a temp file, rename it over) is one change', async () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher, changes } = watch(dir);
    writeFileSync(join(dir, '.a.yaml.tmp'), policy('a', 999));
    renameSync(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
    await until(() => names(watcher.current).join() === 'a:999');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes).toHaveLength(1);
  });

  it('without file events the poll notices changes', async () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher } = watch(dir, { fsEvents: false, pollMs: 30 });
    writeFileSync(join(dir, 'a.yaml'), policy('a', 42));
    await until(() => names(watcher.current).join() === 'a:42');
  });

  it('a folder that is removed and recreated is watched again, and its removal reported meanwhile', async () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher, errors } = watch(dir, { pollMs: 30 });
    rmSync(dir, { recursive: true });
    await until(() => errors.length === 1);
    expect(errors[0]?.issues.map(formatPolicyIssue)).toEqual([
      `${dir}: cannot read the policy folder: ENOENT`,
    ]);
    expect(names(watcher.current)).toEqual(['a:100']);
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.yaml'), policy('a', 7));
    await until(() => names(watcher.current).join() === 'a:7');
    // Armed again: a later edit arrives by file event or poll either way.
    writeFileSync(join(dir, 'a.yaml'), policy('a', 8));
    await until(() => names(watcher.current).join() === 'a:8');
  });

  it('stops on close', async () => {
    const dir = folder({ 'a.yaml': policy('a') });
    const { watcher, changes } = watch(dir, { pollMs: 20 });
    watcher.close();
    writeFileSync(join(dir, 'a.yaml'), policy('a', 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes).toEqual([]);
    expect(watcher.reload()).toBe('unchanged');
  });
});

// `gpusched replay`: options, the report files and the table. The daemon's part is left out here (it has its own
// tests); the baselines and the bound replay the first minutes of a bundled scenario in a moment.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';

async function replay(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(['replay', ...args], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

describe('gpusched replay', () => {
  it('writes the JSON and HTML reports and prints the comparison', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-replay-cli-'));
    const r = await replay([
      '--scenario',
      'week-preemption',
      '--days',
      '0.05',
      '--policies',
      'skypilot,greedy,on-demand,lower-bound',
      '--out',
      dir,
      '--no-progress',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^policy\s+total\s+saved vs on-demand/);
    expect(r.out).toMatch(/on-demand \(home region\)\s+\$[\d,.]+\s+0\.0%/);
    expect(r.out).toContain(join(dir, 'week-preemption.json'));
    const report = JSON.parse(readFileSync(join(dir, 'week-preemption.json'), 'utf8'));
    expect(report.format).toBe('gpusched-replay-report/1');
    expect(report.policies.map((p: { policy: string }) => p.policy)).toEqual([
      'skypilot',
      'greedy',
      'on-demand',
      'lower-bound',
    ]);
    expect(existsSync(join(dir, 'week-preemption.html'))).toBe(true);
  });

  it('refuses an unknown policy and an unknown scenario with a usage error', async () => {
    expect((await replay(['--policies', 'magic'])).code).toBe(2);
    const missing = await replay(['--scenario', '/nonexistent/scenario.json', '--no-progress']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/scenario \/nonexistent\/scenario\.json/);
  });
});

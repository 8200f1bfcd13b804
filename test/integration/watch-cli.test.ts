// `gpusched watch` against a real daemon (listening on loopback): lines and JSON, filters, --since, errors.
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const JOB = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 1 },
};

let d: TestDaemon;
let url: string;
afterEach(async () => d?.stop());

async function start() {
  d = await testDaemon();
  url = await d.app.listen({ host: '127.0.0.1', port: 0 });
}

/** Runs `gpusched ...args` in-process; `during` runs once the command is under way. */
async function gpusched(args: string[], token: string, during: () => Promise<void> = async () => {}) {
  let out = '';
  let err = '';
  const run = main(['node', 'gpusched', ...args], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    env: { GPUSCHED_URL: url, GPUSCHED_TOKEN: token },
  });
  // Let the stream open before things happen.
  await new Promise((r) => setTimeout(r, 150));
  await during();
  await run;
  return { code: process.exitCode, out, err };
}

describe('gpusched watch', () => {
  it('prints each event as a line until --count', async () => {
    await start();
    const token = await d.teamToken('research');
    let id = '';
    const r = await gpusched(
      ['watch', '--count', '3', '--type', 'job.transition,job.placement'],
      token,
      async () => {
        id = (await d.call('POST', '/v1/jobs', token, JOB)).body.id;
        await d.advance(0);
      },
    );
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^\\S+  ${id} finetune \\(research\\): new → queued  submitted$`));
    expect(lines[1]).toContain(`${id} finetune (research): queued → scheduled  placed on`);
    expect(lines[2]).toMatch(
      new RegExp(`${id} finetune \\(research\\) placed on \\w+/\\S+ \\S+ spot at \\$\\d`),
    );
  });

  it('--json prints one event object per line, with the id to resume from; --since replays after it', async () => {
    await start();
    const token = await d.teamToken('research');
    let id = '';
    const first = await gpusched(
      ['watch', '--json', '--count', '1', '--type', 'job.transition'],
      token,
      async () => {
        id = (await d.call('POST', '/v1/jobs', token, JOB)).body.id;
      },
    );
    const submitted = JSON.parse(first.out);
    expect(submitted).toMatchObject({ type: 'job.transition', jobId: id, to: 'queued' });
    await d.advance(0);
    const again = await gpusched(
      ['watch', '--json', '--count', '2', '--type', 'job.transition', '--since', submitted.id],
      token,
    );
    expect(
      again.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).to),
    ).toEqual(['scheduled', 'provisioning']);
  });

  it('--job keeps one job', async () => {
    await start();
    const token = await d.teamToken('research');
    const a = (await d.call('POST', '/v1/jobs', token, JOB)).body.id;
    const r = await gpusched(
      ['watch', '--json', '--count', '1', '--job', a, '--type', 'job.transition'],
      token,
      async () => {
        await d.call('POST', '/v1/jobs', token, JOB);
        await d.call('DELETE', `/v1/jobs/${a}`, token);
      },
    );
    expect(JSON.parse(r.out)).toMatchObject({ jobId: a, to: 'cancelled' });
  });

  it('a bad token is an API error (exit 1); no daemon is exit 3; a bad type is a usage error (exit 2)', async () => {
    await start();
    const bad = await gpusched(['watch', '--count', '1'], 'gs_wrong');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown or revoked token');
    const usage = await gpusched(['watch', '--type', 'job.nope'], ADMIN);
    expect(usage.code).toBe(2);
    await d.stop();
    const gone = await gpusched(['watch', '--count', '1'], ADMIN);
    expect(gone.code).toBe(3);
  });
});

// `gpusched policies check DIR` and `gpusched alerts test`: local commands, no daemon.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slackMessage } from '../../src/alerts/blocks.js';
import { run } from '../../src/cli/main.js';
import { FakeSlack } from '../fakes/slack.js';

const NOW = new Date('2026-03-20T10:00:00.000Z');

async function gpusched(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
    now: () => NOW,
  });
  return { code, out, err };
}

function folder(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gpusched-check-')), 'policies');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('gpusched policies check DIR', () => {
  it('accepts the shipped examples and lists them (exit 0)', async () => {
    const r = await gpusched(['policies', 'check', 'policies']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('policies: 5 policies in 3 files, all valid');
    expect(lines[2]).toMatch(/^NAME\s+SCOPE\s+PERIOD\s+LIMIT\s+BURN CAP\s+ACTION\s+ALERTS\s+SLACK\s+FILE$/);
    expect(r.out).toMatch(
      /research-monthly\s+team research\s+monthly \(Europe\/Berlin\)\s+\$50,000\.00\s+\$2,000\.00\/h\s+block-new\s+50\/80\/100%, forecast\s+research\s+policies\/teams\.yaml:6/,
    );
    expect(r.out).toMatch(/prod-inference-daily\s+labels env=prod, tier in \(gold, silver\)/);
    expect(r.err).toBe('');
  });

  it('prints each problem as FILE:LINE: path: message and exits 2', async () => {
    const dir = folder({
      'a.yaml': 'name: a\nscope: { team: a }\nperiod: yearly\nlimitUsd: 5\n',
      'b.yaml':
        'name: b\nscope: { team: b }\nperiod: daily\nlimitUsd: 5\nalerts: { slack: "https://hooks.slack.com/services/T/B/secret123" }\n',
    });
    const r = await gpusched(['policies', 'check', dir]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toEqual([
      `${dir}/a.yaml:3: period: expected one of daily, weekly, monthly, got "yearly"`,
      `${dir}/b.yaml:5: alerts.slack: holds a URL; policy files must not contain URLs: a Slack webhook URL is a secret, so name the webhook (slack: research) and put its URL in GPUSCHED_SLACK_WEBHOOK_RESEARCH or the secret file <dataDir>/secrets/slack-research`,
      `gpusched: 2 problems in 2 files; the policies in ${dir} are not valid`,
      '',
    ]);
    expect(r.err).not.toContain('secret123');
  });

  it('--json: the policies with their defaults, or the issues (exit 2)', async () => {
    const good = folder({ 'a.yaml': 'name: a\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\n' });
    const ok = await gpusched(['policies', 'check', good, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({
      ok: true,
      dir: good,
      files: [`${good}/a.yaml`],
      policies: [
        {
          name: 'a',
          scope: { team: 'a' },
          period: 'daily',
          timezone: 'UTC',
          limitUsd: 5,
          action: 'alert',
          alerts: { thresholds: [50, 80, 100], forecast: true },
          source: { file: `${good}/a.yaml`, line: 1 },
        },
      ],
    });

    const bad = folder({ 'a.yaml': 'name: a\nscope: { team: a }\nperiod: daily\nlimitUsd: 0\n' });
    const no = await gpusched(['policies', 'check', bad, '--json']);
    expect(no.code).toBe(2);
    expect(JSON.parse(no.out)).toEqual({
      ok: false,
      dir: bad,
      issues: [
        { file: `${bad}/a.yaml`, line: 4, path: 'limitUsd', message: 'must be greater than 0, got 0' },
      ],
    });
    expect(no.err).toBe('');
  });

  it('an empty folder is valid: no budgets', async () => {
    const r = await gpusched(['policies', 'check', folder({})]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: 0 policies in 0 files, all valid \(no budgets: every job is admitted\)\n$/);
  });

  it('a folder that does not exist is exit 2, naming it', async () => {
    const r = await gpusched(['policies', 'check', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no/such/dir: cannot read the policy folder: ENOENT');
  });
});

describe('gpusched alerts test', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await FakeSlack.start();
  });
  afterAll(async () => {
    await slack.close();
  });
  afterEach(() => {
    slack.requests.length = 0;
  });

  it('sends the test message through the default webhook', async () => {
    const url = slack.webhookUrl('default');
    const r = await gpusched(['alerts', 'test'], { GPUSCHED_SLACK_WEBHOOK: url });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('sent a test message through Slack webhook default (env GPUSCHED_SLACK_WEBHOOK)\n');
    expect(slack.bodies(url)).toEqual([
      JSON.parse(
        JSON.stringify(
          slackMessage({ kind: 'test', webhook: 'default', sentAt: '2026-03-20T10:00:00.000Z' }),
        ),
      ),
    ]);
    expect(r.out + r.err).not.toContain(url);
  });

  it('--slack NAME uses that webhook', async () => {
    const url = slack.webhookUrl('research');
    const r = await gpusched(['alerts', 'test', '--slack', 'research', '--json'], {
      GPUSCHED_SLACK_WEBHOOK_RESEARCH: url,
    });
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      delivered: true,
      webhook: 'research',
      source: 'env GPUSCHED_SLACK_WEBHOOK_RESEARCH',
      attempts: 1,
    });
  });

  it('reads the secret file under GPUSCHED_DATA_DIR', async () => {
    const url = slack.webhookUrl('filed');
    const data = mkdtempSync(join(tmpdir(), 'gpusched-data-'));
    mkdirSync(join(data, 'secrets'));
    writeFileSync(join(data, 'secrets', 'slack-research'), `${url}\n`, { mode: 0o600 });
    const r = await gpusched(['alerts', 'test', '--slack', 'research'], { GPUSCHED_DATA_DIR: data });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      `sent a test message through Slack webhook research (file ${join(data, 'secrets', 'slack-research')})\n`,
    );
  });

  it('says when a named webhook is missing and the default stands in', async () => {
    const url = slack.webhookUrl('default');
    const r = await gpusched(['alerts', 'test', '--slack', 'research'], { GPUSCHED_SLACK_WEBHOOK: url });
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'gpusched: webhook "research" is not configured; its alerts go to the default webhook, so the test does too\n',
    );
  });

  it('with no webhook configured: a clear error, exit 2', async () => {
    const r = await gpusched(['alerts', 'test', '--slack', 'research'], {
      GPUSCHED_DATA_DIR: '/srv/gpusched',
    });
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      [
        'gpusched: no Slack webhook is configured for webhook "research"; alerts would go to the daemon log only',
        '  set GPUSCHED_SLACK_WEBHOOK_RESEARCH (or the default GPUSCHED_SLACK_WEBHOOK), or write the URL to /srv/gpusched/secrets/slack-research (mode 0600)',
        '',
      ].join('\n'),
    );
    expect(slack.requests).toEqual([]);
  });

  it('a refusal by Slack is exit 1 with its reason, never the URL', async () => {
    const url = slack.webhookUrl('default');
    slack.answerNext({ status: 404, body: 'no_service' });
    const r = await gpusched(['alerts', 'test'], { GPUSCHED_SLACK_WEBHOOK: url });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'gpusched: the test message was not delivered through slack default (env GPUSCHED_SLACK_WEBHOOK): Slack answered 404 no_service\n',
    );
    expect(r.err).not.toContain(url);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['a webhook name that cannot be one', ['--slack', 'Research Team'], {}, /expected a webhook name/],
    [
      'a configured value that is not a URL',
      [],
      { GPUSCHED_SLACK_WEBHOOK: 'not-a-url-secretpart' },
      /^gpusched: the variable GPUSCHED_SLACK_WEBHOOK does not hold a URL/,
    ],
  ])('%s is exit 2', async (_story, args, env, message) => {
    const r = await gpusched(['alerts', 'test', ...args], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toContain('secretpart');
  });
});

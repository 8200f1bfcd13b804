// The Slack notifier against a local Slack-compatible webhook server: the exact Block Kit bodies that arrive,
// retries on 429 (honouring Retry-After) and 5xx, no retry on a refusal, the log when nothing is configured,
// webhooks from secret files, and the webhook URL in no log line and no error.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slackMessage } from '../../src/alerts/blocks.js';
import type { AlertLogger } from '../../src/alerts/notifier.js';
import { SlackNotifier, type SlackNotifierOptions } from '../../src/alerts/slack.js';
import { resolveWebhook } from '../../src/alerts/webhooks.js';
import { FakeSlack } from '../fakes/slack.js';
import { invalidAlert, limitAlert, testAlert, thresholdAlert } from '../helpers/alerts.js';

interface Logged {
  level: 'info' | 'warn';
  fields: object;
  message: string;
}

function recordingLogger(): { logger: AlertLogger; lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    logger: {
      info: (fields, message) => lines.push({ level: 'info', fields, message }),
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    },
  };
}

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

/** A notifier whose waits are recorded, not slept, and whose jitter is fixed at its maximum. */
function notifier(env: Record<string, string>, over: Partial<SlackNotifierOptions> = {}) {
  const waits: number[] = [];
  const { logger, lines } = recordingLogger();
  const n = new SlackNotifier({
    resolve: (ref) => resolveWebhook(ref, { env }),
    logger,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 1,
    ...over,
  });
  return { n, waits, lines };
}

describe('delivery', () => {
  it('posts the exact Block Kit message to the webhook the policy names', async () => {
    const research = slack.webhookUrl('research');
    const { n, lines } = notifier({
      GPUSCHED_SLACK_WEBHOOK_RESEARCH: research,
      GPUSCHED_SLACK_WEBHOOK: slack.webhookUrl('default'),
    });
    const delivery = await n.send(thresholdAlert(), 'research');
    expect(delivery).toEqual({
      status: 'delivered',
      attempts: 1,
      destination: 'slack research (env GPUSCHED_SLACK_WEBHOOK_RESEARCH)',
    });
    expect(slack.bodies(research)).toEqual([
      {
        text: 'Budget research-monthly: 80% used ($16,012.40 of $20,000.00)',
        blocks: [
          {
            type: 'header',
            text: { type: 'plain_text', text: ':warning: research-monthly: 80% of budget used', emoji: true },
          },
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: '*$16,012.40* spent of *$20,000.00* this period (80.1%). Forecast to the end of the period: *$23,400.00*.',
            },
          },
          {
            type: 'section',
            fields: [
              { type: 'mrkdwn', text: '*Scope*\nteam research' },
              { type: 'mrkdwn', text: '*Period*\nmonthly 2026-03 (Europe/Berlin)' },
              { type: 'mrkdwn', text: '*Committed*\n$1,200.00' },
              { type: 'mrkdwn', text: '*At the limit*\nblock-new' },
            ],
          },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: 'Policy research-monthly (policies/research.yaml:2) · period ends 2026-04-01 00:00 Europe/Berlin',
              },
            ],
          },
        ],
      },
    ]);
    const request = slack.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(lines).toEqual([
      {
        level: 'info',
        fields: {
          alert: 'threshold',
          policy: 'research-monthly',
          period: '2026-03',
          destination: 'slack research (env GPUSCHED_SLACK_WEBHOOK_RESEARCH)',
          attempts: 1,
        },
        message: 'alert sent: Budget research-monthly: 80% used ($16,012.40 of $20,000.00)',
      },
    ]);
  });

  it.each([
    ['limit reached', limitAlert({ action: 'suspend', affectedJobs: 2 })],
    ['policy file invalid', invalidAlert()],
    ['test message', testAlert()],
  ])('sends the %s message as built by slackMessage, byte for byte', async (_kind, alert) => {
    const url = slack.webhookUrl('default');
    const { n } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    expect((await n.send(alert)).status).toBe('delivered');
    expect(slack.requests.map((r) => r.raw)).toEqual([JSON.stringify(slackMessage(alert))]);
  });

  it('a policy whose webhook is not configured alerts through the default webhook', async () => {
    const url = slack.webhookUrl('default');
    const { n } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    expect(await n.send(thresholdAlert(), 'research')).toMatchObject({
      status: 'delivered',
      destination: 'slack default (env GPUSCHED_SLACK_WEBHOOK)',
    });
    expect(slack.bodies(url)).toHaveLength(1);
  });

  it('with no webhook configured the alert goes to the log, saying where a webhook would be read', async () => {
    const { n, lines } = notifier({});
    expect(await n.send(thresholdAlert(), 'research')).toEqual({
      status: 'logged',
      attempts: 0,
      destination: 'log',
    });
    expect(slack.requests).toEqual([]);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { alert: 'threshold', policy: 'research-monthly', period: '2026-03', slack: 'research' },
        message:
          'alert (no Slack webhook configured; set one of GPUSCHED_SLACK_WEBHOOK_RESEARCH, GPUSCHED_SLACK_WEBHOOK): Budget research-monthly: 80% used ($16,012.40 of $20,000.00)',
      },
    ]);
  });
});

describe('retries', () => {
  it('waits what Retry-After asks on 429, then delivers', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ status: 429, retryAfter: '7' });
    expect(await n.send(thresholdAlert())).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toEqual([7000]);
    expect(slack.bodies(url)).toHaveLength(2);
    expect(slack.requests[0]?.raw).toBe(slack.requests[1]?.raw);
  });

  it('really waits: the retry after "Retry-After: 1" arrives a second later', async () => {
    const url = slack.webhookUrl('default');
    const n = new SlackNotifier({
      resolve: (ref) => resolveWebhook(ref, { env: { GPUSCHED_SLACK_WEBHOOK: url } }),
    });
    slack.answerNext({ status: 429, retryAfter: '1' });
    expect(await n.send(testAlert())).toMatchObject({ status: 'delivered', attempts: 2 });
    const [first, second] = slack.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('backs off exponentially on 5xx (1 s, 2 s, 4 s with full jitter at its top), then delivers', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ status: 500 }, { status: 503 }, { status: 502 });
    expect(await n.send(thresholdAlert())).toMatchObject({ status: 'delivered', attempts: 4 });
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('a 429 without Retry-After backs off like a 5xx', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ status: 429 });
    expect(await n.send(thresholdAlert())).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toEqual([1000]);
  });

  it('gives up after the last attempt with a retryable failure', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url }, { maxAttempts: 3 });
    slack.answerNext({ status: 500 }, { status: 500 }, { status: 500 });
    expect(await n.send(thresholdAlert())).toEqual({
      status: 'failed',
      attempts: 3,
      destination: 'slack default (env GPUSCHED_SLACK_WEBHOOK)',
      error: 'Slack answered 500 internal_error',
      retryable: true,
    });
    expect(waits).toEqual([1000, 2000]);
  });

  it('a Retry-After longer than the daemon will wait gives up for now, retryable', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ status: 429, retryAfter: '600' });
    expect(await n.send(thresholdAlert())).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'Slack answered 429 (rate limited, Retry-After 600 s) rate_limited',
      retryable: true,
    });
    expect(waits).toEqual([]);
  });

  it.each<[number, string]>([
    [400, 'invalid_blocks'],
    [403, 'invalid_token'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
  ])('does not retry a refusal (%i %s)', async (status, body) => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ status, body });
    expect(await n.send(thresholdAlert())).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: `Slack answered ${status} ${body}`,
      retryable: false,
    });
    expect(waits).toEqual([]);
  });

  it('retries a dropped connection', async () => {
    const url = slack.webhookUrl('default');
    const { n, waits } = notifier({ GPUSCHED_SLACK_WEBHOOK: url });
    slack.answerNext({ drop: true });
    expect(await n.send(thresholdAlert())).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(waits).toEqual([1000]);
  });
});

describe('the webhook URL is a secret', () => {
  it('appears in no log line and no delivery, whatever fails', async () => {
    const url = slack.webhookUrl('default');
    const token = url.split('/').at(-1) ?? '';
    const { n, lines } = notifier({ GPUSCHED_SLACK_WEBHOOK: url }, { maxAttempts: 2 });
    const deliveries = [];
    slack.answerNext({ status: 500, body: `echo ${url}` }, { status: 404, body: `no_service for ${url}` });
    deliveries.push(await n.send(thresholdAlert()));
    slack.answerNext({ status: 429, retryAfter: '9999' });
    deliveries.push(await n.send(thresholdAlert()));
    deliveries.push(await n.send(thresholdAlert()));
    const everything = JSON.stringify({ lines, deliveries });
    expect(everything).not.toContain(url);
    expect(everything).not.toContain(token);
    expect(deliveries[0]?.error).toBe('Slack answered 404 no_service for [webhook URL]');
  });

  it('an unreachable host is reported by its reason, not its URL', async () => {
    const closed = await FakeSlack.start();
    const url = closed.webhookUrl('gone');
    await closed.close();
    const { n, lines } = notifier({ GPUSCHED_SLACK_WEBHOOK: url }, { maxAttempts: 2 });
    const delivery = await n.send(thresholdAlert());
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'Slack could not be reached: ECONNREFUSED',
      retryable: true,
    });
    expect(JSON.stringify({ lines, delivery })).not.toContain(url.split('/').at(-1) ?? '');
  });

  it('a malformed configured value fails without quoting it', async () => {
    const { n, lines } = notifier({
      GPUSCHED_SLACK_WEBHOOK: 'hooks.slack.com/services/T1/B1/secrettoken123',
    });
    const delivery = await n.send(thresholdAlert());
    expect(delivery).toEqual({
      status: 'failed',
      attempts: 0,
      destination: 'log',
      error:
        'the variable GPUSCHED_SLACK_WEBHOOK does not hold a URL (expected https://hooks.slack.com/services/…)',
      retryable: false,
    });
    expect(JSON.stringify(lines)).not.toContain('secrettoken123');
  });
});

describe('webhooks from secret files (<dataDir>/secrets/slack-NAME)', () => {
  function secrets(files: Record<string, { text: string; mode?: number }>): string {
    const dir = join(mkdtempSync(join(tmpdir(), 'gpusched-secrets-')), 'secrets');
    mkdirSync(dir);
    for (const [name, { text, mode }] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), mode ?? 0o600);
    }
    return dir;
  }

  it.each<
    [string, Record<string, { text: string; mode?: number }>, Record<string, string>, object | undefined]
  >([
    [
      'the named file',
      { 'slack-research': { text: 'https://example.test/services/T/B/research-file-token\n' } },
      {},
      { name: 'research', source: 'file {dir}/slack-research', fallback: false },
    ],
    [
      'the variable wins over the file',
      { 'slack-research': { text: 'https://example.test/services/T/B/research-file-token' } },
      { GPUSCHED_SLACK_WEBHOOK_RESEARCH: 'https://example.test/services/T/B/env-token-123' },
      { name: 'research', source: 'env GPUSCHED_SLACK_WEBHOOK_RESEARCH', fallback: false },
    ],
    [
      'the named file wins over the default variable',
      { 'slack-research': { text: 'https://example.test/services/T/B/research-file-token' } },
      { GPUSCHED_SLACK_WEBHOOK: 'https://example.test/services/T/B/default-env-token' },
      { name: 'research', source: 'file {dir}/slack-research', fallback: false },
    ],
    [
      'the default file',
      { slack: { text: 'https://example.test/services/T/B/default-file-token' } },
      {},
      { name: 'default', source: 'file {dir}/slack', fallback: true },
    ],
    ['an empty file counts as none', { 'slack-research': { text: '\n' } }, {}, undefined],
  ])('%s', (_story, files, env, expected) => {
    const dir = secrets(files);
    const resolved = resolveWebhook('research', { env, secretsDir: dir });
    const want =
      expected === undefined
        ? undefined
        : JSON.parse(JSON.stringify(expected).replaceAll('{dir}', dir.replaceAll('\\', '\\\\')));
    if (want === undefined) expect(resolved).toBeUndefined();
    else expect(resolved).toMatchObject(want);
  });

  it('warns when the secret file can be read by others', () => {
    const dir = secrets({
      slack: { text: 'https://example.test/services/T/B/default-file-token', mode: 0o644 },
    });
    expect(resolveWebhook(undefined, { env: {}, secretsDir: dir })?.warning).toBe(
      `the webhook secret file ${dir}/slack can be read by others (mode 0644); chmod 600 it`,
    );
  });

  it('delivers through a secret file and says which file, not what it holds', async () => {
    const url = slack.webhookUrl('filed');
    const dir = secrets({ 'slack-research': { text: `${url}\n` } });
    const n = new SlackNotifier({ resolve: (ref) => resolveWebhook(ref, { env: {}, secretsDir: dir }) });
    expect(await n.send(testAlert(), 'research')).toEqual({
      status: 'delivered',
      attempts: 1,
      destination: `slack research (file ${dir}/slack-research)`,
    });
  });
});

// The Slack messages, exactly: these payloads are what a channel shows, so they are specified in full.
import { describe, expect, it } from 'vitest';
import { actionTaken, escapeMrkdwn, slackMessage } from '../../src/alerts/blocks.js';
import { type Alert, alertKey, alertTeam, type StoredAlert } from '../../src/alerts/notifier.js';
import type { BudgetAction } from '../../src/core/budget.js';
import {
  FACTS,
  forecastAlert,
  invalidAlert,
  limitAlert,
  testAlert,
  thresholdAlert,
} from '../helpers/alerts.js';

const FACT_FIELDS = (action: string) => ({
  type: 'section',
  fields: [
    { type: 'mrkdwn', text: '*Scope*\nteam research' },
    { type: 'mrkdwn', text: '*Period*\nmonthly 2026-03 (Europe/Berlin)' },
    { type: 'mrkdwn', text: '*Committed*\n$1,200.00' },
    { type: 'mrkdwn', text: `*At the limit*\n${action}` },
  ],
});
const FOOTER = {
  type: 'context',
  elements: [
    {
      type: 'mrkdwn',
      text: 'Policy research-monthly (policies/research.yaml:2) · period ends 2026-04-01 00:00 Europe/Berlin',
    },
  ],
};

describe('Block Kit payloads', () => {
  it('threshold crossed', () => {
    expect(slackMessage(thresholdAlert())).toEqual({
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
        FACT_FIELDS('block-new'),
        FOOTER,
      ],
    });
  });

  it('forecast to exceed', () => {
    expect(slackMessage(forecastAlert())).toEqual({
      text: 'Budget research-monthly: forecast $23,400.00 exceeds the limit of $20,000.00',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: ':chart_with_upwards_trend: research-monthly: forecast to exceed budget',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'At the current rate the period ends at about *$23,400.00*, *$3,400.00* over the *$20,000.00* limit. Spent so far: $9,000.00 (45.0%).',
          },
        },
        FACT_FIELDS('block-new'),
        FOOTER,
      ],
    });
  });

  it('limit reached, with the action taken', () => {
    expect(slackMessage(limitAlert({ action: 'suspend', affectedJobs: 3 }))).toEqual({
      text: 'Budget research-monthly: limit of $20,000.00 reached; action: suspend',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: ':no_entry: research-monthly: budget limit reached',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*$20,010.00* spent of *$20,000.00* (100.0%). Action taken: *suspend*: running jobs in scope are checkpointed and stopped (3 jobs), and new jobs are held until the period ends 2026-04-01 00:00 Europe/Berlin.',
          },
        },
        FACT_FIELDS('suspend'),
        FOOTER,
      ],
    });
  });

  it('policy file invalid', () => {
    expect(slackMessage(invalidAlert())).toEqual({
      text: 'Budget policy file invalid: research.yaml (1 problem); the last valid policies stay in force',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: ':x: Budget policy file invalid: research.yaml', emoji: true },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'The change was not applied: the last valid set (3 policies) stays in force until the files are fixed. Check them with `gpusched policies check policies`.',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '```policies/research.yaml:6: limitUsd: must be greater than 0, got -5```',
          },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'Policy folder policies · 2026-03-20T10:00:00.000Z' }],
        },
      ],
    });
  });

  it('test message', () => {
    expect(slackMessage(testAlert())).toEqual({
      text: 'gpusched test message for webhook research',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: ':white_check_mark: gpusched test message', emoji: true },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'Budget alerts from gpusched reach this channel through the webhook *research*. Nothing to do.',
          },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: 'Sent by `gpusched alerts test` at 2026-03-20T10:00:00.000Z' }],
        },
      ],
    });
  });
});

describe('Block Kit limits and escaping', () => {
  it('lists at most 10 problems and counts the rest; names each file once', () => {
    const issues = Array.from(
      { length: 12 },
      (_, i) => `policies/${i % 2 ? 'a' : 'b'}.yaml:${i + 1}: name: is required`,
    );
    const message = slackMessage(invalidAlert(issues));
    const listing = (message.blocks[2] as { text: { text: string } }).text.text;
    expect(listing.split('\n')).toHaveLength(11);
    expect(listing).toContain('… and 2 more');
    expect(message.blocks[0]).toMatchObject({
      text: { text: ':x: Budget policy file invalid: b.yaml, a.yaml' },
    });
    expect(message.text).toContain('(12 problems)');
  });

  it('escapes &, < and > quoted from data, which Slack would read as markup', () => {
    const message = slackMessage(invalidAlert(['policies/x.yaml:1: name: got "<!channel> & co"']));
    expect(JSON.stringify(message.blocks[2])).toContain('&lt;!channel&gt; &amp; co');
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('clips a header to the 150 characters Slack allows', () => {
    const name = 'p'.repeat(200);
    const header = slackMessage(thresholdAlert({ policy: name })).blocks[0] as { text: { text: string } };
    expect(header.text.text).toHaveLength(150);
    expect(header.text.text.endsWith('…')).toBe(true);
  });

  it('a fractional threshold is shown as written', () => {
    expect(slackMessage(thresholdAlert({ thresholdPercent: 12.5 })).text).toContain('12.5% used');
  });
});

describe('actionTaken: what the limit did, in words', () => {
  const end = '2026-04-01 00:00 Europe/Berlin';
  it.each<[BudgetAction, number | undefined, string]>([
    ['alert', undefined, 'alert only; jobs keep running and new jobs are still admitted'],
    [
      'block-new',
      undefined,
      `new jobs in scope are held until the period ends ${end}; running jobs continue`,
    ],
    ['spot-only', undefined, `new jobs in scope run on spot capacity only until the period ends ${end}`],
    [
      'suspend',
      1,
      `running jobs in scope are checkpointed and stopped (1 job), and new jobs are held until the period ends ${end}`,
    ],
    [
      'suspend',
      undefined,
      `running jobs in scope are checkpointed and stopped, and new jobs are held until the period ends ${end}`,
    ],
  ])('%s (%s jobs)', (action, jobs, text) => {
    expect(actionTaken(action, end, jobs)).toBe(text);
  });
});

describe('alertKey: one alert per policy, period, kind and threshold', () => {
  it.each<[string, Alert, object, string | null]>([
    [
      'a threshold is keyed by its percentage',
      thresholdAlert(),
      { kind: 'threshold', policy: 'research-monthly', periodKey: '2026-03', threshold: 80 },
      'research',
    ],
    [
      'the forecast once a period',
      forecastAlert(),
      { kind: 'forecast', policy: 'research-monthly', periodKey: '2026-03', threshold: 0 },
      'research',
    ],
    [
      'the limit once a period',
      limitAlert(),
      { kind: 'limit', policy: 'research-monthly', periodKey: '2026-03', threshold: 100 },
      'research',
    ],
    [
      'an invalid folder once per content',
      invalidAlert(),
      { kind: 'policy-invalid', policy: 'policies', periodKey: 'a1b2c3d4e5f60718', threshold: 0 },
      null,
    ],
    [
      'a label-scoped policy is visible to admins only',
      thresholdAlert({ scope: 'labels env=prod', team: null }),
      { kind: 'threshold', policy: FACTS.policy, periodKey: '2026-03', threshold: 80 },
      null,
    ],
  ])('%s', (_story, alert, key, team) => {
    expect(alertKey(alert as StoredAlert)).toEqual(key);
    expect(alertTeam(alert as StoredAlert)).toBe(team);
  });
});

// Webhooks by reference from the environment (secret files are in test/integration/slack-alerts.test.ts),
// redaction, and reading Retry-After.
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/alerts/slack.js';
import {
  redact,
  resolveWebhook,
  WebhookConfigError,
  webhookEnvName,
  webhookPlaces,
} from '../../src/alerts/webhooks.js';

const RESEARCH = 'https://hooks.slack.com/services/T0RES/B0RES/researchTokenAbc123';
const DEFAULT = 'https://hooks.slack.com/services/T0DEF/B0DEF/defaultTokenXyz789';

describe('webhookEnvName', () => {
  it.each<[string | undefined, string]>([
    [undefined, 'GPUSCHED_SLACK_WEBHOOK'],
    ['research', 'GPUSCHED_SLACK_WEBHOOK_RESEARCH'],
    ['ml-infra', 'GPUSCHED_SLACK_WEBHOOK_ML_INFRA'],
    ['team_2', 'GPUSCHED_SLACK_WEBHOOK_TEAM_2'],
  ])('%s → %s', (ref, name) => {
    expect(webhookEnvName(ref)).toBe(name);
  });
});

describe('resolveWebhook from the environment', () => {
  it.each<[string, string | undefined, Record<string, string>, object | undefined]>([
    [
      'the named webhook',
      'research',
      { GPUSCHED_SLACK_WEBHOOK_RESEARCH: RESEARCH, GPUSCHED_SLACK_WEBHOOK: DEFAULT },
      { url: RESEARCH, name: 'research', source: 'env GPUSCHED_SLACK_WEBHOOK_RESEARCH', fallback: false },
    ],
    [
      'the default stands in for a name that is not configured',
      'research',
      { GPUSCHED_SLACK_WEBHOOK: DEFAULT },
      { url: DEFAULT, name: 'default', source: 'env GPUSCHED_SLACK_WEBHOOK', fallback: true },
    ],
    [
      'no name: the default',
      undefined,
      { GPUSCHED_SLACK_WEBHOOK: DEFAULT },
      { url: DEFAULT, name: 'default', source: 'env GPUSCHED_SLACK_WEBHOOK', fallback: false },
    ],
    ['nothing configured: none (alerts go to the log)', 'research', {}, undefined],
    ['an empty variable counts as unset', undefined, { GPUSCHED_SLACK_WEBHOOK: '  ' }, undefined],
  ])('%s', (_story, ref, env, expected) => {
    expect(resolveWebhook(ref, { env })).toEqual(expected);
  });

  it.each<[string, string]>([
    ['not a URL', 'hooks.slack.com/services/T/B/secretvalue'],
    ['not http(s)', 'ftp://hooks.slack.com/services/T/B/secretvalue'],
  ])('a variable that holds %s is an error naming the variable, not the value', (_story, value) => {
    const resolve = () => resolveWebhook('research', { env: { GPUSCHED_SLACK_WEBHOOK_RESEARCH: value } });
    expect(resolve).toThrow(WebhookConfigError);
    expect(resolve).toThrow(/the variable GPUSCHED_SLACK_WEBHOOK_RESEARCH does not hold/);
    expect(resolve).not.toThrow(/secretvalue/);
  });

  it('names every place looked at, in order', () => {
    expect(webhookPlaces('research', 'var/secrets')).toEqual([
      'GPUSCHED_SLACK_WEBHOOK_RESEARCH',
      'var/secrets/slack-research',
      'GPUSCHED_SLACK_WEBHOOK',
      'var/secrets/slack',
    ]);
    expect(webhookPlaces(undefined)).toEqual(['GPUSCHED_SLACK_WEBHOOK']);
  });
});

describe('redact: the webhook URL never reaches a message', () => {
  it.each<[string, string, string]>([
    ['the whole URL', `fetch ${RESEARCH} failed`, 'fetch [webhook URL] failed'],
    ['its path', 'POST /services/T0RES/B0RES/researchTokenAbc123 refused', 'POST [redacted] refused'],
    ['its token alone', 'token researchTokenAbc123 is invalid', 'token [redacted] is invalid'],
    ['URL-encoded', `see ${encodeURIComponent(RESEARCH)}`, 'see [redacted]'],
    ['and leaves other text alone', 'Slack answered 404 no_service', 'Slack answered 404 no_service'],
  ])('%s', (_story, text, expected) => {
    expect(redact(text, RESEARCH)).toBe(expected);
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-03-20T10:00:00Z');
  it.each<[string | null, number | undefined]>([
    ['30', 30_000],
    ['0', 0],
    ['1.5', 1500],
    ['Fri, 20 Mar 2026 10:00:45 GMT', 45_000],
    ['Fri, 20 Mar 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('Retry-After %j → %s ms', (header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});

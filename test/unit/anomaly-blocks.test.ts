// Anomaly alerts as Slack Block Kit messages and as alert-history keys.
import { describe, expect, it } from 'vitest';
import type { GpuIdleAlert, JobFailingAlert, PriceJumpAlert } from '../../src/alerts/anomaly-alerts.js';
import { slackMessage } from '../../src/alerts/blocks.js';
import { alertKey, alertTeam } from '../../src/alerts/notifier.js';

const AT = '2026-11-28T12:30:00.000Z';

const idle: GpuIdleAlert = {
  kind: 'gpu-idle',
  jobId: 'job-1',
  jobName: 'llama <8b>',
  team: 'research',
  nodeIds: ['node-1'],
  runStartedAt: '2026-11-28T11:00:00.000Z',
  utilizationPercent: 1.26,
  thresholdPercent: 5,
  idleMinutes: 31.2,
  minMinutes: 30,
  costPerHour: 32.77,
  at: AT,
};

const failing: JobFailingAlert = {
  kind: 'job-failing',
  team: 'research',
  jobName: 'eval',
  failures: 3,
  threshold: 3,
  windowMinutes: 60,
  windowKey: '2026-11-28T11:40:00.000Z',
  jobIds: ['job-3', 'job-2', 'job-1'],
  lastReason: 'exited 137',
  at: AT,
};

const jump: PriceJumpAlert = {
  kind: 'price-jump',
  nodeId: 'node-9',
  pool: 'aws/us-east-1/us-east-1a/p4d.24xlarge/spot',
  cloud: 'aws',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'p4d.24xlarge',
  market: 'spot',
  launchPricePerHour: 10,
  pricePerHour: 16,
  increasePercent: 60,
  thresholdPercent: 50,
  observedAt: '2026-11-28T12:25:00.000Z',
  jobIds: ['job-7'],
  team: 'vision',
  at: AT,
};

describe('anomaly messages', () => {
  it('idle GPUs: what, for how long, what it burns, and how to stop it; data escaped', () => {
    const m = slackMessage(idle);
    expect(m.text).toBe(
      'Job llama <8b> (job-1, team research): GPUs idle for 31 min (1.3% utilisation, below 5%)',
    );
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':zzz: llama <8b>: GPUs idle for 31 min', emoji: true },
    });
    const body = JSON.stringify(m.blocks[1]);
    expect(body).toContain('llama &lt;8b&gt;');
    expect(body).toContain('$32.77/h');
    expect(body).toContain('gpusched cancel job-1');
  });

  it('repeated failures: how many, in what window, the last reason and the latest job', () => {
    const m = slackMessage(failing);
    expect(m.text).toBe('Job research/eval failed 3 times in 60 min');
    const body = JSON.stringify(m.blocks);
    expect(body).toContain('exited 137');
    expect(body).toContain('gpusched job job-3');
  });

  it('a price jump: the pool, old and new price, by how much', () => {
    const m = slackMessage(jump);
    expect(m.text).toBe(
      "Price jump: spot p4d.24xlarge in aws us-east-1 us-east-1a is $16.00/h, +60% over its node's launch price of $10.00/h",
    );
    expect(JSON.stringify(m.blocks)).toContain('node-9');
  });

  it.each([idle, failing, jump])('keeps to Slack’s limits: %#', (a) => {
    for (const block of slackMessage(a).blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
      if (block.type === 'section' && 'fields' in block) expect(block.fields.length).toBeLessThanOrEqual(10);
    }
  });
});

describe('anomaly keys: each anomaly once', () => {
  it.each([
    [
      idle,
      { kind: 'gpu-idle', policy: 'job:job-1', periodKey: '2026-11-28T11:00:00.000Z', threshold: 30 },
      'research',
    ],
    [
      failing,
      {
        kind: 'job-failing',
        policy: 'jobs:research/eval',
        periodKey: '2026-11-28T11:40:00.000Z',
        threshold: 3,
      },
      'research',
    ],
    [
      jump,
      {
        kind: 'price-jump',
        policy: 'pool:aws/us-east-1/us-east-1a/p4d.24xlarge/spot',
        periodKey: 'node-9',
        threshold: 50,
      },
      'vision',
    ],
  ])('%#', (a, key, team) => {
    expect(alertKey(a)).toEqual(key);
    expect(alertTeam(a)).toBe(team);
  });
});

// Budget alerts from the ledger tick, through the real daemon to a Slack-compatible server on loopback: each
// threshold once per period as the money spent crosses it, "limit reached" with the action taken, and no
// duplicate after a restart on the same database.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeSlack } from '../fakes/slack.js';
import { a100Job, HOUR, job, run, startAll, submit } from '../helpers/budgets.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => slack.close());

/** A daemon on a database file in `dataDir`, its default webhook in the secret file there. */
function daemonIn(dataDir: string, policiesDir: string): Promise<TestDaemon> {
  return testDaemon((c) => {
    c.dataDir = dataDir;
    c.database.file = 'gpusched.db';
    c.policies.dir = policiesDir;
    c.sim.timeScale = 1;
  });
}

/** The headers of the Block Kit messages the fake received, in order. */
function headers(): string[] {
  return slack.requests.map((r) => {
    const blocks = (r.body as { blocks: { type: string; text?: { text: string } }[] }).blocks;
    return blocks.find((b) => b.type === 'header')?.text?.text ?? '';
  });
}

describe('budget alerts', () => {
  it('are sent once per threshold per period as spend crosses them, the limit with its action, and not again after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gpusched-alerts-'));
    mkdirSync(join(dataDir, 'secrets'), { recursive: true });
    writeFileSync(join(dataDir, 'secrets', 'slack'), `${slack.webhookUrl('budgets')}\n`, { mode: 0o600 });
    const policiesDir = mkdtempSync(join(tmpdir(), 'gpusched-alert-policies-'));
    // Four hours of the cheapest 8×A100 spot node ($4.2604/h) is the whole budget.
    writeFileSync(
      join(policiesDir, 'p.yaml'),
      'name: research-daily\nscope: { team: research }\nperiod: daily\nlimitUsd: 17.04\naction: alert\nalerts: { thresholds: [50, 80, 100], forecast: false }\n',
    );

    let d = await daemonIn(dataDir, policiesDir);
    const token = await d.teamToken('research');
    const { id } = await submit(d, token, a100Job({ runtime: { estimateHours: 4 } }));
    await startAll(d);
    expect((await job(d, id)).placement.pricePerHour).toBe(4.2604);

    await run(d, 2.5 * HOUR, 1800);
    await vi.waitFor(() => expect(slack.requests).toHaveLength(1));
    await run(d, HOUR, 1800);
    await vi.waitFor(() => expect(slack.requests).toHaveLength(2));
    await run(d, HOUR, 1800);
    expect((await job(d, id)).state).toBe('succeeded');
    await vi.waitFor(() => expect(slack.requests).toHaveLength(3));
    expect(headers()).toEqual([
      ':warning: research-daily: 50% of budget used',
      ':warning: research-daily: 80% of budget used',
      ':no_entry: research-daily: budget limit reached',
    ]);
    const history = (await d.call('GET', '/v1/alerts?policy=research-daily', ADMIN)).body.items;
    // The 100 % threshold, reached with the limit, is recorded as passed over: "limit reached" said it.
    expect(
      history.map((a: { kind: string; threshold: number; status: string }) => [
        a.kind,
        a.threshold,
        a.status,
      ]),
    ).toEqual([
      ['limit', 100, 'delivered'],
      ['threshold', 100, 'skipped'],
      ['threshold', 80, 'delivered'],
      ['threshold', 50, 'delivered'],
    ]);
    expect(history[0].alert).toMatchObject({ action: 'alert', periodKey: '2026-11-28' });

    await run(d, HOUR, 1800);
    const last = d.clock.now;
    await d.stop();

    // A restart on the same database: the period's alerts are known, so none is sent again.
    d = await daemonIn(dataDir, policiesDir);
    d.clock.now = last;
    await run(d, HOUR, 1800);
    await d.stop();
    expect(slack.requests).toHaveLength(3);
  });

  it('say once a period that the forecast passes the limit, as soon as commitments take it there', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gpusched-alerts-'));
    mkdirSync(join(dataDir, 'secrets'), { recursive: true });
    writeFileSync(join(dataDir, 'secrets', 'slack'), `${slack.webhookUrl('forecast')}\n`, { mode: 0o600 });
    const policiesDir = mkdtempSync(join(tmpdir(), 'gpusched-alert-policies-'));
    writeFileSync(
      join(policiesDir, 'p.yaml'),
      'name: vision-daily\nscope: { team: vision }\nperiod: daily\nlimitUsd: 10\naction: alert\nalerts: { thresholds: [] }\n',
    );
    const d = await daemonIn(dataDir, policiesDir);
    const before = slack.requests.length;
    try {
      // Eight hours of work is about $34 committed against a $10 budget: a soft budget admits it, and warns.
      await submit(d, await d.teamToken('vision'), a100Job({ runtime: { estimateHours: 8 } }));
      await d.advance(0);
      await run(d, HOUR, 1800);
    } finally {
      await d.stop();
    }
    expect(headers().slice(before)).toEqual([
      ':chart_with_upwards_trend: vision-daily: forecast to exceed budget',
    ]);
  });
});

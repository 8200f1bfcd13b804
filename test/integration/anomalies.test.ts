// Anomaly alerts through the daemon: idle GPUs (by agent telemetry), a job failing repeatedly, a price jump in
// a pool in use. Each goes the budget alerts' way: stored once (GET /v1/alerts), sent to the default Slack
// webhook with Block Kit, and told on the event stream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../fakes/slack.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';
import { data, openStream } from '../helpers/sse.js';

const T4 = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 100 },
};

let d: TestDaemon;
let slack: FakeSlack;
let webhook: string;
const before = process.env.GPUSCHED_SLACK_WEBHOOK;

beforeEach(async () => {
  slack = await FakeSlack.start();
  webhook = slack.webhookUrl();
  process.env.GPUSCHED_SLACK_WEBHOOK = webhook;
});
afterEach(async () => {
  await d?.stop();
  await slack.close();
  if (before === undefined) delete process.env.GPUSCHED_SLACK_WEBHOOK;
  else process.env.GPUSCHED_SLACK_WEBHOOK = before;
});

async function start() {
  d = await testDaemon((c) => {
    // The job stays where it is: no consolidation move to another node mid-test.
    c.consolidation.enabled = false;
    c.anomalies.everySeconds = 1;
    c.anomalies.idleGpu = { utilizationPercent: 5, minutes: 2 };
    c.anomalies.failures = { count: 3, windowMinutes: 60 };
    c.anomalies.priceJump = { percent: 50 };
  });
}

async function submit(token: string, body: object = T4): Promise<string> {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

async function runningJob(token: string) {
  const id = await submit(token);
  await d.advance(0);
  await d.advance(1);
  await d.advance(0);
  const job = (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
  expect(job.state).toBe('running');
  return { id, job, nodeId: job.placement.nodeIds[0] as string };
}

function report(nodeId: string, utilizationPct: number) {
  d.store.agents.seen(nodeId, d.clock.now, {
    at: d.clock.now.toISOString(),
    gpus: [{ index: 0, utilizationPct, memoryUsedMiB: 100, memoryTotalMiB: 16000 }],
  });
}

/** The node's agent reports this utilisation every 20 s for `seconds`, the daemon ticking in between. */
async function heartbeats(nodeId: string, utilizationPct: number, seconds: number) {
  for (let t = 0; t < seconds; t += 20) {
    report(nodeId, utilizationPct);
    await d.advance(20);
  }
}

async function alerts(token = ADMIN, kind?: string) {
  const r = await d.call('GET', `/v1/alerts${kind ? `?kind=${kind}` : ''}`, token);
  expect(r.status).toBe(200);
  return r.body.items as any[];
}

async function delivered() {
  // Sends run in the background; wait until Slack has what the history says was sent.
  for (let i = 0; i < 100; i++) {
    const sent = (await alerts()).filter((a) => a.status !== 'pending');
    if (sent.length > 0 && sent.length === (await alerts()).length) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('anomaly alerts', () => {
  it('idle GPUs: a running job under the utilisation threshold for the set minutes, once per run', async () => {
    await start();
    const token = await d.teamToken('research');
    const { id, nodeId } = await runningJob(token);
    // Busy first: nothing. (The agent heartbeats every 20 s: a registered node silent for 30 s is lost.)
    await heartbeats(nodeId, 80, 150);
    expect(await alerts()).toEqual([]);
    // Then idle for two minutes.
    await heartbeats(nodeId, 1, 125);
    const found = await alerts(token, 'gpu-idle');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'gpu-idle', team: 'research', policy: `job:${id}`, threshold: 2 });
    expect(found[0].alert).toMatchObject({ jobId: id, nodeIds: [nodeId], utilizationPercent: 1 });
    expect(found[0].alert.idleMinutes).toBeGreaterThanOrEqual(2);
    // Still idle: no second alert for the same run.
    await heartbeats(nodeId, 1, 60);
    expect(await alerts(ADMIN, 'gpu-idle')).toHaveLength(1);
    await delivered();
    const bodies = slack.bodies(webhook) as { text: string }[];
    expect(bodies.map((b) => b.text)).toEqual([
      expect.stringMatching(/^Job finetune \(job-\w+, team research\): GPUs idle for \d+ min/),
    ]);
    expect((await alerts())[0].status).toBe('delivered');
  });

  it('no telemetry, no idle alert (the simulation sends none)', async () => {
    await start();
    await runningJob(await d.teamToken('research'));
    for (let i = 0; i < 5; i++) await d.advance(61);
    expect(await alerts(ADMIN, 'gpu-idle')).toEqual([]);
  });

  it('a job failing repeatedly: N failures of one job name of one team in the window, one alert per window', async () => {
    await start();
    const token = await d.teamToken('research');
    const fail = async (name: string) => {
      const id = await submit(token, { ...T4, name, resources: { gpu: { models: ['H100'], count: 16 } } });
      d.store.jobs.transition(id, 'failed', 'exited 1', d.clock.now, {
        finishedAt: d.clock.now.toISOString(),
      });
      return id;
    };
    const a = await fail('eval');
    await fail('other');
    const b = await fail('eval');
    await d.advance(2);
    expect(await alerts(ADMIN, 'job-failing')).toEqual([]);
    const c = await fail('eval');
    await d.advance(2);
    const found = await alerts(token, 'job-failing');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ policy: 'jobs:research/eval', team: 'research' });
    expect(found[0].alert).toMatchObject({
      failures: 3,
      jobIds: [c, b, a],
      lastReason: 'exited 1',
      windowMinutes: 60,
    });
    // A fourth failure in the same window: the alert stands, no new one.
    await fail('eval');
    await d.advance(2);
    expect(await alerts(ADMIN, 'job-failing')).toHaveLength(1);
    // Another team does not read it.
    expect(await alerts(await d.teamToken('vision'), 'job-failing')).toEqual([]);
  });

  it('a price jump in a pool in use, against the node’s launch price, once per node; on the event stream', async () => {
    await start();
    const base = await d.app.listen({ host: '127.0.0.1', port: 0 });
    const token = await d.teamToken('research');
    const stream = await openStream(`${base}/v1/events?types=alert`, { authorization: `Bearer ${token}` });
    try {
      const { id, job, nodeId } = await runningJob(token);
      const p = job.placement;
      const offers = d.store.offers.list({ cloud: p.cloud }).filter((o) => o.source === 'simulated');
      const bump = (factor: number) =>
        d.store.offers.replace(
          p.cloud,
          'simulated',
          offers.map((o) =>
            o.region === p.region &&
            o.zone === p.zone &&
            o.instanceType === p.instanceType &&
            o.market === p.market
              ? { ...o, pricePerHour: p.pricePerHour * factor, observedAt: d.clock.now.toISOString() }
              : o,
          ),
          d.clock.now.toISOString(),
        );
      bump(1.4);
      await d.advance(2);
      expect(await alerts(ADMIN, 'price-jump')).toEqual([]);
      bump(2);
      await d.advance(2);
      const found = await alerts(token, 'price-jump');
      expect(found).toHaveLength(1);
      expect(found[0].alert).toMatchObject({
        nodeId,
        launchPricePerHour: p.pricePerHour,
        jobIds: [id],
        team: 'research',
        thresholdPercent: 50,
      });
      expect(found[0].alert.increasePercent).toBeCloseTo(100, 6);
      bump(3);
      await d.advance(2);
      expect(await alerts(ADMIN, 'price-jump')).toHaveLength(1);
      const event = data(await stream.next((m) => m.event === 'alert'));
      expect(event).toMatchObject({ type: 'alert', kind: 'price-jump', team: 'research', jobIds: [id] });
      expect(event.alertId).toBe(found[0].id);
    } finally {
      stream.close();
    }
  });

  it('anomalies.enabled: false looks for nothing', async () => {
    d = await testDaemon((c) => {
      c.anomalies.enabled = false;
      c.anomalies.everySeconds = 1;
      c.anomalies.failures = { count: 1, windowMinutes: 60 };
    });
    const token = await d.teamToken('research');
    const id = await submit(token, { ...T4, resources: { gpu: { models: ['H100'], count: 16 } } });
    d.store.jobs.transition(id, 'failed', 'exited 1', d.clock.now, { finishedAt: d.clock.now.toISOString() });
    await d.advance(2);
    expect(await alerts()).toEqual([]);
  });
});

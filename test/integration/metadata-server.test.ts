// The simulated metadata server, over HTTP with plain fetch: each cloud's admission rules (token, header),
// the shape of each notice against the real bodies in test/fixtures/metadata, Azure's acknowledgement,
// GCP's hanging GET, and the injected faults.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MetadataServer,
  type MetadataServerOptions,
  startMetadataServer,
} from '../../src/clouds/sim/metadata-server.js';
import type { CloudName } from '../../src/core/model.js';

const fixture = (path: string) =>
  readFileSync(new URL(`../fixtures/metadata/${path}`, import.meta.url), 'utf8');

const T0 = new Date('2026-11-28T12:00:00Z');
let clock = T0;
let server: MetadataServer | undefined;

async function start(cloud: CloudName, over: Partial<MetadataServerOptions> = {}): Promise<MetadataServer> {
  clock = T0;
  server = await startMetadataServer({ cloud, now: () => clock, ...over });
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  const res = await fetch(server!.url + path, { headers, ...init });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

async function awsToken(ttl = '21600'): Promise<string> {
  const res = await fetch(`${server!.url}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
  expect(res.status).toBe(200);
  return res.text();
}

const AWS_ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const AWS_EVENT_TIME = /^\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/;
const RFC1123 = /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/;

describe('every cloud refuses a request without its header, as the real server does', () => {
  it.each([
    ['aws', '/latest/meta-data/spot/instance-action', 401],
    ['gcp', '/computeMetadata/v1/instance/preempted', 403],
    ['azure', '/metadata/scheduledevents?api-version=2020-07-01', 400],
  ] as const)('%s: GET %s without it is %i', async (cloud, path, status) => {
    await start(cloud);
    expect((await get(path)).status).toBe(status);
  });

  it.each([
    ['aws', '/latest/api/token', 'PUT', 403],
    ['gcp', '/computeMetadata/v1/instance/preempted', 'GET', 403],
    ['azure', '/metadata/scheduledevents?api-version=2020-07-01', 'GET', 400],
  ] as const)(
    '%s refuses anything that came through a proxy (X-Forwarded-For)',
    async (cloud, path, method, status) => {
      await start(cloud);
      const headers = {
        'X-Forwarded-For': '10.0.0.1',
        'X-aws-ec2-metadata-token-ttl-seconds': '60',
        'Metadata-Flavor': 'Google',
        Metadata: 'true',
      };
      expect((await get(path, headers, { method })).status).toBe(status);
    },
  );
});

describe('AWS IMDSv2', () => {
  it.each([
    ['no TTL header', undefined],
    ['a TTL of 0', '0'],
    ['a TTL over six hours', '21601'],
    ['a TTL that is no number', 'soon'],
  ])('refuses a token request with %s (400)', async (_case, ttl) => {
    await start('aws');
    const headers: Record<string, string> =
      ttl === undefined ? {} : { 'X-aws-ec2-metadata-token-ttl-seconds': ttl };
    expect((await get('/latest/api/token', headers, { method: 'PUT' })).status).toBe(400);
  });

  it('issues a token that opens the metadata and echoes the TTL it granted', async () => {
    await start('aws', { instance: { id: 'i-0abc' } });
    const res = await get(
      '/latest/api/token',
      { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
      { method: 'PUT' },
    );
    expect(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe('300');
    const id = await get('/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': res.body });
    expect(id).toMatchObject({ status: 200, body: 'i-0abc' });
  });

  it('turns a token away once it expired or IMDS forgot it (401)', async () => {
    const sim = await start('aws');
    const path = '/latest/meta-data/instance-id';
    const shortLived = await awsToken('60');
    clock = new Date(T0.getTime() + 61_000);
    expect((await get(path, { 'X-aws-ec2-metadata-token': shortLived })).status).toBe(401);
    const fresh = await awsToken();
    expect((await get(path, { 'X-aws-ec2-metadata-token': fresh })).status).toBe(200);
    sim.revokeTokens();
    expect((await get(path, { 'X-aws-ec2-metadata-token': fresh })).status).toBe(401);
  });

  it('says 404 until the reclaim, then the real body shape, two minutes ahead', async () => {
    const sim = await start('aws');
    const auth = { 'X-aws-ec2-metadata-token': await awsToken() };
    expect((await get('/latest/meta-data/spot/instance-action', auth)).status).toBe(404);

    const raised = sim.raiseNotice();
    const res = await get('/latest/meta-data/spot/instance-action', auth);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(Object.keys(body)).toEqual(Object.keys(JSON.parse(fixture('aws/imds.spot.instance-action.json'))));
    expect(body).toEqual({ action: 'terminate', time: '2026-11-28T12:02:00Z' });
    expect(body.time).toMatch(AWS_ISO_SECONDS);
    expect(raised).toMatchObject({
      kind: 'preempt',
      deadline: new Date('2026-11-28T12:02:00Z'),
      body: res.body,
    });
    // The older path that some tools still read.
    expect((await get('/latest/meta-data/spot/termination-time', auth)).body).toBe('2026-11-28T12:02:00Z');
  });

  it('serves the other actions and a custom notice length', async () => {
    const sim = await start('aws');
    sim.raiseNotice({ action: 'hibernate', noticeSeconds: 10 });
    const auth = { 'X-aws-ec2-metadata-token': await awsToken() };
    expect(JSON.parse((await get('/latest/meta-data/spot/instance-action', auth)).body)).toEqual({
      action: 'hibernate',
      time: '2026-11-28T12:00:10Z',
    });
  });

  it('serves the rebalance recommendation in the real shape', async () => {
    const sim = await start('aws');
    const auth = { 'X-aws-ec2-metadata-token': await awsToken() };
    const path = '/latest/meta-data/events/recommendations/rebalance';
    expect((await get(path, auth)).status).toBe(404);
    expect(sim.raiseRebalance()).toMatchObject({ kind: 'rebalance', deadline: null });
    const body = JSON.parse((await get(path, auth)).body);
    expect(Object.keys(body)).toEqual(
      Object.keys(JSON.parse(fixture('aws/imds.events.recommendations.rebalance.json'))),
    );
    expect(body.noticeTime).toBe('2026-11-28T12:00:00Z');
  });

  it('lists scheduled maintenance with the real keys and time format', async () => {
    const sim = await start('aws');
    const auth = { 'X-aws-ec2-metadata-token': await awsToken() };
    const path = '/latest/meta-data/events/maintenance/scheduled';
    expect(JSON.parse((await get(path, auth)).body)).toEqual([]);
    const raised = sim.raiseNotice({ kind: 'maintenance', noticeSeconds: 86_400 });
    const [event] = JSON.parse((await get(path, auth)).body);
    const real = JSON.parse(fixture('aws/imds.events.maintenance.scheduled.json'));
    for (const key of ['Code', 'Description', 'EventId', 'NotBefore', 'NotAfter', 'State']) {
      expect(Object.keys(real)).toContain(key);
      expect(event).toHaveProperty(key);
    }
    expect(event).toMatchObject({
      State: 'active',
      EventId: raised.eventId,
      NotBefore: '29 Nov 2026 12:00:00 GMT',
    });
    expect(event.NotAfter).toMatch(AWS_EVENT_TIME);
    expect(real.NotBefore).toMatch(AWS_EVENT_TIME);
  });

  it('withdraws every notice on clear', async () => {
    const sim = await start('aws');
    sim.raiseNotice();
    sim.raiseRebalance();
    sim.clear();
    const auth = { 'X-aws-ec2-metadata-token': await awsToken() };
    expect((await get('/latest/meta-data/spot/instance-action', auth)).status).toBe(404);
    expect((await get('/latest/meta-data/events/recommendations/rebalance', auth)).status).toBe(404);
  });
});

describe('GCP metadata server', () => {
  const flavor = { 'Metadata-Flavor': 'Google' };

  it('answers FALSE then TRUE as text, with the flavor header and an ETag', async () => {
    const sim = await start('gcp');
    const before = await get('/computeMetadata/v1/instance/preempted', flavor);
    expect(before).toMatchObject({ status: 200, body: fixture('gcp/metadata.instance.preempted.FALSE.txt') });
    expect(before.headers.get('metadata-flavor')).toBe('Google');
    expect(before.headers.get('content-type')).toBe('application/text');
    const raised = sim.raiseNotice();
    const after = await get('/computeMetadata/v1/instance/preempted', flavor);
    expect(after.body).toBe(fixture('gcp/metadata.instance.preempted.TRUE.txt'));
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(raised).toMatchObject({
      kind: 'preempt',
      deadline: new Date('2026-11-28T12:00:30Z'),
      body: 'TRUE',
    });
  });

  it('announces host maintenance as TERMINATE_ON_HOST_MAINTENANCE', async () => {
    const sim = await start('gcp');
    const path = '/computeMetadata/v1/instance/maintenance-event';
    expect((await get(path, flavor)).body).toBe(fixture('gcp/metadata.instance.maintenance-event.NONE.txt'));
    sim.raiseNotice({ kind: 'maintenance' });
    expect((await get(path, flavor)).body).toBe(
      fixture('gcp/metadata.instance.maintenance-event.TERMINATE_ON_HOST_MAINTENANCE.txt'),
    );
  });

  it('puts the flavor header on its refusals too, so a client can tell it from an impostor', async () => {
    await start('gcp');
    const res = await get('/computeMetadata/v1/instance/preempted');
    expect(res.status).toBe(403);
    expect(res.headers.get('metadata-flavor')).toBe('Google');
  });

  it('has no rebalance recommendation', async () => {
    const sim = await start('gcp');
    expect(() => sim.raiseRebalance()).toThrow(/AWS only/);
  });

  it('holds a wait_for_change request until the value changes', async () => {
    const sim = await start('gcp');
    const pending = get('/computeMetadata/v1/instance/preempted?wait_for_change=true', flavor);
    let answered = false;
    void pending.then(() => {
      answered = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    sim.raiseNotice();
    expect((await pending).body).toBe('TRUE');
  });

  it('answers a wait_for_change at once when last_etag is already out of date, and at timeout_sec', async () => {
    await start('gcp');
    const stale = await get(
      '/computeMetadata/v1/instance/preempted?wait_for_change=true&last_etag=0000000000000000',
      flavor,
    );
    expect(stale.body).toBe('FALSE');
    const started = Date.now();
    const timedOut = await get(
      '/computeMetadata/v1/instance/preempted?wait_for_change=true&timeout_sec=1',
      flavor,
    );
    expect(timedOut.body).toBe('FALSE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('lets close() end a request that is still waiting', async () => {
    const sim = await start('gcp');
    const pending = get('/computeMetadata/v1/instance/preempted?wait_for_change=true', flavor).catch(
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 50));
    await sim.close();
    server = undefined;
    await pending; // settles (answered or cut off) rather than hanging the test
  });
});

describe('Azure Scheduled Events', () => {
  const md = { Metadata: 'true' };
  const path = '/metadata/scheduledevents?api-version=2020-07-01';

  it.each([
    ['no api-version', '/metadata/scheduledevents', /api-version was not specified/],
    ['an unknown api-version', '/metadata/scheduledevents?api-version=1999-01-01', /api-version is invalid/],
  ])('refuses %s with IMDS JSON error (400)', async (_case, p, message) => {
    await start('azure');
    const res = await get(p, md);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(message);
  });

  it('says "Required metadata header not specified" without Metadata: true', async () => {
    await start('azure');
    const res = await get(path, { Metadata: 'false' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'Bad request. Required metadata header not specified' });
  });

  it('serves an empty document, then a Preempt event shaped like the real one, 30 s ahead', async () => {
    const sim = await start('azure', { instance: { name: 'vm-spot' } });
    expect(JSON.parse((await get(path, md)).body)).toEqual({ DocumentIncarnation: 0, Events: [] });

    const raised = sim.raiseNotice();
    const doc = JSON.parse((await get(path, md)).body);
    const real = JSON.parse(fixture('azure/imds.scheduledevents.preempt.json'));
    expect(Object.keys(doc)).toEqual(Object.keys(real));
    expect(Object.keys(doc.Events[0])).toEqual(Object.keys(real.Events[0]));
    expect(doc).toEqual({
      DocumentIncarnation: 1,
      Events: [
        {
          ...real.Events[0],
          EventId: raised.eventId,
          NotBefore: 'Sat, 28 Nov 2026 12:00:30 GMT',
        },
      ],
    });
    expect(doc.Events[0].NotBefore).toMatch(RFC1123);
    expect(raised.deadline).toEqual(new Date('2026-11-28T12:00:30Z'));
  });

  it('starts an acknowledged event, bumps the incarnation, and keeps the history', async () => {
    const sim = await start('azure');
    const { eventId } = sim.raiseNotice();
    clock = new Date(T0.getTime() + 12_000);
    const ack = await get(
      path,
      { ...md, 'Content-Type': 'application/json' },
      {
        method: 'POST',
        body: JSON.stringify({ StartRequests: [{ EventId: eventId }] }),
      },
    );
    expect(ack.status).toBe(200);
    const doc = JSON.parse((await get(path, md)).body);
    expect(doc.DocumentIncarnation).toBe(2);
    expect(doc.Events[0]).toMatchObject({ EventId: eventId, EventStatus: 'Started', NotBefore: '' });
    expect(sim.acknowledged()).toEqual([{ eventId, at: clock, known: true }]);
  });

  it('records an acknowledgement of an unknown event without changing the document', async () => {
    const sim = await start('azure');
    await get(path, md, { method: 'POST', body: JSON.stringify({ StartRequests: [{ EventId: 'nope' }] }) });
    expect(sim.acknowledged()).toEqual([{ eventId: 'nope', at: T0, known: false }]);
    expect(JSON.parse((await get(path, md)).body).DocumentIncarnation).toBe(0);
  });

  it('refuses an acknowledgement that is not StartRequests (400)', async () => {
    await start('azure');
    const res = await get(path, md, { method: 'POST', body: '{"EventId":"x"}' });
    expect(res.status).toBe(400);
  });

  it.each([
    ['Terminate', 'preempt', 'User'],
    ['Reboot', 'maintenance', 'Platform'],
  ] as const)('raises a %s event for a %s notice (source %s)', async (eventType, kind, source) => {
    const sim = await start('azure');
    sim.raiseNotice({ kind, eventType });
    const [event] = JSON.parse((await get(path, md)).body).Events;
    expect(event).toMatchObject({ EventType: eventType, EventSource: source, EventStatus: 'Scheduled' });
  });
});

describe('fault injection', () => {
  const path = '/computeMetadata/v1/instance/preempted';
  const flavor = { 'Metadata-Flavor': 'Google' };

  it('answers 500 for the next N matching requests, then normally', async () => {
    const sim = await start('gcp');
    sim.faults.serverError(2, 'preempted');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(path, flavor)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('leaves requests that do not match alone', async () => {
    const sim = await start('gcp');
    sim.faults.serverError(1, /maintenance-event/);
    expect((await get(path, flavor)).status).toBe(200);
    expect((await get('/computeMetadata/v1/instance/maintenance-event', flavor)).status).toBe(500);
  });

  it('answers late when slowed', async () => {
    const sim = await start('gcp');
    sim.faults.slow(300);
    const started = Date.now();
    expect((await get(path, flavor)).body).toBe('FALSE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('never answers a hung request (the client gives up), nor a reset one', async () => {
    const sim = await start('gcp');
    sim.faults.hang(1).reset(1);
    await expect(get(path, flavor, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await expect(get(path, flavor)).rejects.toThrow();
    expect((await get(path, flavor)).status).toBe(200);
  });

  it('keeps a log of the requests it saw', async () => {
    const sim = await start('aws');
    await awsToken();
    expect(sim.requests().map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /latest/api/token']);
    expect(sim.requests()[0]?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
  });
});

// GET /v1/events over a real socket: the frames a team and an admin see, filters, resuming with
// Last-Event-ID from the database, heartbeats, and a daemon that stops with streams open.
import { afterEach, describe, expect, it } from 'vitest';
import type { SseMessage } from '../../src/cli/sse.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';
import { data, openStream, type Stream } from '../helpers/sse.js';

const JOB = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 1 },
};

let d: TestDaemon;
let base: string;
const streams: Stream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await d?.stop();
});

async function start(change?: Parameters<typeof testDaemon>[0]) {
  d = await testDaemon(change);
  base = await d.app.listen({ host: '127.0.0.1', port: 0 });
}

async function stream(token: string, query = '', headers: Record<string, string> = {}) {
  const s = await openStream(`${base}/v1/events${query}`, { authorization: `Bearer ${token}`, ...headers });
  streams.push(s);
  return s;
}

async function submit(token: string, body: object = JOB): Promise<string> {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

const isType = (type: string) => (m: SseMessage) => m.event === type;
const about = (jobId: string) => (m: SseMessage) => m.event.startsWith('job.') && data(m).jobId === jobId;

describe('GET /v1/events', () => {
  it('says hello, then streams a job’s transitions and its placement as they commit', async () => {
    await start();
    const token = await d.teamToken('research');
    const s = await stream(token);
    expect(s.status).toBe(200);
    const hello = await s.next(isType('hello'));
    expect(data(hello)).toMatchObject({ team: 'research', admin: false });
    expect(hello.id).toMatch(/^\d+\.\d+$/);

    const id = await submit(token);
    const submitted = await s.next(about(id));
    expect(data(submitted)).toMatchObject({
      type: 'job.transition',
      from: null,
      to: 'queued',
      team: 'research',
    });
    await d.advance(0);
    const scheduled = await s.next(about(id));
    expect(data(scheduled)).toMatchObject({ type: 'job.transition', from: 'queued', to: 'scheduled' });
    const placement = data(await s.next(about(id)));
    const job = (await d.call('GET', `/v1/jobs/${id}`, token)).body;
    expect(placement).toMatchObject({
      type: 'job.placement',
      cloud: job.placement.cloud,
      region: job.placement.region,
      instanceType: job.placement.instanceType,
      market: job.placement.market,
      pricePerHour: job.placement.pricePerHour,
    });
    expect(placement.expectedCostUsd).toBeCloseTo(job.expectedCostUsd, 4);
    // Ids grow with the job_events sequence.
    expect(Number(scheduled.id!.split('.')[0])).toBeGreaterThan(Number(submitted.id!.split('.')[0]));
    // The node launched for it (created in the same transaction) is everyone's to see.
    const [node] = await s.collect(1, isType('node.transition'));
    expect(data(node!)).toMatchObject({ nodeId: job.placement.nodeIds[0], from: null, to: 'provisioning' });
  });

  it('a team sees only its own jobs; an admin sees all, or one team with ?team=', async () => {
    await start();
    const research = await d.teamToken('research');
    const vision = await d.teamToken('vision');
    const r = await stream(research, '?types=job.transition');
    const a = await stream(ADMIN, '?types=job.transition');
    const av = await stream(ADMIN, '?types=job.transition&team=vision');
    await Promise.all([r, a, av].map((s) => s.next(isType('hello'))));
    const rid = await submit(research);
    const vid = await submit(vision);
    const seen = async (s: Stream, n: number) =>
      (await s.collect(n, isType('job.transition'))).map((m) => data(m).jobId);
    expect(await seen(a, 2)).toEqual([rid, vid]);
    expect(await seen(av, 1)).toEqual([vid]);
    // The research stream got its own job, and by the time the admin saw vision's, it would have seen it too.
    expect(await seen(r, 1)).toEqual([rid]);
    expect(r.frames.filter(isType('job.transition'))).toHaveLength(1);
  });

  it('refuses another team’s ?team=, and a stream without a token', async () => {
    await start();
    const research = await d.teamToken('research');
    expect((await d.call('GET', '/v1/events?team=vision', research)).status).toBe(404);
    const res = await fetch(`${base}/v1/events`);
    expect(res.status).toBe(401);
    expect((await d.call('GET', '/v1/events?types=job.bogus', research)).status).toBe(400);
  });

  it('?job= keeps one job’s events', async () => {
    await start();
    const token = await d.teamToken('research');
    const first = await submit(token);
    const s = await stream(token, `?job=${first}`);
    await s.next(isType('hello'));
    await submit(token);
    await d.advance(0);
    const frames = await s.collect(2, (m) => m.event.startsWith('job.'));
    expect(new Set(frames.map((m) => data(m).jobId))).toEqual(new Set([first]));
    expect(s.frames.some(isType('node.transition'))).toBe(false);
  });

  it('resumes after Last-Event-ID with what was missed, from the database, then goes on live', async () => {
    await start();
    const token = await d.teamToken('research');
    const s1 = await stream(token, '?types=job.transition');
    const hello = await s1.next(isType('hello'));
    const id = await submit(token);
    const seen = await s1.next(about(id));
    s1.close();
    // Missed while away: the job is placed and launched; a vision job comes and goes unseen.
    await d.advance(0);
    await submit(await d.teamToken('vision'));
    const s2 = await stream(token, '?types=job.transition', { 'last-event-id': seen.id! });
    const hello2 = await s2.next(isType('hello'));
    expect(data(hello2).resumedFrom).toBe(seen.id);
    // The hello's id is the resume point, so a drop during the replay loses nothing.
    expect(hello2.id).toBe(seen.id);
    const replayed = await s2.collect(2, isType('job.transition'));
    expect(replayed.map((m) => [data(m).from, data(m).to])).toEqual([
      ['queued', 'scheduled'],
      ['scheduled', 'provisioning'],
    ]);
    expect(replayed.every((m) => data(m).jobId === id)).toBe(true);
    // A resumed stream from the very first hello replays the submission too.
    const s3 = await stream(token, `?types=job.transition&lastEventId=${hello.id}`);
    expect((await s3.collect(3, isType('job.transition'))).map((m) => data(m).to)).toEqual([
      'queued',
      'scheduled',
      'provisioning',
    ]);
    // Then live.
    await d.advance(1);
    await d.advance(0);
    const live = await s2.next((m) => m.event === 'job.transition' && data(m).to === 'running');
    expect(data(live).jobId).toBe(id);
  });

  it('says `gap` and replays nothing when more was missed than events.replayLimit', async () => {
    await start((c) => {
      c.events.replayLimit = 2;
    });
    const token = await d.teamToken('research');
    const s1 = await stream(token);
    const hello = await s1.next(isType('hello'));
    s1.close();
    for (let i = 0; i < 3; i++) await submit(token);
    const s2 = await stream(token, '', { 'last-event-id': hello.id! });
    await s2.next(isType('gap'));
    await new Promise((r) => setTimeout(r, 100));
    expect(s2.frames.some(isType('job.transition'))).toBe(false);
  });

  it('sends a heartbeat comment on a quiet stream', async () => {
    await start((c) => {
      c.events.heartbeatSeconds = 0.05;
    });
    const s = await stream(ADMIN);
    await s.next(isType('hello'));
    await new Promise((r) => setTimeout(r, 200));
    expect(s.raw()).toContain(': heartbeat\n\n');
  });

  it('tells of a reclaim notice, with the jobs on the node', async () => {
    await start();
    const token = await d.teamToken('research');
    const id = await submit(token);
    await d.advance(0);
    await d.advance(1);
    await d.advance(0);
    const job = (await d.call('GET', `/v1/jobs/${id}`, token)).body;
    expect(job.state).toBe('running');
    const s = await stream(token, '?types=node.notice');
    await s.next(isType('hello'));
    const r = await d.call('POST', `/v1/sim/nodes/${job.placement.nodeIds[0]}/interrupt`, ADMIN, {});
    expect(r.status).toBe(202);
    await d.advance(0);
    const notice = data(await s.next(isType('node.notice')));
    expect(notice).toMatchObject({
      nodeId: job.placement.nodeIds[0],
      jobIds: [id],
      cloud: job.placement.cloud,
    });
  });

  it('closes open streams when the daemon stops (stop does not hang)', async () => {
    await start();
    const s = await stream(ADMIN);
    await s.next(isType('hello'));
    await d.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.raw()).toContain('event: hello');
  });
});

// The queue API through inject(): who sees what, idempotency, validation, pagination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const job = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['A100'], count: 1 } },
  runtime: { estimateHours: 1 },
  labels: { project: 'llm' },
};

let d: TestDaemon;
let research: string;
let vision: string;
beforeAll(async () => {
  d = await testDaemon();
  research = await d.teamToken('research');
  vision = await d.teamToken('vision');
});
afterAll(async () => d.stop());

describe('authentication', () => {
  it.each([
    ['no token', undefined],
    ['a wrong token', 'gs_nope'],
  ])('refuses a call with %s (401)', async (_what, token) => {
    const r = await d.app.inject({
      method: 'GET',
      url: '/v1/jobs',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('keeps token creation for the admin (403 for a team)', async () => {
    expect((await d.call('POST', '/v1/tokens', research, { team: 'x' })).status).toBe(403);
  });

  it('never stores a token in clear: only its hash', () => {
    const rows = d.store.db.prepare('SELECT hash FROM tokens').all() as { hash: string }[];
    expect(rows.map((r) => r.hash)).not.toContain(research);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  });

  it('answers health and readiness without a token', async () => {
    expect((await d.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await d.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ store: true, market: true });
  });
});

describe('team isolation', () => {
  let id: string;
  beforeAll(async () => {
    id = (await d.call('POST', '/v1/jobs', research, job)).body.id;
  });

  it('takes the team from the token', async () => {
    expect((await d.call('GET', `/v1/jobs/${id}`, research)).body.team).toBe('research');
  });

  it.each([
    ['GET', 'read'],
    ['DELETE', 'cancel'],
  ] as const)('answers another team that tries to %s the job with 404', async (method, _verb) => {
    const r = await d.call(method, `/v1/jobs/${id}`, vision);
    expect(r.status).toBe(404);
  });

  it("lists only the caller's own jobs", async () => {
    const items = (await d.call('GET', '/v1/jobs', vision)).body.items;
    expect(items.map((j: { team: string }) => j.team)).not.toContain('research');
  });

  it('refuses a body that names another team (403)', async () => {
    const r = await d.call('POST', '/v1/jobs', vision, { ...job, team: 'research' });
    expect(r.status).toBe(403);
    expect(r.body.issues).toEqual([{ path: 'team', message: expect.stringContaining('vision') }]);
  });

  it('makes the admin name a team, and lets it act for any', async () => {
    expect((await d.call('POST', '/v1/jobs', ADMIN, job)).status).toBe(400);
    const r = await d.call('POST', '/v1/jobs', ADMIN, { ...job, team: 'vision' });
    expect(r.status).toBe(201);
    expect(r.body.team).toBe('vision');
    expect((await d.call('GET', `/v1/jobs/${id}`, ADMIN)).status).toBe(200);
  });
});

describe('idempotency', () => {
  it('returns the same job for a retried submission with the same key', async () => {
    const h = { 'idempotency-key': 'retry-1' };
    const first = await d.call('POST', '/v1/jobs', research, job, h);
    const again = await d.call('POST', '/v1/jobs', research, { ...job }, h);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('answers 422 when the key comes back with another body', async () => {
    const h = { 'idempotency-key': 'retry-2' };
    await d.call('POST', '/v1/jobs', research, job, h);
    const r = await d.call('POST', '/v1/jobs', research, { ...job, priority: 99 }, h);
    expect(r.status).toBe(422);
  });

  it('scopes keys per team: the same key from another team is a new job', async () => {
    const h = { 'idempotency-key': 'shared-key' };
    const a = await d.call('POST', '/v1/jobs', research, job, h);
    const b = await d.call('POST', '/v1/jobs', vision, job, h);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('treats a key older than the window as new', async () => {
    const h = { 'idempotency-key': 'old-key' };
    const a = await d.call('POST', '/v1/jobs', research, job, h);
    const before = d.clock.now;
    d.clock.now = new Date(before.getTime() + 25 * 3_600_000);
    const b = await d.call('POST', '/v1/jobs', research, job, h);
    d.clock.now = before;
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });
});

describe('validation', () => {
  it('answers 400 with every offending field path, unknown fields included', async () => {
    const r = await d.call('POST', '/v1/jobs', research, {
      name: 'bad name!',
      resources: { gpu: { count: 0 }, gpus: 1 },
      runtime: { estimateHours: -1 },
      extra: 1,
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    const paths = r.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'resources.gpu.count',
        'resources.gpus',
        'runtime.estimateHours',
        'extra',
      ]),
    );
  });

  it('answers 400 for a dependency that does not exist', async () => {
    const r = await d.call('POST', '/v1/jobs', research, { ...job, name: 'eval', dependsOn: ['ghost'] });
    expect(r.status).toBe(400);
    expect(r.body.issues).toEqual([{ path: 'dependsOn.0', message: 'no job "ghost" in team research' }]);
  });

  it('answers 400 for malformed JSON and 413 for a body over the limit', async () => {
    const bad = await d.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: `Bearer ${research}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    const big = await d.call('POST', '/v1/jobs', research, { ...job, labels: { x: 'y'.repeat(300_000) } });
    expect(big.status).toBe(413);
  });

  it('checks query strings too, with their path', async () => {
    const r = await d.call('GET', '/v1/jobs?state=sleeping', research);
    expect(r.status).toBe(400);
    expect(r.body.issues[0].path).toBe('querystring.state');
  });
});

describe('listing jobs', () => {
  it('pages newest first with a cursor, and filters by state and label', async () => {
    for (let i = 0; i < 5; i++)
      await d.call('POST', '/v1/jobs', research, {
        ...job,
        name: `page-${i}`,
        labels: { ...job.labels, batch: 'p' },
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/jobs?label=batch%3Dp&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await d.call('GET', q, research);
      seen.push(...r.body.items.map((j: { name: string }) => j.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    const both = (await d.call('GET', '/v1/jobs?label=batch%3Dp&label=project%3Dllm&limit=500', research))
      .body.items;
    expect(both).toHaveLength(5);
    const none = (await d.call('GET', '/v1/jobs?label=batch%3Dp&label=project%3Dother', research)).body.items;
    expect(none).toHaveLength(0);
    const queued = (await d.call('GET', '/v1/jobs?state=queued&limit=500', research)).body.items;
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.every((j: { state: string }) => j.state === 'queued')).toBe(true);
  });

  it('shows a job with its events', async () => {
    const id = (await d.call('POST', '/v1/jobs', research, job)).body.id;
    const r = await d.call('GET', `/v1/jobs/${id}`, research);
    expect(r.body.events).toEqual([
      { at: expect.any(String), from: null, to: 'queued', reason: 'submitted' },
    ]);
  });
});

describe('offers and nodes', () => {
  it('lists offers cheapest first with the freshness of every source', async () => {
    const r = await d.call('GET', '/v1/offers?gpu=H100&market=spot&limit=5', research);
    const prices = r.body.items.map((o: { pricePerHour: number }) => o.pricePerHour);
    expect(prices).toEqual([...prices].sort((a: number, b: number) => a - b));
    expect(
      r.body.items.every(
        (o: { gpu: { model: string }; source: string }) => o.gpu.model === 'H100' && o.source === 'simulated',
      ),
    ).toBe(true);
    expect(r.body.sources.map((s: { cloud: string }) => s.cloud).sort()).toEqual(['aws', 'azure', 'gcp']);
    expect(r.body.sources[0]).toMatchObject({ kind: 'simulated', stale: false });
  });

  it('serves the OpenAPI document at /docs', async () => {
    const r = await d.app.inject({ url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    expect(Object.keys(r.json().paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/offers', '/v1/nodes']),
    );
  });
});

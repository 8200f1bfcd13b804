// What the dashboard stands on: its files under /ui (with a strict CSP), the token-for-cookie login, the
// cookie as a read-only credential for /v1, GET /v1/fleet and GET /v1/offers/history.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
afterEach(async () => d?.stop());

const get = (url: string, headers: Record<string, string> = {}) =>
  d.app.inject({ method: 'GET', url, headers });

async function login(token: string) {
  const res = await d.app.inject({ method: 'POST', url: '/ui/login', payload: { token } });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  return { res, setCookie, cookie: setCookie.split(';')[0]! };
}

describe('the dashboard’s files', () => {
  it('/ui redirects to /ui/, which is the page, with a CSP that allows only this origin', async () => {
    d = await testDaemon();
    const redirect = await get('/ui');
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/ui/');
    const page = await get('/ui/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/ui/app.js">');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves its modules and uPlot from node_modules, and nothing outside its folder', async () => {
    d = await testDaemon();
    for (const path of ['/ui/app.js', '/ui/pages/jobs.js', '/ui/lib/chart.js', '/ui/vendor/uPlot.esm.js']) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/javascript/);
    }
    expect((await get('/ui/vendor/uPlot.min.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/nope.js',
      '/ui/lib/../../src/daemon.ts',
    ])
      expect((await get(path)).statusCode, path).toBe(404);
  });
});

describe('login', () => {
  it('trades a valid token for an HttpOnly, SameSite=Strict session cookie; refuses a bad one', async () => {
    d = await testDaemon();
    const bad = await login('gs_not-a-token');
    expect(bad.res.statusCode).toBe(401);
    expect(bad.setCookie).toBe('');
    const team = await d.teamToken('research');
    const ok = await login(team);
    expect(ok.res.statusCode).toBe(200);
    expect(ok.res.json()).toMatchObject({ team: 'research', admin: false });
    expect(ok.setCookie).toMatch(
      /^gpusched_session=[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect((await get('/ui/session', { cookie: ok.cookie })).json()).toEqual({
      loggedIn: true,
      team: 'research',
      admin: false,
    });
    expect((await get('/ui/session')).json()).toEqual({ loggedIn: false });
    expect((await get('/ui/session', { cookie: 'gpusched_session=forged' })).json()).toEqual({
      loggedIn: false,
    });
  });

  it('the cookie reads /v1 as its token would, and only reads', async () => {
    d = await testDaemon();
    const research = await d.teamToken('research');
    const vision = await d.teamToken('vision');
    await d.call('POST', '/v1/jobs', vision, {
      name: 'v',
      image: 'x',
      resources: { gpu: { models: ['T4'], count: 1 } },
      runtime: { estimateHours: 1 },
    });
    const { cookie } = await login(research);
    const jobs = await get('/v1/jobs', { cookie });
    expect(jobs.statusCode).toBe(200);
    expect(jobs.json().items).toEqual([]);
    // A write with the cookie alone is not authenticated: no cross-site form can act with it.
    const post = await d.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { cookie },
      payload: { name: 'x', image: 'x', resources: { gpu: { models: ['T4'], count: 1 } } },
    });
    expect(post.statusCode).toBe(401);
    const del = await d.app.inject({ method: 'DELETE', url: '/v1/jobs/job-x', headers: { cookie } });
    expect(del.statusCode).toBe(401);
  });

  it('logout ends the session', async () => {
    d = await testDaemon();
    const { cookie } = await login(ADMIN);
    expect((await get('/v1/jobs', { cookie })).statusCode).toBe(200);
    const out = await d.app.inject({ method: 'POST', url: '/ui/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await get('/v1/jobs', { cookie });
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toBe('the dashboard session has ended; log in again');
  });

  it('a session ends after ui.sessionHours', async () => {
    d = await testDaemon((c) => {
      c.ui.sessionHours = 1;
    });
    const { cookie } = await login(ADMIN);
    d.clock.now = new Date(d.clock.now.getTime() + 3_600_000);
    expect((await get('/v1/jobs', { cookie })).statusCode).toBe(401);
  });
});

describe('GET /v1/fleet', () => {
  it('nodes not terminated with their utilisation, and totals by cloud, region and market', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await d.call('POST', '/v1/jobs', token, {
        name: `j${i}`,
        image: 'x',
        resources: { gpu: { models: ['T4'], count: 1 } },
        runtime: { estimateHours: 100 },
      });
      ids.push(r.body.id);
    }
    await d.advance(0);
    await d.advance(1);
    await d.advance(0);
    const nodes = (await d.call('GET', '/v1/nodes', ADMIN)).body.items.filter(
      (n: any) => n.state === 'ready',
    );
    expect(nodes.length).toBeGreaterThan(0);
    d.store.agents.seen(nodes[0].id, d.clock.now, {
      at: d.clock.now.toISOString(),
      gpus: [{ index: 0, utilizationPct: 64 }],
    });
    const fleet = (await d.call('GET', '/v1/fleet', token)).body;
    expect(fleet.items.map((n: any) => n.id).sort()).toEqual(nodes.map((n: any) => n.id).sort());
    expect(fleet.items.find((n: any) => n.id === nodes[0].id)).toMatchObject({ utilizationPercent: 64 });
    const total = fleet.groups.reduce((s: number, g: any) => s + g.nodes, 0);
    expect(total).toBe(nodes.length);
    const g = fleet.groups.find((x: any) => x.cloud === nodes[0].cloud && x.region === nodes[0].region);
    expect(g).toMatchObject({ market: nodes[0].market, reporting: 1, utilizationPercent: 64 });
  });
});

describe('GET /v1/offers/history', () => {
  it('the cheapest price per GPU-hour of a GPU model per cloud and market, and the models on offer', async () => {
    d = await testDaemon();
    const r = await d.call('GET', '/v1/offers/history?gpu=A100&market=spot', ADMIN);
    expect(r.status).toBe(200);
    expect(r.body.models).toContain('A100');
    expect(r.body.series.length).toBeGreaterThan(0);
    const offers = (await d.call('GET', '/v1/offers?gpu=A100&market=spot&limit=5000', ADMIN)).body.items;
    for (const s of r.body.series) {
      expect(s.market).toBe('spot');
      const cheapest = Math.min(
        ...offers.filter((o: any) => o.cloud === s.cloud).map((o: any) => o.pricePerHour / o.gpu.count),
      );
      expect(s.points.at(-1).pricePerGpuHour).toBeCloseTo(cheapest, 9);
    }
  });

  it('needs a GPU model', async () => {
    d = await testDaemon();
    expect((await d.call('GET', '/v1/offers/history', ADMIN)).status).toBe(400);
  });
});

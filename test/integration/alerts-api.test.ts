// GET /v1/alerts on a minimal fastify instance: the route plugin, the API's TypeBox validation, and the
// caller a bearer token would give (set here by a header, standing in for the auth hook).
import Fastify, { type FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredAlert } from '../../src/alerts/notifier.js';
import { alertRoutes } from '../../src/api/routes/alerts.js';
import { schemaIssues } from '../../src/core/validate.js';
import { ApiError } from '../../src/services/jobs.js';
import { AlertRepo } from '../../src/store/alerts.js';
import { invalidAlert, limitAlert, thresholdAlert } from '../helpers/alerts.js';
import { openAlertsDb } from '../helpers/alerts-db.js';

const NOW = new Date('2026-03-20T10:00:00.000Z');
let app: FastifyInstance;

beforeAll(async () => {
  const repo = new AlertRepo(openAlertsDb());
  const raise = (alert: StoredAlert, slack?: string) => repo.insertIfNew({ alert, slack }, NOW);
  const first = raise(thresholdAlert({ thresholdPercent: 50 }) as StoredAlert, 'research'); // 1
  repo.markDelivered(first.record.id, 1, NOW);
  raise(thresholdAlert({ policy: 'vision-monthly', team: 'vision', scope: 'team vision' }) as StoredAlert); // 2
  raise(thresholdAlert({ policy: 'prod-daily', team: null, scope: 'labels env=prod' }) as StoredAlert); // 3
  raise(invalidAlert() as StoredAlert); // 4
  raise(limitAlert() as StoredAlert, 'research'); // 5

  app = Fastify();
  // The API's validator (src/api/app.ts): query strings get defaults and conversions, then TypeBox checks.
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const value = Value.Convert(schema as TSchema, Value.Default(schema as TSchema, data));
    const issues = schemaIssues(schema as TSchema, value);
    return issues.length === 0 ? { value } : { error: Object.assign(new Error('invalid'), { issues }) };
  });
  app.setErrorHandler((err: Error & { issues?: unknown; statusCode?: number }, _req, reply) => {
    if (err instanceof ApiError)
      return reply.code(err.status).send({ error: err.code, message: err.message });
    return reply.code(err.statusCode ?? 500).send({ error: 'invalid_request', issues: err.issues });
  });
  app.addHook('onRequest', async (req) => {
    const who = req.headers['x-caller'];
    req.caller = who === 'admin' ? { team: 'admin', admin: true } : { team: String(who), admin: false };
  });
  await app.register(alertRoutes, { prefix: '/v1', alerts: repo });
});
afterAll(async () => {
  await app.close();
});

async function get(url: string, caller: string) {
  const r = await app.inject({ method: 'GET', url, headers: { 'x-caller': caller } });
  return { status: r.statusCode, body: r.json() };
}
const ids = (body: { items: { id: number }[] }) => body.items.map((a) => a.id);

describe('GET /v1/alerts', () => {
  it('shows an alert with its delivery and its data, the webhook by reference only', async () => {
    const { status, body } = await get('/v1/alerts?policy=research-monthly&kind=threshold', 'research');
    expect(status).toBe(200);
    expect(body).toEqual({
      items: [
        {
          id: 1,
          kind: 'threshold',
          policy: 'research-monthly',
          periodKey: '2026-03',
          threshold: 50,
          team: 'research',
          slack: 'research',
          summary: 'Budget research-monthly: 50% used ($16,012.40 of $20,000.00)',
          createdAt: '2026-03-20T10:00:00.000Z',
          status: 'delivered',
          attempts: 1,
          lastError: null,
          deliveredAt: '2026-03-20T10:00:00.000Z',
          alert: thresholdAlert({ thresholdPercent: 50 }),
        },
      ],
      nextCursor: null,
    });
  });

  it.each<[string, string, string, number[]]>([
    ['an admin sees every alert, newest first', 'admin', '/v1/alerts', [5, 4, 3, 2, 1]],
    ['an admin may narrow to one team', 'admin', '/v1/alerts?team=vision', [2]],
    [
      'a team sees the alerts of policies scoped to it, not label-scoped or policy-file ones',
      'research',
      '/v1/alerts',
      [5, 1],
    ],
    ['another team sees its own', 'vision', '/v1/alerts', [2]],
    ['a team naming itself is the same', 'research', '/v1/alerts?team=research', [5, 1]],
    ['a team without alerts sees none', 'nlp', '/v1/alerts', []],
    ['filtered by kind', 'admin', '/v1/alerts?kind=policy-invalid', [4]],
  ])('%s', async (_story, caller, url, expected) => {
    const { status, body } = await get(url, caller);
    expect(status).toBe(200);
    expect(ids(body)).toEqual(expected);
  });

  it('pages with limit and cursor', async () => {
    const first = await get('/v1/alerts?limit=2', 'admin');
    expect(ids(first.body)).toEqual([5, 4]);
    expect(first.body.nextCursor).toBe('4');
    const second = await get(`/v1/alerts?limit=2&cursor=${first.body.nextCursor}`, 'admin');
    expect(ids(second.body)).toEqual([3, 2]);
    const third = await get(`/v1/alerts?limit=2&cursor=${second.body.nextCursor}`, 'admin');
    expect(third.body).toMatchObject({ nextCursor: null });
    expect(ids(third.body)).toEqual([1]);
  });

  it("a team asking for another team's alerts gets 404, as for jobs", async () => {
    expect(await get('/v1/alerts?team=vision', 'research')).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'no team vision' },
    });
  });

  it.each<[string, string]>([
    ['an unknown kind', '/v1/alerts?kind=anomaly'],
    ['a limit out of range', '/v1/alerts?limit=0'],
    ['a cursor that is not a number', '/v1/alerts?cursor=abc'],
    ['an unknown parameter', '/v1/alerts?colour=red'],
  ])('refuses %s (400, with the path)', async (_story, url) => {
    const { status, body } = await get(url, 'admin');
    expect(status).toBe(400);
    expect(body.issues).toHaveLength(1);
  });
});

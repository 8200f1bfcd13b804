// GET /v1/budgets and `gpusched budgets` against the real daemon: every policy's numbers (spent, committed,
// forecast, remaining, burn rate, state, drift) and who may see which policy.
import { describe, expect, it } from 'vitest';
import { run as gpusched } from '../../src/cli/main.js';
import { forecastSpend } from '../../src/core/budget.js';
import { a100Job, budget, budgetDaemon, HOUR, job, run, startAll, submit } from '../helpers/budgets.js';
import { ADMIN, type TestDaemon } from '../helpers/daemon.js';

const POLICIES = {
  'teams.yaml': `policies:
  - name: research-daily
    scope: { team: research }
    period: daily
    limitUsd: 100
    burnRateUsdPerHour: 50
    action: block-new
  - name: vision-daily
    scope: { team: vision }
    period: daily
    limitUsd: 70
`,
  'org.yaml': 'name: org-monthly\nscope: { all: true }\nperiod: monthly\nlimitUsd: 5000\n',
  'llm.yaml':
    'name: llm-weekly\nscope: { project: llm }\nperiod: weekly\ntimezone: America/New_York\nlimitUsd: 800\n',
};

async function withDaemon(fn: (d: TestDaemon) => Promise<void>): Promise<void> {
  const d = await budgetDaemon(POLICIES);
  try {
    await fn(d);
  } finally {
    await d.stop();
  }
}

describe('GET /v1/budgets', () => {
  it('shows each policy’s spent, committed, forecast, remaining, burn rate and state for the current period', () =>
    withDaemon(async (d) => {
      const token = await d.teamToken('research');
      const { id } = await submit(
        d,
        token,
        a100Job({ runtime: { estimateHours: 3 }, labels: { project: 'llm' } }),
      );
      await startAll(d);
      const price = (await job(d, id)).placement.pricePerHour as number;
      await run(d, HOUR);

      const b = await budget(d, 'research-daily');
      const spent = price; // an hour of running since it started
      expect(b).toMatchObject({
        name: 'research-daily',
        scope: { team: 'research' },
        scopeText: 'team research',
        team: 'research',
        period: 'daily',
        timezone: 'UTC',
        periodKey: '2026-11-28',
        periodStart: '2026-11-28T00:00:00.000Z',
        periodEnd: '2026-11-29T00:00:00.000Z',
        limitUsd: 100,
        action: 'block-new',
        state: 'ok',
        drift: [],
      });
      expect(b.source).toMatch(/teams\.yaml:2$/);
      expect(b.spentUsd).toBeCloseTo(spent, 3);
      expect(b.committedUsd).toBeCloseTo(2 * price, 3);
      const now = d.clock.now;
      const forecast = forecastSpend({
        window: { start: new Date(b.periodStart), end: new Date(b.periodEnd) },
        now,
        accruedUsd: b.spentUsd,
        committedUsd: b.committedUsd,
      });
      expect(b.forecastBasis).toBe('linear');
      expect(b.forecastUsd).toBeCloseTo(forecast.usd, 3);
      expect(b.remainingUsd).toBeCloseTo(100 - b.spentUsd - b.committedUsd, 3);
      expect(b.burnRate).toEqual({ capUsdPerHour: 50, currentUsdPerHour: price });

      // The same job counts in every policy whose scope it matches: the project's week and the org's month.
      expect((await budget(d, 'llm-weekly')).spentUsd).toBeCloseTo(spent, 3);
      expect((await budget(d, 'llm-weekly')).periodKey).toBe('2026-W48');
      expect((await budget(d, 'org-monthly')).committedUsd).toBeCloseTo(2 * price, 3);
      // And in none that it does not.
      expect(await budget(d, 'vision-daily')).toMatchObject({ spentUsd: 0, committedUsd: 0, state: 'ok' });
    }));

  it('shows a team the policies that name it, and an admin every policy or one team’s', () =>
    withDaemon(async (d) => {
      const research = await d.teamToken('research');
      const names = (r: { body: { items: { name: string }[] } }) => r.body.items.map((b) => b.name);
      expect(names(await d.call('GET', '/v1/budgets', research))).toEqual(['research-daily']);
      expect(names(await d.call('GET', '/v1/budgets', ADMIN)).sort()).toEqual([
        'llm-weekly',
        'org-monthly',
        'research-daily',
        'vision-daily',
      ]);
      expect(names(await d.call('GET', '/v1/budgets?team=vision', ADMIN))).toEqual(['vision-daily']);
      expect(names(await d.call('GET', '/v1/budgets?team=research', research))).toEqual(['research-daily']);
      const other = await d.call('GET', '/v1/budgets?team=vision', research);
      expect(other.status).toBe(404);
      expect((await d.call('GET', '/v1/budgets', 'not-a-token')).status).toBe(401);
    }));

  it('shows the drift between the ledger and the cloud’s bill once reconciled', () =>
    withDaemon(async (d) => {
      d.store.budgets.putDrift({
        policy: 'research-daily',
        periodKey: '2026-11-28',
        cloud: 'azure',
        fromDay: '2026-11-28',
        toDay: '2026-11-29',
        ledgerUsd: 40,
        billedUsd: 42.5,
        checkedAt: '2026-11-29T06:17:00.000Z',
      });
      expect((await budget(d, 'research-daily')).drift).toEqual([
        {
          cloud: 'azure',
          fromDay: '2026-11-28',
          toDay: '2026-11-29',
          ledgerUsd: 40,
          billedUsd: 42.5,
          driftUsd: 2.5,
          checkedAt: '2026-11-29T06:17:00.000Z',
        },
      ]);
    }));
});

describe('gpusched budgets', () => {
  /** The real CLI, its HTTP requests answered by the daemon's app. */
  async function cli(d: TestDaemon, args: string[], token = ADMIN) {
    let out = '';
    let err = '';
    const code = await gpusched(args, {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      env: { GPUSCHED_URL: 'http://daemon.test', GPUSCHED_TOKEN: token },
      now: () => d.clock.now,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(String(input));
        const res = await d.app.inject({
          method: (init?.method ?? 'GET') as 'GET',
          url: `${url.pathname}${url.search}`,
          headers: init?.headers as Record<string, string>,
        });
        return new Response(res.body, {
          status: res.statusCode,
          headers: { 'content-type': 'application/json' },
        });
      }) as typeof fetch,
    });
    return { code, out, err };
  }

  it('prints a table of every policy’s numbers', () =>
    withDaemon(async (d) => {
      const r = await cli(d, ['budgets']);
      expect(r.code, r.err).toBe(0);
      const lines = r.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(
        /^NAME\s+SCOPE\s+PERIOD\s+SPENT\s+COMMITTED\s+FORECAST\s+LIMIT\s+LEFT\s+BURN\s+STATE\s+ACTION\s+DRIFT$/,
      );
      expect(r.out).toMatch(
        /research-daily\s+team research\s+2026-11-28\s+\$0\.00\s+\$0\.00\s+\$0\.00\s+\$100\.00\s+\$100\.00\s+\$0\.00\/h of \$50\.00\/h\s+ok\s+block-new\s+-/,
      );
      expect(r.out).toMatch(/llm-weekly\s+project llm\s+2026-W48/);
      expect(lines).toHaveLength(5);
    }));

  it('prints the API’s answer with --json, and what a team may see', () =>
    withDaemon(async (d) => {
      const research = await d.teamToken('research');
      const r = await cli(d, ['budgets', '--json'], research);
      expect(r.code, r.err).toBe(0);
      const body = JSON.parse(r.out);
      expect(body.items.map((b: { name: string }) => b.name)).toEqual(['research-daily']);
      expect(body.items[0]).toMatchObject({ limitUsd: 100, remainingUsd: 100, state: 'ok' });
    }));
});

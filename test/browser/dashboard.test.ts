// The dashboard in a real browser: headless Chromium from Debian (`apt-get install chromium`; .ci/run installs
// it) driven by playwright-core, against a daemon on the simulated default with jobs running. Each page loads
// and shows the numbers the API gives; live updates arrive over GET /v1/events; a team sees its own jobs.
// Screenshots go to test-output/ui/. Without Chromium the tests are skipped with a loud message, except under
// CI=true, where they fail.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const CHROMIUM = process.env.GPUSCHED_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';
const SHOTS = resolve(import.meta.dirname, '../../test-output/ui');

if (!HAVE_CHROMIUM && !IN_CI) {
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!! BROWSER TESTS SKIPPED: no Chromium at ${CHROMIUM}.\n!! Install it (apt-get install -y chromium) or set GPUSCHED_CHROMIUM; under CI=true these tests fail instead.\n${bar}\n`,
  );
}

const JOB = {
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['T4'], count: 1 } },
  checkpoint: { dir: '/ckpt/x' },
};

let d: TestDaemon;
let base: string;
let browser: Browser;
let research: string;
let vision: string;
const ids: Record<'long' | 'short' | 'waiting', string> = { long: '', short: '', waiting: '' };

async function submit(token: string, body: object): Promise<string> {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

const api = async (path: string, token = ADMIN) => (await d.call('GET', path, token)).body;

/** A page with every console error and page error collected: a CSP violation or a script error fails the test. */
async function open(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

async function login(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('main[data-page="login"][data-ready="1"]');
  await page.fill('[data-testid="login-token"]', token);
  await page.click('[data-testid="login-submit"]');
  await page.waitForSelector('main[data-page="jobs"][data-ready="1"]');
}

async function go(page: Page, hash: string, name: string): Promise<void> {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.waitForSelector(`main[data-page="${name}"][data-ready="1"]`);
}

const text = async (page: Page, testid: string) =>
  (await page.textContent(`[data-testid="${testid}"]`))?.trim();
const attr = async (page: Page, selector: string, name: string) => page.getAttribute(selector, name);

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true needs Chromium at ${CHROMIUM} (.ci/run installs it)`);
    mkdirSync(SHOTS, { recursive: true });
    const policies = mkdtempSync(join(tmpdir(), 'gpusched-policies-'));
    writeFileSync(
      join(policies, 'research.yaml'),
      'name: research-monthly\nscope: { team: research }\nperiod: monthly\ntimezone: UTC\nlimitUsd: 100\naction: alert\n',
    );
    d = await testDaemon((c) => {
      c.policies.dir = policies;
      // Jobs stay where they were placed while the test looks.
      c.consolidation.enabled = false;
    });
    base = await d.app.listen({ host: '127.0.0.1', port: 0 });
    research = await d.teamToken('research');
    vision = await d.teamToken('vision');
    ids.long = await submit(research, { ...JOB, name: 'long-finetune', runtime: { estimateHours: 100 } });
    ids.short = await submit(research, { ...JOB, name: 'short-eval', runtime: { estimateHours: 1 } });
    ids.waiting = await submit(vision, {
      ...JOB,
      name: 'huge',
      resources: { gpu: { models: ['H100'], count: 16 } },
      runtime: { estimateHours: 1 },
    });
    await d.advance(0); // placed, launched
    await d.advance(1); // booted, running
    await d.advance(0);
    await d.advance(11); // the one-hour job is done (360×)
    const long = await api(`/v1/jobs/${ids.long}`);
    expect(long.state).toBe('running');
    expect((await api(`/v1/jobs/${ids.short}`)).state).toBe('succeeded');
    // The long job's agent reports its GPU, and its loss curve so far.
    d.store.agents.seen(long.placement.nodeIds[0], d.clock.now, {
      at: d.clock.now.toISOString(),
      gpus: [{ index: 0, utilizationPct: 73, memoryUsedMiB: 9000, memoryTotalMiB: 15360 }],
    });
    d.store.output.addMetrics(
      Array.from({ length: 20 }, (_, i) => ({
        jobId: ids.long,
        at: new Date(d.clock.now.getTime() - (20 - i) * 1000).toISOString(),
        step: i * 100,
        values: { loss: 2.5 / (1 + i * 0.3) },
      })),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
  });

  it('asks for a token, refuses a bad one, and opens the jobs page with the right counts and costs', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await page.goto(`${base}/ui/`);
    await page.waitForSelector('main[data-page="login"][data-ready="1"]');
    await shot(page, 'login');
    await page.fill('[data-testid="login-token"]', 'gs_wrong');
    await page.click('[data-testid="login-submit"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="login-error"]')?.textContent !== '',
    );
    expect(await text(page, 'login-error')).toBe('That token is not valid.');
    // The failed login's 401 is the only error the console may show.
    errors.splice(0);

    await page.fill('[data-testid="login-token"]', ADMIN);
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector('main[data-page="jobs"][data-ready="1"]');
    const all = (await api('/v1/jobs')).items;
    expect(await text(page, 'jobs-total')).toBe(String(all.length));
    expect(await text(page, 'jobs-running')).toBe('1');
    expect(await text(page, 'jobs-succeeded')).toBe('1');
    expect(await text(page, 'jobs-pending')).toBe('1');
    for (const id of [ids.long, ids.short]) {
      const job = all.find((j: { id: string }) => j.id === id);
      const shown = await attr(page, `[data-testid="job-row-${id}"] [data-testid="job-cost"]`, 'data-usd');
      expect(Number(shown)).toBe(job.costUsd);
      expect(job.costUsd).toBeGreaterThan(0);
    }
    expect(await page.textContent('[data-testid="queue-table"]')).toContain(ids.waiting);
    await shot(page, 'jobs');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('updates live: a job submitted meanwhile shows up, and its events scroll by', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await login(page, ADMIN);
    await page.waitForSelector('#live.on');
    const before = Number(await text(page, 'jobs-total'));
    const id = await submit(research, { ...JOB, name: 'late', runtime: { estimateHours: 100 } });
    await d.advance(0);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="jobs-total"]')?.textContent === String(n),
      before + 1,
    );
    await page.waitForFunction(
      (jobId) => document.querySelector('[data-testid="event-log"]')?.textContent?.includes(jobId),
      id,
    );
    expect(await page.textContent('[data-testid="event-log"]')).toContain(`${id} late: new → queued`);
    await shot(page, 'jobs-live');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the fleet by cloud, region and market, with the GPU utilisation agents report', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await login(page, ADMIN);
    await go(page, '#/fleet', 'fleet');
    const fleet = await api('/v1/fleet');
    const running = fleet.items.filter((n: { state: string }) =>
      ['provisioning', 'ready', 'draining'].includes(n.state),
    );
    expect(running.length).toBeGreaterThan(0);
    expect(await text(page, 'fleet-nodes')).toBe(String(running.length));
    expect(await text(page, 'fleet-gpus')).toBe(
      String(running.reduce((s: number, n: { gpu: { count: number } }) => s + n.gpu.count, 0)),
    );
    expect(await text(page, 'fleet-utilization')).toBe('73%');
    const node = (await api(`/v1/jobs/${ids.long}`)).placement;
    const group = `[data-testid="fleet-group-${node.cloud}-${node.region}-${node.market}"]`;
    expect(await page.textContent(group)).toContain('73%');
    await shot(page, 'fleet');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a job: its cost so far, its events, the placement explanation and its loss curve', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, errors } = await open(context);
    await login(page, ADMIN);
    await page.click(`[data-testid="job-row-${ids.long}"] a`);
    await page.waitForSelector('main[data-page="jobs"][data-ready="1"] [data-testid="job-title"]');
    const job = await api(`/v1/jobs/${ids.long}`);
    expect(Number(await attr(page, '[data-testid="job-cost-so-far"]', 'data-value'))).toBe(job.costUsd);
    expect(await page.locator('[data-testid="job-events"] tbody tr').count()).toBe(job.events.length);
    expect(await text(page, 'job-where')).toContain(job.placement.instanceType);
    const explain = await api(`/v1/jobs/${ids.long}/explain`);
    expect(Number(await attr(page, '[data-testid="explain-best-cost"]', 'data-usd'))).toBe(
      explain.best.costUsd,
    );
    await page.waitForSelector('[data-testid="loss-chart"] canvas');
    expect(await page.locator('[data-testid="loss-chart"] .u-legend').textContent()).toContain('loss');
    await shot(page, 'job');

    // A job without metric points says so.
    await go(page, `#/jobs/${ids.short}`, 'jobs');
    await page.waitForSelector('[data-testid="no-metrics"]');
    expect(await text(page, 'no-metrics')).toBe('no metrics yet');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows spend against budget with a burn-down and forecast', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await login(page, ADMIN);
    await go(page, '#/budgets', 'budgets');
    const budget = (await api('/v1/budgets')).items[0];
    expect(await text(page, 'budgets-count')).toBe('1');
    expect(Number(await attr(page, '[data-testid="budgets-spent"]', 'data-value'))).toBe(budget.spentUsd);
    await page.waitForSelector('[data-testid="budget-research-monthly"] canvas');
    await shot(page, 'budgets');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows price history per GPU model across clouds', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await login(page, ADMIN);
    await go(page, '#/prices?gpu=A100', 'prices');
    await page.waitForSelector('[data-testid="price-chart"] canvas');
    const history = await api('/v1/offers/history?gpu=A100');
    for (const s of history.series.filter((x: { points: unknown[] }) => x.points.length > 0)) {
      expect(await page.textContent(`[data-testid="price-now-${s.cloud}-${s.market}"]`)).toContain('/GPU-h');
    }
    expect(await page.locator('[data-testid="price-gpu"] option').count()).toBe(history.models.length);
    await shot(page, 'prices');
    // Another model from the picker.
    await page.selectOption('[data-testid="price-gpu"]', 'H100');
    await page.waitForFunction(() => location.hash === '#/prices?gpu=H100');
    await page.waitForSelector('main[data-page="prices"][data-ready="1"] [data-testid="price-chart"] canvas');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a team sees only its own jobs, and no budget of another team', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await open(context);
    await login(page, vision);
    expect(await text(page, 'jobs-total')).toBe('1');
    expect(await page.textContent('[data-testid="jobs-table"]')).toContain(ids.waiting);
    expect(await page.textContent('#who')).toBe('team vision');
    await go(page, '#/budgets', 'budgets');
    expect(await text(page, 'no-budgets')).toContain('no budgets');
    await shot(page, 'team-vision');
    expect(errors).toEqual([]);
    await context.close();
  });
});

// GET /metrics: who may scrape it, and that the series say what the store says (jobs, queue, placements,
// fleet, utilisation from telemetry, interruptions and the notice-to-checkpoint time, budgets, API latency).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const T4 = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 100 },
  checkpoint: { dir: '/ckpt/finetune' },
};
/** No such GPU: it waits in the queue. */
const NOWHERE = { ...T4, name: 'nowhere', resources: { gpu: { models: ['H100'], count: 16 } } };

let d: TestDaemon;
afterEach(async () => d?.stop());

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one series name from the text exposition. */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[4]) });
  }
  return out;
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(token: string | null = ADMIN): Promise<string> {
  const res = await d.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

async function submit(token: string, body: object): Promise<string> {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

/** A research T4 job running on its node, and a vision job that cannot be placed. */
async function running(change?: Parameters<typeof testDaemon>[0]) {
  d = await testDaemon(change);
  const research = await d.teamToken('research');
  const vision = await d.teamToken('vision');
  const id = await submit(research, T4);
  await submit(vision, NOWHERE);
  await d.advance(0);
  await d.advance(1);
  await d.advance(0);
  const job = (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
  expect(job.state).toBe('running');
  return { id, job, nodeId: job.placement.nodeIds[0] as string };
}

describe('/metrics access', () => {
  it('takes the admin token or metrics.token, and nothing else, by default', async () => {
    d = await testDaemon((c) => {
      c.metrics.token = 'scrape-only-token-0123';
    });
    const team = await d.teamToken('research');
    for (const [token, status] of [
      [null, 401],
      [team, 401],
      ['scrape-only-token-0123', 200],
      [ADMIN, 200],
    ] as const) {
      const res = await d.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(res.statusCode, String(token)).toBe(status);
    }
    // The scrape token is for /metrics only.
    expect((await d.call('GET', '/v1/jobs', 'scrape-only-token-0123')).status).toBe(401);
  });

  it('is open to anyone with metrics.public', async () => {
    d = await testDaemon((c) => {
      c.metrics.public = true;
    });
    expect(await scrape(null)).toContain('gpusched_build_info');
  });
});

describe('/metrics series', () => {
  it('jobs by team and state, the queue by team, and how long its oldest job waits', async () => {
    await running();
    d.clock.now = new Date(d.clock.now.getTime() + 30_000);
    const text = await scrape();
    expect(value(text, 'gpusched_jobs', { team: 'research', state: 'running' })).toBe(1);
    expect(value(text, 'gpusched_jobs', { team: 'vision', state: 'queued' })).toBe(1);
    expect(value(text, 'gpusched_queue_depth', { team: 'vision' })).toBe(1);
    expect(value(text, 'gpusched_queue_depth', { team: 'research' })).toBeUndefined();
    // Submitted at T0, scraped 1.25 s of ticks plus 30 s later.
    expect(value(text, 'gpusched_queue_oldest_wait_seconds', { team: 'vision' })).toBeCloseTo(31, 0);
  });

  it('placements with their expected cost, and the wait before them', async () => {
    const { job } = await running();
    const text = await scrape();
    const where = { team: 'research', cloud: job.placement.cloud, market: job.placement.market };
    expect(value(text, 'gpusched_placements_total', { ...where, region: job.placement.region })).toBe(1);
    expect(value(text, 'gpusched_placement_expected_cost_usd_count', where)).toBe(1);
    expect(value(text, 'gpusched_placement_expected_cost_usd_sum', where)).toBeCloseTo(
      job.expectedCostUsd,
      3,
    );
    expect(value(text, 'gpusched_queue_wait_seconds_count', { team: 'research' })).toBe(1);
    expect(value(text, 'gpusched_queue_wait_seconds_sum', { team: 'research' })).toBe(0);
  });

  it('the fleet by cloud, region, market and state, with its GPUs and price per hour', async () => {
    const { job } = await running();
    const text = await scrape();
    const where = { cloud: job.placement.cloud, region: job.placement.region, market: job.placement.market };
    expect(value(text, 'gpusched_nodes', { ...where, state: 'ready' })).toBe(1);
    expect(value(text, 'gpusched_node_gpus', where)).toBe(1);
    expect(value(text, 'gpusched_fleet_cost_usd_per_hour', where)).toBeCloseTo(job.placement.pricePerHour, 6);
    expect(value(text, 'gpusched_team_cost_usd_per_hour', { team: 'research' })).toBeCloseTo(
      job.placement.pricePerHour,
      6,
    );
  });

  it('the market: offers and the cheapest price per source and GPU, and how fresh each source is', async () => {
    d = await testDaemon();
    d.clock.now = new Date(d.clock.now.getTime() + 90_000);
    const text = await scrape();
    const offers = samples(text, 'gpusched_offers');
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((s) => s.labels.source === 'simulated')).toBe(true);
    const t4 = samples(text, 'gpusched_offer_price_min_usd_per_hour').filter((s) => s.labels.gpu === 'T4');
    expect(t4.length).toBeGreaterThan(0);
    const cheapest = (await d.call('GET', '/v1/offers?gpu=T4&limit=1', ADMIN)).body.items[0];
    expect(Math.min(...t4.map((s) => s.value))).toBeCloseTo(cheapest.pricePerHour, 6);
    for (const s of samples(text, 'gpusched_market_source_age_seconds')) expect(s.value).toBe(90);
    for (const s of samples(text, 'gpusched_market_source_stale')) expect(s.value).toBe(0);
  });

  it('GPU utilisation per node and per job, from the agent’s telemetry', async () => {
    const { id, nodeId } = await running();
    expect(samples(await scrape(), 'gpusched_job_gpu_utilization_ratio')).toEqual([]);
    d.store.agents.seen(nodeId, d.clock.now, {
      at: d.clock.now.toISOString(),
      gpus: [{ index: 0, utilizationPct: 42, memoryUsedMiB: 1000, memoryTotalMiB: 16000 }],
    });
    const text = await scrape();
    expect(value(text, 'gpusched_node_gpu_utilization_ratio', { node: nodeId, gpu: '0' })).toBeCloseTo(0.42);
    expect(value(text, 'gpusched_job_gpu_utilization_ratio', { job: id, team: 'research' })).toBeCloseTo(
      0.42,
    );
    expect(value(text, 'gpusched_node_telemetry_age_seconds', { node: nodeId })).toBe(0);
  });

  it('interruptions, and the time from a notice to the checkpoint', async () => {
    const { id, job, nodeId } = await running();
    const t = (s: number) => new Date(d.clock.now.getTime() + s * 1000);
    d.store.tx(() => {
      d.store.nodes.transition(nodeId, 'draining', { interruptedAt: t(0).toISOString() });
      d.store.jobs.transition(id, 'checkpointing', 'reclaim notice', t(0));
    });
    d.store.jobs.transition(id, 'migrating', 'checkpoint at step 1', t(12), {
      checkpoint: { path: 'step-1', step: 1, at: t(12).toISOString() },
    });
    const text = await scrape();
    const where = { cloud: job.placement.cloud, region: job.placement.region, market: job.placement.market };
    expect(value(text, 'gpusched_interruptions_total', where)).toBe(1);
    expect(value(text, 'gpusched_notice_to_checkpoint_seconds_count', { cloud: job.placement.cloud })).toBe(
      1,
    );
    expect(value(text, 'gpusched_notice_to_checkpoint_seconds_sum', { cloud: job.placement.cloud })).toBe(12);
  });

  it('a job that leaves a node under notice without a checkpoint counts as missed', async () => {
    const { id, job, nodeId } = await running();
    d.store.tx(() => {
      d.store.nodes.transition(nodeId, 'draining', { interruptedAt: d.clock.now.toISOString() });
      d.store.jobs.transition(id, 'checkpointing', 'reclaim notice', d.clock.now);
    });
    d.store.jobs.transition(id, 'queued', 'no checkpoint in time', d.clock.now, { nodeIds: [] });
    const text = await scrape();
    expect(value(text, 'gpusched_notice_checkpoints_missed_total', { cloud: job.placement.cloud })).toBe(1);
  });

  it('budgets: limit, spent, committed and forecast per policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-policies-'));
    writeFileSync(
      join(dir, 'research.yaml'),
      'name: research-monthly\nscope: { team: research }\nperiod: monthly\ntimezone: UTC\nlimitUsd: 1000\naction: alert\n',
    );
    await running((c) => {
      c.policies.dir = dir;
    });
    const text = await scrape();
    const policy = { policy: 'research-monthly', team: 'research' };
    expect(value(text, 'gpusched_budget_limit_usd', policy)).toBe(1000);
    const budget = (await d.call('GET', '/v1/budgets', ADMIN)).body.items[0];
    expect(value(text, 'gpusched_budget_spent_usd', policy)).toBeCloseTo(budget.spentUsd, 3);
    expect(value(text, 'gpusched_budget_committed_usd', policy)).toBeCloseTo(budget.committedUsd, 3);
    expect(value(text, 'gpusched_budget_forecast_usd', policy)).toBeCloseTo(budget.forecastUsd, 3);
  });

  it('API latency by route pattern (never the raw URL), method and status', async () => {
    const { id } = await running();
    await d.call('GET', `/v1/jobs/${id}`, ADMIN);
    await d.call('GET', '/v1/jobs/job-nope', ADMIN);
    const text = await scrape();
    expect(
      value(text, 'gpusched_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/jobs',
        status_code: '201',
      }),
    ).toBe(2);
    expect(
      value(text, 'gpusched_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/jobs/:id',
        status_code: '200',
      }),
    ).toBe(2);
    expect(
      value(text, 'gpusched_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/jobs/:id',
        status_code: '404',
      }),
    ).toBe(1);
    expect(text).not.toContain(`route="/v1/jobs/${id}"`);
  });

  it('every series is documented with HELP and TYPE, under the gpusched_ prefix', async () => {
    await running();
    const text = await scrape();
    const names = new Set([...text.matchAll(/^# TYPE (gpusched_\w+) (\w+)$/gm)].map((m) => m[1]));
    expect(names.size).toBeGreaterThan(25);
    for (const name of names) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    // Process metrics come along (Node's default collectors).
    expect(text).toContain('process_cpu_seconds_total');
  });
});

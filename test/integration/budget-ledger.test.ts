// The spend ledger through the real services on the simulated cloud: every run written as spend rows at the
// price in force and the job's share of its node, cut at midnights, closed when the run ends so that the rows
// add up to the job's bill; and budgets' "spent" reading those rows.
import { afterEach, describe, expect, it } from 'vitest';
import { poolKey } from '../../src/core/model.js';
import {
  a100Job,
  budget,
  budgetDaemon,
  HOUR,
  job,
  ledgerSpend,
  run,
  startAll,
  submit,
} from '../helpers/budgets.js';
import { ADMIN, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
afterEach(async () => d?.stop());

const DAILY = `name: research-daily
scope: { team: research }
period: daily
limitUsd: 10000
`;
const BERLIN = `name: research-berlin
scope: { team: research }
period: daily
timezone: Europe/Berlin
limitUsd: 10000
`;

function rows(jobId: string) {
  return d.store.db
    .prepare(
      'SELECT from_ms, to_ms, price_per_hour, share, usd FROM spend WHERE job_id = ? ORDER BY from_ms, node_id',
    )
    .all(jobId) as { from_ms: number; to_ms: number; price_per_hour: number; share: number; usd: number }[];
}

describe('the spend ledger', () => {
  it('counts a run over midnight in both days, and bills the job exactly what its rows add up to', async () => {
    d = await budgetDaemon({ 'daily.yaml': DAILY, 'berlin.yaml': BERLIN });
    const token = await d.teamToken('research');
    d.clock.now = new Date('2026-11-28T22:00:00Z');
    const { id } = await submit(d, token, a100Job({ runtime: { estimateHours: 3 } }));
    await startAll(d);
    const running = await job(d, id);
    expect(running.state).toBe('running');
    const price = running.placement.pricePerHour as number;
    const startedAt = Date.parse(running.startedAt);

    await run(d, 2 * HOUR); // to 00:01:30 UTC
    // Today's budget counts only what ran since midnight, rows and the part not yet written alike.
    const today = await budget(d, 'research-daily');
    expect(today.periodKey).toBe('2026-11-29');
    expect(today.spentUsd).toBeCloseTo(price * (90 / 3600), 3);
    // Committed: the hour it still has to run (two of its three are done), at its price.
    expect(today.committedUsd).toBeCloseTo(price, 3);

    await run(d, 2 * HOUR);
    const done = await job(d, id);
    expect(done.state).toBe('succeeded');
    const end = Date.parse(done.finishedAt);
    expect((end - startedAt) / 3_600_000).toBeCloseTo(3, 6);
    // The bill is three hours at the node's price, and so is the ledger, split at both midnights.
    expect(done.costUsd).toBeCloseTo(3 * price, 3);
    const parts = rows(id);
    expect(parts.reduce((s, r) => s + r.usd, 0)).toBeCloseTo(done.costUsd, 3);
    expect(parts.map((r) => new Date(r.to_ms).toISOString()).slice(0, 2)).toEqual([
      '2026-11-28T23:00:00.000Z', // Berlin's midnight
      '2026-11-29T00:00:00.000Z', // UTC's midnight
    ]);
    const before = ledgerSpend(d, '2026-11-28T00:00:00Z', '2026-11-29T00:00:00Z');
    const after = ledgerSpend(d, '2026-11-29T00:00:00Z', '2026-11-30T00:00:00Z');
    expect(before).toBeCloseTo(price * ((Date.parse('2026-11-29T00:00:00Z') - startedAt) / 3_600_000), 3);
    expect(before + after).toBeCloseTo(3 * price, 3);
    expect((await budget(d, 'research-daily')).spentUsd).toBeCloseTo(after, 3);
  });

  it('counts a spot price that changes mid-run from the moment it was observed', async () => {
    d = await budgetDaemon({ 'daily.yaml': DAILY });
    const token = await d.teamToken('research');
    const { id } = await submit(d, token, a100Job({ runtime: { estimateHours: 2 } }));
    await startAll(d);
    const running = await job(d, id);
    const p0 = running.placement.pricePerHour as number;
    const pool = poolKey(running.placement);

    await run(d, 0.5 * HOUR);
    // The market moves: the pool's spot price is 50% higher from now on (a poll recorded it).
    const p1 = p0 * 1.5;
    const at = d.clock.now.toISOString();
    const cloud = running.placement.cloud;
    const offers = d.store.offers
      .list({ cloud })
      .filter((o) => o.source === 'simulated')
      .map((o) => ({ ...o, observedAt: at, ...(poolKey(o) === pool ? { pricePerHour: p1 } : {}) }));
    d.store.offers.replace(cloud, 'simulated', offers, at);

    await run(d, 2 * HOUR);
    const done = await job(d, id);
    expect(done.state).toBe('succeeded');
    expect(done.costUsd).toBeCloseTo(0.5 * p0 + 1.5 * p1, 3);
    expect(rows(id).map((r) => r.price_per_hour)).toEqual([p0, p1]);
    expect((await budget(d, 'research-daily')).spentUsd).toBeCloseTo(done.costUsd, 3);
  });

  it('attributes a shared node by the jobs’ shares: two 4-GPU jobs on one 8-GPU node pay half each', async () => {
    d = await budgetDaemon({ 'daily.yaml': DAILY });
    const token = await d.teamToken('research');
    const half = a100Job({
      resources: { gpu: { models: ['A100'], count: 4 } },
      runtime: { estimateHours: 1 },
    });
    const a = await submit(d, token, half);
    const b = await submit(d, token, half);
    await startAll(d);
    const [ja, jb] = [await job(d, a.id), await job(d, b.id)];
    expect(ja.placement.nodeIds).toEqual(jb.placement.nodeIds);
    const price = ja.placement.pricePerHour as number;

    await run(d, 2 * HOUR);
    for (const id of [a.id, b.id]) {
      expect(rows(id).every((r) => r.share === 0.5)).toBe(true);
      expect((await job(d, id)).costUsd).toBeCloseTo(price / 2, 3);
    }
    expect((await budget(d, 'research-daily')).spentUsd).toBeCloseTo(price, 3);
  });

  it('writes running spend every ledger interval, and closes a cancelled run at the instant it was cancelled', async () => {
    d = await budgetDaemon({ 'daily.yaml': DAILY });
    const token = await d.teamToken('research');
    const { id } = await submit(d, token, a100Job({ runtime: { estimateHours: 5 } }));
    await startAll(d);
    const price = (await job(d, id)).placement.pricePerHour as number;
    await run(d, HOUR, 300);
    // One growing row per run and node, not one per tick.
    expect(rows(id)).toHaveLength(1);
    expect(rows(id)[0]?.usd).toBeCloseTo(price, 3);

    await run(d, 30);
    const cancelled = (await d.call('DELETE', `/v1/jobs/${id}`, ADMIN)).body;
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.costUsd).toBeCloseTo(price * (1 + 30 / 3600), 3);
    expect(rows(id).reduce((s, r) => s + r.usd, 0)).toBeCloseTo(cancelled.costUsd, 3);
    // Nothing more accrues for it.
    await run(d, HOUR);
    expect((await budget(d, 'research-daily')).spentUsd).toBeCloseTo(cancelled.costUsd, 3);
  });
});

// Admission and the scheduler's budget port through the real services: a hard limit holds what does not fit
// (saying so in the job, its events and explain) and a new period releases it; a job no period could admit is
// refused; spot-only narrows jobs to spot; the burn-rate cap holds a job until running work ends; and hundreds of
// concurrent submissions never commit more than a hard limit.
import { afterEach, describe, expect, it } from 'vitest';
import { explanationText } from '../../src/cli/explain-format.js';
import { a100Job, budget, budgetDaemon, HOUR, job, run, startAll, submit } from '../helpers/budgets.js';
import { ADMIN, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
afterEach(async () => d?.stop());

function policy(fields: string): string {
  return `name: research-daily\nscope: { team: research }\nperiod: daily\n${fields}\n`;
}

/** What a job costs by the scheduler's estimate, as explain shows it (its best placement now). */
async function explainAlone(body: object) {
  const probe = await budgetDaemon({});
  try {
    const token = await probe.teamToken('research');
    const { id } = (await probe.call('POST', '/v1/jobs', token, body)).body;
    return (await probe.call('GET', `/v1/jobs/${id}/explain`, ADMIN)).body;
  } finally {
    await probe.stop();
  }
}

async function estimateOf(body: object): Promise<number> {
  return (await explainAlone(body)).best.costUsd as number;
}

describe('admission at a hard limit', () => {
  it('holds a job whose cost does not fit what is left, says why in the job, its events and explain, and releases it when the period ends', async () => {
    const cost = await estimateOf(a100Job({ runtime: { estimateHours: 1 } }));
    d = await budgetDaemon({ 'p.yaml': policy(`limitUsd: ${(2.2 * cost).toFixed(2)}\naction: block-new`) });
    const token = await d.teamToken('research');
    const body = a100Job({ runtime: { estimateHours: 1 } });
    const first = await submit(d, token, body);
    const second = await submit(d, token, body);
    const third = await submit(d, token, body);
    expect([first.state, second.state, third.state]).toEqual(['queued', 'queued', 'held']);
    expect(third.reason).toMatch(
      /^budget research-daily has \$[\d.,]+ left of \$[\d.,]+ \(\$0\.00 spent, \$[\d.,]+ committed\), less than the job's expected cost \$[\d.,]+; it waits until the period ends 2026-11-29 00:00 UTC or until commitments free up$/,
    );
    const events = (await job(d, third.id)).events.map((e: { to: string; reason: string }) => [
      e.to,
      e.reason,
    ]);
    expect(events).toEqual([
      ['queued', 'submitted'],
      ['held', third.reason],
    ]);
    const explained = (await d.call('GET', `/v1/jobs/${third.id}/explain`, token)).body;
    expect(explained.budget).toMatchObject({
      verdict: 'held',
      reason: third.reason,
      admitted: false,
      // Not full: the held job commits nothing, so the budget is fine; the job just does not fit in it.
      policies: [{ name: 'research-daily', action: 'block-new', state: 'ok' }],
    });
    expect(explained.budget.estimateUsd).toBeCloseTo(cost, 6);
    // `gpusched explain` says it too.
    const text = explanationText(explained);
    expect(text.split('\n')[0]).toBe(`job ${third.id}: held (${third.reason})`);
    expect(text).toMatch(
      /^budget {6}research-daily \(block-new, ok\): \$0\.00 spent, \$[\d.]+ committed of \$[\d.]+, \$0\.85 left$/m,
    );
    // The two admitted jobs commit their estimates; the held one commits nothing.
    expect((await budget(d, 'research-daily')).committedUsd).toBeCloseTo(2 * cost, 3);

    // The two run and finish; what they spent still leaves too little for the third today.
    await startAll(d);
    await run(d, 2 * HOUR);
    expect((await job(d, first.id)).state).toBe('succeeded');
    expect((await job(d, third.id)).state).toBe('held');

    // Midnight: a new period, nothing spent, and the budget's port lets the held job go.
    d.clock.now = new Date('2026-11-29T00:00:01Z');
    await d.advance(0);
    const released = await job(d, third.id);
    expect(released.state).not.toBe('held');
    expect(released.events.map((e: { reason: string }) => e.reason)).toContain('budget allows it again');
    expect((await d.call('GET', `/v1/jobs/${third.id}/explain`, token)).body.budget).toMatchObject({
      verdict: 'admitted',
      admitted: true,
    });
  });

  it('refuses (422) a job whose expected cost alone is more than the whole limit: no period would admit it', async () => {
    d = await budgetDaemon({ 'p.yaml': policy('limitUsd: 1\naction: block-new') });
    const token = await d.teamToken('research');
    const r = await d.call('POST', '/v1/jobs', token, a100Job());
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: 'budget_job_exceeds_limit' });
    expect(r.body.message).toMatch(/more than budget research-daily's whole limit of \$1\.00/);
    expect((await d.call('GET', '/v1/jobs', ADMIN)).body.items).toEqual([]);
  });

  it('admits everything under a soft (alert) budget, even past its limit', async () => {
    d = await budgetDaemon({ 'p.yaml': policy('limitUsd: 1\naction: alert') });
    const token = await d.teamToken('research');
    expect((await submit(d, token)).state).toBe('queued');
    expect((await budget(d, 'research-daily')).state).toBe('warning');
  });

  it('never lets hundreds of concurrent submissions commit more than a hard limit', async () => {
    const body = a100Job({ runtime: { estimateHours: 1 } });
    const cost = await estimateOf(body);
    const limit = Number((10.5 * cost).toFixed(2));
    d = await budgetDaemon({ 'p.yaml': policy(`limitUsd: ${limit}\naction: block-new`) });
    const token = await d.teamToken('research');
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        d.call('POST', '/v1/jobs', token, { ...body, name: `race-${i}` }),
      ),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const states = answers.map((a) => a.body.state as string);
    expect(states.filter((s) => s === 'queued')).toHaveLength(10);
    expect(states.filter((s) => s === 'held')).toHaveLength(290);
    const numbers = await budget(d, 'research-daily');
    expect(numbers.committedUsd).toBeLessThanOrEqual(limit);
    expect(numbers.committedUsd).toBeCloseTo(10 * cost, 3);
    expect(numbers.remainingUsd).toBeCloseTo(limit - 10 * cost, 3);

    // Placing them changes nothing: the port admits none of the held ones while the money is committed.
    await d.advance(0);
    const after = await budget(d, 'research-daily');
    expect(after.spentUsd + after.committedUsd).toBeLessThanOrEqual(limit);
    const held = (await d.call('GET', '/v1/jobs?state=held&limit=500', ADMIN)).body.items;
    expect(held).toHaveLength(290);
  });
});

describe('spot-only', () => {
  it('admits a job past the limit but places it on spot only, where it would have gone on-demand', async () => {
    d = await budgetDaemon({ 'p.yaml': policy('limitUsd: 5\naction: spot-only') });
    const token = await d.teamToken('research');
    // A deadline this close leaves no room for interruptions: on its own the job would run on-demand.
    const deadline = new Date(d.clock.now.getTime() + 1.1 * HOUR * 1000).toISOString();
    const urgent = a100Job({ runtime: { estimateHours: 1 }, deadline });
    expect((await explainAlone(urgent)).best.where.market).toBe('on-demand');

    const { id, state } = await submit(d, token, urgent);
    expect(state).toBe('queued');
    await startAll(d);
    const placed = await job(d, id);
    expect(placed.state).toBe('running');
    expect(placed.placement.market).toBe('spot');
  });

  it('holds a job that insists on on-demand once the spot-only budget is at its limit', async () => {
    d = await budgetDaemon({ 'p.yaml': policy('limitUsd: 1\naction: spot-only') });
    const token = await d.teamToken('research');
    const held = await submit(d, token, a100Job({ market: 'on-demand' }));
    expect(held.state).toBe('held');
    expect(held.reason).toMatch(
      /^budget research-daily is at its limit of \$1\.00 and admits only spot jobs/,
    );
  });
});

describe('the burn-rate cap', () => {
  it('holds a job while the scope’s running jobs would pass the cap with it, and lets it run when they finish', async () => {
    // Two of these cost twice the cheapest 8-GPU spot node per hour; the cap allows one and a half.
    d = await budgetDaemon({ 'p.yaml': policy('limitUsd: 10000\naction: alert\nburnRateUsdPerHour: 6.4') });
    const token = await d.teamToken('research');
    const body = a100Job({ runtime: { estimateHours: 1 } });
    const first = await submit(d, token, body);
    const second = await submit(d, token, body);
    expect([first.state, second.state]).toEqual(['queued', 'queued']);
    await startAll(d);
    expect((await job(d, first.id)).state).toBe('running');
    const waiting = await job(d, second.id);
    expect(waiting.state).toBe('held');
    expect(waiting.reason).toMatch(
      /^budget research-daily caps spending at \$6\.40\/h; running jobs cost \$4\.26\/h and this one adds \$4\.26\/h; it waits until running jobs finish$/,
    );
    expect((await budget(d, 'research-daily')).burnRate).toEqual({
      capUsdPerHour: 6.4,
      currentUsdPerHour: 4.2604,
    });

    await run(d, HOUR, 300);
    expect((await job(d, first.id)).state).toBe('succeeded');
    await startAll(d);
    expect((await job(d, second.id)).state).toBe('running');
  });
});

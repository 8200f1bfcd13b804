// `suspend` at the limit through the real services: when the money a scope spent reaches its limit (here a spot
// price jumps tenfold under a running job), its running jobs are told to checkpoint and, once checkpointed, are
// stopped (`suspended`, their nodes given back); new jobs are held; the next period resumes them from their
// checkpoint.
import { afterEach, describe, expect, it } from 'vitest';
import { poolKey } from '../../src/core/model.js';
import { a100Job, budget, budgetDaemon, HOUR, job, run, startAll, submit } from '../helpers/budgets.js';
import { ADMIN, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
afterEach(async () => d?.stop());

/** The pool's spot price becomes `price` from now on, as a market poll would record it. */
function repriced(d: TestDaemon, placement: { cloud: 'aws' | 'gcp' | 'azure' }, pool: string, price: number) {
  const at = d.clock.now.toISOString();
  const offers = d.store.offers
    .list({ cloud: placement.cloud })
    .filter((o) => o.source === 'simulated')
    .map((o) => ({ ...o, observedAt: at, ...(poolKey(o) === pool ? { pricePerHour: price } : {}) }));
  d.store.offers.replace(placement.cloud, 'simulated', offers, at);
}

describe('suspend at the limit', () => {
  it('checkpoints then stops the scope’s running jobs, holds new ones, and resumes them when the period ends', async () => {
    // The job is expected to cost about $17 (four hours at $4.26/h); the budget allows $20.
    d = await budgetDaemon({
      'p.yaml':
        'name: research-daily\nscope: { team: research }\nperiod: daily\nlimitUsd: 20\naction: suspend\n',
    });
    const token = await d.teamToken('research');
    const { id } = await submit(d, token, a100Job({ runtime: { estimateHours: 4 } }));
    await startAll(d);
    const running = await job(d, id);
    expect(running.state).toBe('running');
    const price = running.placement.pricePerHour as number;

    await run(d, HOUR);
    repriced(d, running.placement, poolKey(running.placement), price * 10);
    // At ten times the price the budget is gone within half an hour: the job is told to checkpoint, then stops.
    await run(d, HOUR / 2, 300);
    const stopped = await job(d, id);
    expect(stopped.state).toBe('suspended');
    const moves = stopped.events
      .slice(-2)
      .map((e: { from: string; to: string; reason: string }) => [e.from, e.to, e.reason]);
    expect(moves[0]).toEqual([
      'running',
      'checkpointing',
      expect.stringMatching(
        /^budget research-daily reached its limit \(\$2\d\.\d\d spent of \$20\.00\): checkpointing to suspend until the period ends 2026-11-29 00:00 UTC$/,
      ),
    ]);
    expect(moves[1]).toEqual([
      'checkpointing',
      'suspended',
      expect.stringMatching(
        /^suspended by budget research-daily: checkpoint at step 1 \(\d+\.\d% done\); resumes when the budget allows$/,
      ),
    ]);
    expect(stopped.placement).toBeNull();
    expect(stopped.checkpoint.step).toBe(1);
    // Its run is billed and stops counting.
    const numbers = await budget(d, 'research-daily');
    expect(numbers.state).toBe('exceeded');
    expect(numbers.spentUsd).toBeCloseTo(stopped.costUsd, 3);
    expect(numbers.committedUsd).toBe(0);
    const limit = (await d.call('GET', '/v1/alerts?kind=limit', ADMIN)).body.items;
    expect(limit).toHaveLength(1);
    expect(limit[0].alert).toMatchObject({ policy: 'research-daily', action: 'suspend', affectedJobs: 1 });

    // Nothing new starts in the scope meanwhile.
    const late = await submit(d, token, a100Job({ runtime: { estimateHours: 1 } }));
    expect(late.state).toBe('held');
    expect(late.reason).toMatch(
      /^budget research-daily is used up: \$2\d\.\d\d spent and \$0\.00 committed of \$20\.00/,
    );
    await run(d, HOUR, 1800);
    expect((await job(d, id)).state).toBe('suspended');
    expect((await d.call('GET', `/v1/jobs/${id}/explain`, token)).body.budget).toMatchObject({
      verdict: 'suspended',
    });

    // A new day: the suspended job resumes from its checkpoint, ahead of the job that was held.
    d.clock.now = new Date('2026-11-29T00:00:05Z');
    await d.advance(0);
    const resumed = await job(d, id);
    expect(resumed.events.map((e: { reason: string }) => e.reason)).toContain(
      'budget research-daily allows it again: resumes from step 1',
    );
    expect(['scheduled', 'provisioning']).toContain(resumed.state);
    await startAll(d);
    expect((await job(d, id)).state).toBe('running');
    expect((await job(d, id)).progress).toBeGreaterThan(0.3);
  });
});

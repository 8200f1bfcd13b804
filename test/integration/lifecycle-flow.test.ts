// One job end to end through the real services on the simulated cloud, with a clock the test moves.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const job = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['A100'], count: 8 } },
  runtime: { estimateHours: 1 },
};

let d: TestDaemon;
afterEach(async () => d?.stop());

async function submit(token: string, body: object = job) {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}
const get = async (id: string) => (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;

describe('a job on the simulated cloud', () => {
  it('goes queued → scheduled → provisioning → running → succeeded on the cheapest spot offer, with its cost', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const id = await submit(token);
    // What explain calls best now is where the scheduler puts the job: the lowest expected cost.
    const best = (await d.call('GET', `/v1/jobs/${id}/explain`, token)).body.best;
    await d.advance(0); // schedule: launch
    let j = await get(id);
    expect(j.state).toBe('provisioning');
    expect(j.placement).toMatchObject({
      cloud: best.where.cloud,
      region: best.where.region,
      instanceType: best.where.instanceType,
      market: best.where.market,
      pricePerHour: best.where.pricePerHour,
    });
    expect(j.placement.market).toBe('spot');
    expect(j.expectedCostUsd).toBeCloseTo(best.costUsd, 4);
    // An A100 job on an A100 runs its estimate: one hour.
    expect(best.breakdown.runtimeHours).toBe(1);
    const cheapest = { pricePerHour: best.where.pricePerHour };

    await d.advance(1); // boot (90 sim s at 360× = 0.25 s) → node ready → job running
    await d.advance(0);
    j = await get(id);
    expect(j.state).toBe('running');

    await d.advance(10); // 1 h of sim time
    j = await get(id);
    expect(j.state).toBe('succeeded');
    expect(j.events.map((e: { to: string }) => e.to)).toEqual([
      'queued',
      'scheduled',
      'provisioning',
      'running',
      'succeeded',
    ]);
    // Billed for exactly its hour of sim time at the offer's price (to the instant it ended, not the tick).
    expect(j.costUsd).toBeCloseTo(cheapest.pricePerHour, 3);
  });

  it('releases the node once it has been idle for the idle time, billing it', async () => {
    d = await testDaemon((c) => {
      c.scheduler.idleNodeSeconds = 5;
    });
    const id = await submit(await d.teamToken('research'));
    for (const s of [0, 1, 0, 10]) await d.advance(s);
    expect((await get(id)).state).toBe('succeeded');
    const nodeId = (await get(id)).placement.nodeIds[0];
    await d.advance(6);
    const nodes = (await d.call('GET', '/v1/nodes', ADMIN)).body.items;
    const n = nodes.find((x: { id: string }) => x.id === nodeId);
    expect(n.state).toBe('terminated');
    expect(n.costUsd).toBeGreaterThan(0);
    expect(await d.sim!.list()).toEqual(
      expect.arrayContaining([expect.objectContaining({ nodeId, state: 'terminated' })]),
    );
  });

  it('runs a dependent job only after its dependency succeeded', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const train = await submit(token);
    const evaluate = await submit(token, { ...job, name: 'evaluate', dependsOn: ['finetune'] });
    await d.advance(0);
    expect((await get(evaluate)).state).toBe('held');
    expect((await get(evaluate)).reason).toBe('waiting for finetune');
    for (const s of [1, 0, 10]) await d.advance(s);
    expect((await get(train)).state).toBe('succeeded');
    // In the same tick it is released and reuses the idle node of its dependency: no boot to wait for.
    const e = await get(evaluate);
    expect(e.state).toBe('provisioning');
    expect(e.placement.nodeIds).toEqual((await get(train)).placement.nodeIds);
    await d.advance(0);
    expect((await get(evaluate)).state).toBe('running');
  });

  it('fails the dependents of a cancelled job, with the reason', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const train = await submit(token);
    const evaluate = await submit(token, { ...job, name: 'evaluate', dependsOn: [train] });
    await d.call('DELETE', `/v1/jobs/${train}`, token);
    await d.advance(0);
    const e = await get(evaluate);
    expect(e.state).toBe('failed');
    expect(e.reason).toBe(`dependency finetune (${train}) cancelled`);
  });

  it('stops a running job on cancel and gives its node back at once', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const id = await submit(token);
    for (const s of [0, 1, 0, 2]) await d.advance(s);
    expect((await get(id)).state).toBe('running');
    const r = await d.call('DELETE', `/v1/jobs/${id}`, token);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('cancelled');
    expect(r.body.costUsd).toBeGreaterThan(0);
    const inst = await d.sim!.list();
    expect(inst.every((i) => i.state === 'terminated')).toBe(true);
    expect((await d.call('DELETE', `/v1/jobs/${id}`, token)).status).toBe(409);
  });

  it('rolls a failed launch back, blocks the pool and places the job elsewhere', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const cheapest = (
      await d.call('GET', '/v1/offers?gpu=A100&market=spot&limit=1000', token)
    ).body.items.find((o: { gpu: { count: number } }) => o.gpu.count >= 8);
    const pool = `${cheapest.cloud}/${cheapest.region}/${cheapest.zone ?? '-'}/${cheapest.instanceType}/spot`;
    d.sim!.injectLaunchFault(pool, 'InsufficientCapacity');
    const id = await submit(token);
    await d.advance(0);
    const j = await get(id);
    expect(j.state).toBe('queued');
    expect(j.reason).toMatch(/launch failed \(InsufficientCapacity\)/);
    await d.advance(0);
    const again = await get(id);
    expect(again.state).toBe('provisioning');
    expect(
      again.placement.zone === cheapest.zone && again.placement.instanceType === cheapest.instanceType,
    ).toBe(false);
    const blocked = (
      await d.call('GET', `/v1/offers?gpu=A100&market=spot&limit=1000`, token)
    ).body.items.find(
      (o: typeof cheapest) =>
        o.zone === cheapest.zone && o.instanceType === cheapest.instanceType && o.region === cheapest.region,
    );
    expect(blocked.availability.blockedUntil).not.toBeNull();
    const nodes = (await d.call('GET', '/v1/nodes', ADMIN)).body.items;
    expect(nodes.filter((n: { state: string }) => n.state === 'terminated')).toHaveLength(1);
  });

  it('requeues a job whose spot node is reclaimed and runs it to the end on a replacement', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const id = await submit(token);
    for (const s of [0, 1, 0, 2]) await d.advance(s);
    const first = await get(id);
    expect(first.state).toBe('running');
    const nodeId = first.placement.nodeIds[0];
    const r = await d.call('POST', `/v1/sim/nodes/${nodeId}/interrupt`, ADMIN, { cloud: 'gcp' });
    expect(r.status).toBe(202);
    expect(r.body.noticeSeconds).toBe(30);
    await d.advance(0); // the notice: node draining, pool blocked
    expect(
      (await d.call('GET', '/v1/nodes', ADMIN)).body.items.find((n: { id: string }) => n.id === nodeId).state,
    ).toBe('draining');
    await d.advance(1); // 30 sim s later the instance is gone: job back in the queue, then replaced
    const j = await get(id);
    expect(j.events.map((e: { to: string }) => e.to)).toContain('queued');
    expect(j.placement.nodeIds[0]).not.toBe(nodeId);
    for (const s of [1, 0, 11]) await d.advance(s);
    const done = await get(id);
    expect(done.state).toBe('succeeded');
    expect(done.events.filter((e: { to: string }) => e.to === 'succeeded')).toHaveLength(1);
  });
});

describe('fair share between teams', () => {
  it('gives the idle node to the team that spent less recently, though it submitted later', async () => {
    d = await testDaemon((c) => {
      c.scheduler.idleNodeSeconds = 600;
    });
    const heavy = await d.teamToken('heavy');
    const light = await d.teamToken('light');
    const first = await submit(heavy);
    for (const s of [0, 1, 0, 10]) await d.advance(s);
    expect((await get(first)).state).toBe('succeeded');
    d.store.jobs.update(first, d.clock.now, { addCostUsd: 1000 }); // heavy spent a lot in the window
    const idleNode = (await get(first)).placement.nodeIds[0];

    const heavyJob = await submit(heavy, { ...job, name: 'heavy-2' });
    d.clock.now = new Date(d.clock.now.getTime() + 1000);
    const lightJob = await submit(light, { ...job, name: 'light-1' });
    await d.advance(0);
    expect((await get(lightJob)).placement.nodeIds).toEqual([idleNode]);
    expect((await get(heavyJob)).placement.nodeIds).not.toEqual([idleNode]);
  });
});

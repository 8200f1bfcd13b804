// Jobs sharing a node through the real services on the simulated cloud: one launch, disjoint slots that the
// API shows, each job billed for its share, and a cancellation that leaves the node to the job still on it.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

// On AWS the only A100 instance has 8 GPUs: two 4-GPU jobs are cheapest on one of them.
const half = (name: string) => ({
  name,
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['A100'], count: 4 } },
  runtime: { estimateHours: 1 },
  market: 'on-demand',
  constraints: { clouds: ['aws'] },
});

let d: TestDaemon;
afterEach(async () => d?.stop());

async function submit(token: string, body: object) {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}
const get = async (id: string) => (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;

describe('jobs sharing a node', () => {
  it('launch one node for two jobs, hold disjoint GPUs, and each pay its half', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const a = await submit(token, half('a'));
    const b = await submit(token, half('b'));
    await d.advance(0);
    const [ja, jb] = [await get(a), await get(b)];
    expect(ja.placement.nodeIds).toEqual(jb.placement.nodeIds);
    expect(ja.placement.instanceType).toBe('p4d.24xlarge');
    const gpus = [ja, jb].flatMap((j) => j.placement.slots.flatMap((s: any) => s.slot.gpuIndices));
    expect(gpus.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await d.call('GET', '/v1/nodes', ADMIN)).body.items).toHaveLength(1);

    for (const s of [1, 0, 10]) await d.advance(s);
    const [da, db] = [await get(a), await get(b)];
    expect([da.state, db.state]).toEqual(['succeeded', 'succeeded']);
    // One hour each on half of the node.
    expect(da.costUsd).toBeCloseTo(ja.placement.pricePerHour / 2, 2);
    expect(db.costUsd).toBeCloseTo(ja.placement.pricePerHour / 2, 2);
    expect(d.store.slots.forJob(a)).toEqual([]);
  });

  it('a cancelled job gives its slots back and leaves the node to the other', async () => {
    d = await testDaemon();
    const token = await d.teamToken('research');
    const a = await submit(token, half('a'));
    const b = await submit(token, half('b'));
    await d.advance(0);
    await d.advance(1);
    await d.advance(0);
    expect((await get(a)).state).toBe('running');
    const nodeId = (await get(a)).placement.nodeIds[0];

    expect((await d.call('DELETE', `/v1/jobs/${a}`, token)).status).toBe(200);
    await d.advance(0);
    const node = (await d.call('GET', '/v1/nodes', ADMIN)).body.items.find((n: any) => n.id === nodeId);
    expect(node.state).toBe('ready');
    expect(node.jobIds).toEqual([b]);
    expect(node.free).toMatchObject({ wholeGpus: 4 });

    // The freed GPUs take the next job of that shape, on the same node.
    const c = await submit(token, half('c'));
    await d.advance(0);
    expect((await get(c)).placement.nodeIds).toEqual([nodeId]);
  });
});

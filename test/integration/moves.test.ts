// Moving running work through the real services on the simulated cloud: a job that had to start on dear
// on-demand capacity is moved to spot once spot is back (consolidation), by checkpoint and resume, and runs only
// the work its checkpoint left.
import { afterEach, describe, expect, it } from 'vitest';
import { poolKey } from '../../src/core/model.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const job = {
  name: 'train',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['A100'], count: 1 } },
  runtime: { estimateHours: 40 },
  checkpoint: { dir: '/ckpt' },
};

let d: TestDaemon;
afterEach(async () => d?.stop());
const get = async (id: string) => (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;

describe('consolidation on the simulated cloud', () => {
  it('moves a job from on-demand to spot once spot is back, resuming from its checkpoint', async () => {
    d = await testDaemon((c) => {
      c.consolidation.everySeconds = 1;
      c.consolidation.minRunMinutes = 30; // 5 wall seconds at 360×
    });
    // No spot A100 for the first 20 s (2 h of sim time): the job starts on on-demand.
    const until = new Date(d.clock.now.getTime() + 20_000).toISOString();
    for (const o of d.store.offers.list()) {
      if (o.market === 'spot' && o.gpu.model === 'A100') d.store.offers.blockPool(poolKey(o), until, 'test');
    }
    const token = await d.teamToken('research');
    const id = (await d.call('POST', '/v1/jobs', token, job)).body.id as string;
    await d.advance(0);
    await d.advance(1);
    await d.advance(0);
    let j = await get(id);
    expect(j.state).toBe('running');
    expect(j.placement.market).toBe('on-demand');
    const first = j.placement.nodeIds[0];

    await d.advance(10); // 1 h of sim time passes, but the blocks still hold: nothing cheaper to go to
    expect((await get(id)).placement.nodeIds).toEqual([first]);
    await d.advance(10); // the blocks expire: spot is back
    j = await get(id);
    expect(j.state).toBe('checkpointing');
    expect(j.reason).toMatch(/^consolidation: off /);
    await d.advance(0); // the sim agent checkpoints; the job is queued and placed again
    j = await get(id);
    expect(j.placement.market).toBe('spot');
    // 2 h of 40 done when it checkpointed.
    expect(j.progress).toBeCloseTo(2 / 40, 2);
    // The emptied node drains and is released.
    await d.advance(0);
    const nodes = (await d.call('GET', '/v1/nodes', ADMIN)).body.items;
    expect(nodes.find((n: { id: string }) => n.id === first).state).toMatch(/terminat/);

    for (const s of [1, 0, 380]) await d.advance(s);
    j = await get(id);
    expect(j.state).toBe('succeeded');
    const path = j.events.map((e: { to: string }) => e.to);
    expect(path).toEqual([
      'queued',
      'scheduled',
      'provisioning',
      'running',
      'checkpointing',
      'migrating',
      'queued',
      'scheduled',
      'provisioning',
      'running',
      'succeeded',
    ]);
  });
});

// A daemon that died at any point of a launch comes back and makes the store and the cloud agree:
// nothing launched twice, nothing leaked, no job lost or run twice.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Offer } from '../../src/core/model.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const job = {
  name: 'finetune',
  image: 'ghcr.io/acme/train:1',
  resources: { gpu: { models: ['A100'], count: 8 } },
  runtime: { estimateHours: 1 },
};

let d: TestDaemon | null = null;
afterEach(async () => {
  await d?.stop();
  d = null;
});

function onDisk(dir: string) {
  return testDaemon((c) => {
    c.dataDir = dir;
    c.database.file = 'gpusched.db';
  });
}

/** Stops the daemon and starts another on the same data, at the same (test) time. */
async function restart(dir: string): Promise<TestDaemon> {
  const at = d!.clock.now;
  await d!.stop();
  d = await onDisk(dir);
  d.clock.now = at;
  await d.tick();
  return d;
}

/** What the provisioner writes before it calls the cloud: a node row without provider id, the job scheduled. */
async function reserveOnly(t: TestDaemon, jobId: string): Promise<{ nodeId: string; offer: Offer }> {
  const offer = t.store.offers.list({ gpu: 'A100', market: 'spot' }).find((o) => o.gpu.count >= 8)!;
  const nodeId = 'node-crashed';
  const at = t.clock.now.toISOString();
  t.store.tx(() => {
    t.store.nodes.insert({
      id: nodeId,
      cloud: offer.cloud,
      provider: 'sim',
      region: offer.region,
      zone: offer.zone,
      instanceType: offer.instanceType,
      market: offer.market,
      gpu: offer.gpu,
      pricePerHour: offer.pricePerHour,
      state: 'provisioning',
      providerId: null,
      createdAt: at,
      readyAt: null,
      lastBusyAt: at,
      terminatedAt: null,
      interruptedAt: null,
      costUsd: 0,
    });
    t.store.jobs.transition(jobId, 'scheduled', 'placed', t.clock.now, { nodeIds: [nodeId] });
  });
  return { nodeId, offer };
}

const get = async (id: string) => (await d!.call('GET', `/v1/jobs/${id}`, ADMIN)).body;

describe('recovery after a crash', () => {
  it('requeues a job whose launch never reached the cloud, and closes its node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-rec-'));
    d = await onDisk(dir);
    const id = (await d.call('POST', '/v1/jobs', ADMIN, { ...job, team: 'research' })).body.id;
    const { nodeId } = await reserveOnly(d, id);
    await restart(dir);
    const j = await get(id);
    expect(j.events.map((e: { reason: string }) => e.reason)).toContain(
      `node ${nodeId} lost: launch not confirmed by the cloud; resumes from the start`,
    );
    expect(j.state).toBe('provisioning'); // requeued, then placed again in the same tick
    expect(d!.store.nodes.get(nodeId)!.state).toBe('terminated');
  });

  it('adopts an instance the cloud launched before the crash, and launches nothing twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-rec-'));
    d = await onDisk(dir);
    const id = (await d.call('POST', '/v1/jobs', ADMIN, { ...job, team: 'research' })).body.id;
    const { nodeId, offer } = await reserveOnly(d, id);
    await d.sim!.launch({ nodeId, offer, tags: {} }); // the cloud took it; the daemon died before recording it
    await restart(dir);
    expect((await get(id)).state).toBe('provisioning');
    expect(d!.store.nodes.get(nodeId)!.providerId).toMatch(/^sim-/);
    for (const s of [1, 0, 11]) await d!.advance(s);
    expect((await get(id)).state).toBe('succeeded');
    expect(await d!.sim!.list()).toHaveLength(1);
  });

  it('terminates an instance no node wants (a leak)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-rec-'));
    d = await onDisk(dir);
    const offer = d.store.offers.list({ gpu: 'T4' })[0]!;
    await d.sim!.launch({ nodeId: 'node-unknown', offer, tags: {} });
    await restart(dir);
    expect((await d!.sim!.list()).map((i) => i.state)).toEqual(['terminated']);
  });

  it('carries a running job on and completes it exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-rec-'));
    d = await onDisk(dir);
    const id = (await d.call('POST', '/v1/jobs', ADMIN, { ...job, team: 'research' })).body.id;
    for (const s of [0, 1, 0, 3]) await d.advance(s);
    expect((await get(id)).state).toBe('running');
    await restart(dir);
    for (const s of [4, 4]) await d!.advance(s);
    const j = await get(id);
    expect(j.state).toBe('succeeded');
    expect(j.events.filter((e: { to: string }) => e.to === 'running')).toHaveLength(1);
    expect(j.events.filter((e: { to: string }) => e.to === 'succeeded')).toHaveLength(1);
    expect(await d!.sim!.list()).toHaveLength(1);
  });

  it('notices an instance that vanished and sends its job back to the queue', async () => {
    d = await testDaemon();
    const id = (await d.call('POST', '/v1/jobs', ADMIN, { ...job, team: 'research' })).body.id;
    for (const s of [0, 1, 0]) await d.advance(s);
    const node = d.store.nodes.get((await get(id)).placement.nodeIds[0])!;
    await d.sim!.terminate(node.providerId!);
    await d.advance(0);
    const j = await get(id);
    expect(j.events.map((e: { reason: string }) => e.reason)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^node ${node.id} lost: instance vanished; resumes from the start, losing [0-9.]+ min of work$`,
        ),
      ),
    );
    expect(d.store.nodes.get(node.id)!.state).toBe('terminated');
  });
});

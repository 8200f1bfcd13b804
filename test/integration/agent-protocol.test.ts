// The daemon's side of the agent protocol, driven as an agent would drive it (docs/agent-protocol.md): the
// simulated cloud in local mode launches nodes and nobody plays their agents but this test.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const job = {
  name: 'train',
  image: 'ghcr.io/acme/train:1',
  env: { LR: '0.1' },
  resources: { gpu: { models: ['A100'], count: 1 } },
  runtime: { estimateHours: 10 },
  checkpoint: { dir: '/ckpt/train', graceSeconds: 20 },
};

let d: TestDaemon;
afterEach(async () => d?.stop());

async function agentCall(url: string, token: string, body: object) {
  const r = await d.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
  return { status: r.statusCode, body: r.body ? r.json() : null };
}
const get = async (id: string) => (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
const iso = (offsetSeconds = 0) => new Date(d.clock.now.getTime() + offsetSeconds * 1000).toISOString();

/** Registers an agent for the node: the bootstrap token the launch would have handed it, exchanged. */
async function register(nodeId: string): Promise<string> {
  const bootstrap = d.store.agents.issue(
    nodeId,
    'bootstrap',
    d.clock.now,
    new Date(d.clock.now.getTime() + 3600_000),
  );
  const r = await agentCall('/v1/agent/register', bootstrap, {
    nodeId,
    cloud: 'aws',
    agentVersion: '0.1.0',
    runtime: 'process',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  // The bootstrap token is spent.
  expect(
    (
      await agentCall('/v1/agent/register', bootstrap, {
        nodeId,
        cloud: 'aws',
        agentVersion: '0.1.0',
        runtime: 'process',
      })
    ).status,
  ).toBe(401);
  return r.body.token as string;
}

async function start() {
  d = await testDaemon((c) => {
    c.sim.mode = 'local';
    c.sim.timeScale = 1;
    c.sim.bootSeconds = 0;
    c.consolidation.enabled = false;
  });
  const team = await d.teamToken('research');
  const id = (await d.call('POST', '/v1/jobs', team, job)).body.id as string;
  await d.advance(0);
  const nodeId = (await get(id)).placement.nodeIds[0] as string;
  return { team, id, nodeId };
}

describe('the agent protocol', () => {
  it('registers a node, hands it its job with its slot, and follows the job to its end with its output', async () => {
    const { team, id, nodeId } = await start();
    const token = await register(nodeId);
    expect((await d.call('GET', '/v1/nodes', ADMIN)).body.items[0].state).toBe('ready');
    // Node tokens and team tokens each open only their own doors.
    expect((await agentCall('/v1/agent/heartbeat', team, { jobs: [] })).status).toBe(401);
    expect((await d.call('GET', '/v1/jobs', token)).status).toBe(401);

    let hb = await agentCall('/v1/agent/heartbeat', token, { jobs: [] });
    expect(hb.body.assignments).toEqual([
      {
        jobId: id,
        unit: 0,
        slot: { kind: 'whole', gpuIndices: [0] },
        image: 'ghcr.io/acme/train:1',
        env: { LR: '0.1' },
        checkpointDir: '/ckpt/train',
        checkpointSignal: 'SIGUSR1',
        checkpointGraceSeconds: 20,
      },
    ]);
    hb = await agentCall('/v1/agent/heartbeat', token, {
      jobs: [{ jobId: id, state: 'running', at: iso() }],
    });
    expect((await get(id)).state).toBe('running');

    const logs = await agentCall('/v1/agent/logs', token, {
      items: [
        { jobId: id, at: iso(), stream: 'stdout', text: 'epoch 1' },
        { jobId: id, at: iso(), step: 0, values: { optimizer: 'adamw', loss: 2.5 } },
        { jobId: id, at: iso(), step: 100, values: { loss: 0.7 } },
      ],
    });
    expect(logs.status).toBe(202);
    expect((await d.call('GET', `/v1/jobs/${id}/logs`, team)).body.items).toEqual([
      { seq: expect.any(Number), at: expect.any(String), stream: 'stdout', text: 'epoch 1' },
    ]);
    const series = (await d.call('GET', `/v1/jobs/${id}/metrics-series`, team)).body;
    expect(series.series.loss.map((p: { step: number; value: number }) => [p.step, p.value])).toEqual([
      [0, 2.5],
      [100, 0.7],
    ]);
    expect(series.params).toEqual({ optimizer: 'adamw' });

    d.clock.now = new Date(d.clock.now.getTime() + 3600_000);
    await agentCall('/v1/agent/heartbeat', token, {
      jobs: [{ jobId: id, state: 'exited', exitCode: 0, at: iso() }],
    });
    const done = await get(id);
    expect(done.state).toBe('succeeded');
    expect(done.costUsd).toBeCloseTo(done.placement.pricePerHour, 3); // one hour of its node
  });

  it('on a notice: drains the node, orders the checkpoint, launches the replacement at once, and resumes there', async () => {
    const { id, nodeId } = await start();
    const token = await register(nodeId);
    await agentCall('/v1/agent/heartbeat', token, { jobs: [{ jobId: id, state: 'running', at: iso() }] });
    d.clock.now = new Date(d.clock.now.getTime() + 1800_000);
    // A periodic checkpoint half an hour in: recorded, the job runs on.
    await agentCall('/v1/agent/checkpoint', token, { jobId: id, step: 50, path: 'step-50', at: iso() });
    let j = await get(id);
    expect([j.state, j.checkpoint.step]).toEqual(['running', 50]);
    expect(j.progress).toBeCloseTo(0.5 / 10, 3);

    const notice = await agentCall('/v1/agent/notice', token, {
      cloud: 'aws',
      kind: 'preempt',
      deadline: iso(120),
      raw: '{"action":"terminate"}',
    });
    expect(notice.status).toBe(200);
    expect(notice.body.commands).toEqual([
      { kind: 'checkpoint', jobId: id, reason: expect.stringMatching(/^reclaim notice/), deadline: iso(20) },
    ]);
    expect((await get(id)).state).toBe('checkpointing');
    await d.advance(0); // the replacement's launch (started at the notice) completes
    const nodes = (await d.call('GET', '/v1/nodes', ADMIN)).body.items;
    const old = nodes.find((n: { id: string }) => n.id === nodeId);
    const spare = nodes.find((n: { id: string }) => n.id !== nodeId);
    expect(old.state).toBe('draining');
    expect(spare).toMatchObject({ state: 'provisioning', jobIds: [] });

    d.clock.now = new Date(d.clock.now.getTime() + 10_000);
    await agentCall('/v1/agent/checkpoint', token, { jobId: id, step: 52, path: 'step-52', at: iso() });
    j = await get(id);
    expect(j.state).toBe('queued');
    await d.advance(0);
    j = await get(id);
    expect(j.placement.nodeIds).toEqual([spare.id]); // the replacement, booted already
    const token2 = await register(spare.id);
    const hb = await agentCall('/v1/agent/heartbeat', token2, { jobs: [] });
    expect(hb.body.assignments[0].resumeFrom).toBe('/ckpt/train/step-52');
    // The drained node goes.
    await d.advance(0);
    expect(
      (await d.call('GET', '/v1/nodes', ADMIN)).body.items.find((n: { id: string }) => n.id === nodeId).state,
    ).toMatch(/terminat/);
  });

  it('a node whose agent falls silent is lost, and its job resumes from its last checkpoint', async () => {
    const { id, nodeId } = await start();
    const token = await register(nodeId);
    await agentCall('/v1/agent/heartbeat', token, { jobs: [{ jobId: id, state: 'running', at: iso() }] });
    await agentCall('/v1/agent/checkpoint', token, { jobId: id, step: 7, path: 'step-7', at: iso() });
    await d.advance(31);
    const j = await get(id);
    expect(j.events).toContainEqual(
      expect.objectContaining({
        from: 'running',
        to: 'queued',
        reason: expect.stringMatching(/no heartbeat for 30 s/),
      }),
    );
    expect(j.checkpoint.step).toBe(7);
    // Where it was written, so that placement prices copying it elsewhere.
    const node = (await d.call('GET', '/v1/nodes', ADMIN)).body.items.find(
      (n: { id: string }) => n.id === nodeId,
    );
    expect(j.checkpoint.region).toBe(`${node.cloud}:${node.region}`);
    // Its token died with it.
    expect((await agentCall('/v1/agent/heartbeat', token, { jobs: [] })).status).toBe(401);
  });

  it('refuses output and checkpoints for jobs that are not on the node', async () => {
    const { nodeId } = await start();
    const token = await register(nodeId);
    const r = await agentCall('/v1/agent/checkpoint', token, {
      jobId: 'job-nope',
      step: 1,
      path: 'x',
      at: iso(),
    });
    expect(r.status).toBe(404);
    const bad = await agentCall('/v1/agent/heartbeat', token, { jobs: [{ jobId: 'j', state: 'sleeping' }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.issues)).toMatch(/jobs\.0\.state/);
  });
});

describe('a gang under a notice', () => {
  it('orders every member to checkpoint, and the whole gang moves on the first checkpoint', async () => {
    d = await testDaemon((c) => {
      c.sim.mode = 'local';
      c.sim.timeScale = 1;
      c.sim.bootSeconds = 0;
      c.consolidation.enabled = false;
    });
    const team = await d.teamToken('research');
    const gang = { ...job, name: 'gang', resources: { gpu: { models: ['A100'], count: 8 }, nodes: 2 } };
    const id = (await d.call('POST', '/v1/jobs', team, gang)).body.id as string;
    await d.advance(0);
    const [a, b] = (await get(id)).placement.nodeIds as string[];
    const ta = await register(a!);
    const tb = await register(b!);
    await agentCall('/v1/agent/heartbeat', ta, { jobs: [{ jobId: id, state: 'running', at: iso() }] });
    expect((await get(id)).state).toBe('provisioning'); // one member is not the gang
    await agentCall('/v1/agent/heartbeat', tb, { jobs: [{ jobId: id, state: 'running', at: iso() }] });
    expect((await get(id)).state).toBe('running');

    const notice = await agentCall('/v1/agent/notice', ta, {
      cloud: 'aws',
      kind: 'preempt',
      deadline: iso(120),
    });
    expect(notice.body.commands).toEqual([expect.objectContaining({ kind: 'checkpoint', jobId: id })]);
    // The other member hears it on its next heartbeat.
    const hb = await agentCall('/v1/agent/heartbeat', tb, {
      jobs: [{ jobId: id, state: 'running', at: iso() }],
    });
    expect(hb.body.commands).toEqual([expect.objectContaining({ kind: 'checkpoint', jobId: id })]);

    await agentCall('/v1/agent/checkpoint', tb, { jobId: id, step: 9, path: 'step-9', at: iso() });
    const j = await get(id);
    expect(j.state).toBe('queued');
    expect(j.checkpoint.step).toBe(9);
    // Both members stop: neither node has the job any more.
    const after = await agentCall('/v1/agent/heartbeat', tb, {
      jobs: [{ jobId: id, state: 'running', at: iso() }],
    });
    expect(after.body.assignments).toEqual([]);
    expect(after.body.commands).toEqual([
      expect.objectContaining({ kind: 'stop', jobId: id, graceSeconds: 0 }),
    ]);
  });
});

// The in-process agents as the replay runs them (startDaemon's `replay` option): jobs write their periodic
// checkpoints, a checkpoint takes its grace period, and a reclaim notice reaches the agent service as a real
// agent would report it (checkpoint ordered, replacement launched at once). And, for every mode, a notice that
// reaches a node still booting no longer breaks the tick.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { type Daemon, startDaemon } from '../../src/daemon.js';
import { traceMarketSources } from '../../src/sim/trace-market.js';
import { ADMIN } from '../helpers/daemon.js';
import { HOUR, handInputs, MINUTE, R0, tracedPool, v100 } from '../helpers/replay.js';

let d: Daemon | null = null;
afterEach(async () => {
  await d?.stop();
  d = null;
});

async function replayDaemon(opts: { replay?: boolean; bootSeconds?: number; errors?: string[] } = {}) {
  const spot = v100({ market: 'spot', pricePerHour: 1 });
  const inputs = handInputs({
    catalog: [spot, v100({ market: 'on-demand', pricePerHour: 3 })],
    traced: [tracedPool(spot, Array<1>(24).fill(1))],
    jobs: [],
    hours: 24,
  });
  const config = structuredClone(loadConfig({ env: {} })) as Config;
  config.dataDir = mkdtempSync(join(tmpdir(), 'gpusched-replay-agents-'));
  config.policies.dir = mkdtempSync(join(tmpdir(), 'gpusched-replay-policies-'));
  config.database.file = ':memory:';
  config.api.adminToken = ADMIN;
  config.sim.timeScale = 1;
  config.sim.bootSeconds = opts.bootSeconds ?? 300;
  config.scheduler.idleNodeSeconds = 300;
  const clock = { now: R0 };
  const daemon = await startDaemon(config, {
    now: () => new Date(clock.now),
    manualTicks: true,
    noListen: true,
    logger: opts.errors
      ? pino({ level: 'error' }, { write: (line: string) => void opts.errors!.push(line) })
      : pino({ level: 'silent' }),
    ...(opts.replay === false ? {} : { replay: { marketSources: traceMarketSources(inputs.market) } }),
  });
  d = daemon;
  const at = async (ms: number) => {
    clock.now = R0 + ms;
    await daemon.tick();
  };
  const submit = async (spec: object) => {
    const r = await daemon.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: spec,
    });
    expect(r.statusCode).toBe(201);
    return (r.json() as { id: string }).id;
  };
  return { daemon, at, submit };
}

const train = {
  name: 'train',
  team: 'research',
  image: 'x',
  resources: { gpu: { models: ['V100'], count: 1 } },
  runtime: { estimateHours: 3 },
  checkpoint: { dir: '/ckpt', graceSeconds: 60, everyMinutes: 30 },
};

describe('in-process agents that keep the job contract', () => {
  it('record the periodic checkpoints written since the last tick', async () => {
    const { daemon, at, submit } = await replayDaemon();
    const id = await submit(train);
    await at(0);
    await at(5 * MINUTE); // the node is up: the job starts
    expect(daemon.store.jobs.get(id)?.state).toBe('running');
    await at(HOUR + 10 * MINUTE); // checkpoints were due at 0:35 and 1:05: the last one is on record
    const job = daemon.store.jobs.get(id)!;
    expect(job.checkpoint?.at).toBe(new Date(R0 + HOUR + 5 * MINUTE).toISOString());
    expect(job.progress).toBeCloseTo(1 / 3, 9);
  });

  it('report a notice to the agent service: the checkpoint is ordered, takes its 60 s, the job moves', async () => {
    const { daemon, at, submit } = await replayDaemon();
    const id = await submit(train);
    await at(0);
    await at(5 * MINUTE);
    const node = daemon.store.jobs.get(id)!.nodeIds[0]!;
    const instance = daemon.store.nodes.get(node)!.providerId!;
    await at(HOUR + 5 * MINUTE);
    daemon.sim!.interrupt(instance);
    await at(HOUR + 5 * MINUTE);
    expect(daemon.store.jobs.get(id)?.state).toBe('checkpointing');
    expect(daemon.store.agents.notices(node).map((n) => n.kind)).toEqual(['preempt']);
    // The replacement was launched with the notice, before the job has left its node.
    const launched = daemon.store.nodes.list(['provisioning']).filter((n) => n.id !== node);
    expect(launched).toHaveLength(1);
    await at(HOUR + 5 * MINUTE + 30_000);
    expect(daemon.store.jobs.get(id)?.state).toBe('checkpointing');
    await at(HOUR + 6 * MINUTE);
    const job = daemon.store.jobs.get(id)!;
    expect(job.state).toBe('provisioning');
    expect(job.nodeIds).toEqual([launched[0]!.id]);
    expect(job.checkpoint?.at).toBe(new Date(R0 + HOUR + 6 * MINUTE).toISOString());
    expect(job.progress).toBeCloseTo(61 / 180, 9);
  });
});

describe('a notice that reaches a node still booting', () => {
  it('waits for the node to be up, and does not fail the tick meanwhile (default in-process mode)', async () => {
    const errors: string[] = [];
    const { daemon, at, submit } = await replayDaemon({ replay: false, bootSeconds: 60, errors });
    const id = await submit(train);
    await at(0);
    const node = daemon.store.jobs.get(id)!.nodeIds[0]!;
    daemon.sim!.interrupt(daemon.store.nodes.get(node)!.providerId!);
    await at(30_000); // still booting: nothing to drain yet
    expect(daemon.store.nodes.get(node)?.state).toBe('provisioning');
    await at(60_000); // up, and drained by the notice in the same tick
    expect(daemon.store.nodes.get(node)?.state).toBe('draining');
    expect(errors).toEqual([]);
  });

  it('leaves a node reclaimed before it was up to the reconciler', async () => {
    const errors: string[] = [];
    const { daemon, at, submit } = await replayDaemon({ replay: false, bootSeconds: 300, errors });
    const id = await submit(train);
    await at(0);
    const node = daemon.store.jobs.get(id)!.nodeIds[0]!;
    daemon.sim!.interrupt(daemon.store.nodes.get(node)!.providerId!);
    await at(60_000);
    await at(120_000); // the notice ran out before the boot did: the node is lost, the job queued again
    expect(daemon.store.nodes.get(node)?.state).toBe('terminated');
    expect(daemon.store.jobs.get(id)?.nodeIds).not.toContain(node);
    expect(errors).toEqual([]);
  });
});

// The agent against the real daemon (its composition root, in-process, the simulated cloud in local mode, where
// nobody else plays the node's agent): the calls go through the daemon's own routes and schemas by a fetch that
// hands each request to app.inject. The job runs, a notice on the node's metadata server makes the agent
// checkpoint it, and the daemon records that checkpoint and moves the job off the node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/agent.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { ProcessRuntime } from '../../src/agent/runtime/index.js';
import { type MetadataServer, startMetadataServer } from '../../src/clouds/sim/metadata-server.js';
import { TOY, tempDir } from '../fakes/agent-daemon.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

const DAEMON = 'http://daemon.test';
let d: TestDaemon | undefined;
let meta: MetadataServer | undefined;
const stop = { agent: async () => {} };

afterEach(async () => {
  await stop.agent();
  await meta?.close();
  await d?.stop();
  d = undefined;
  meta = undefined;
});

describe('the agent and the real daemon', () => {
  it('runs the job, checkpoints it on a notice, and the daemon moves it from that checkpoint', async () => {
    const daemon = await testDaemon((c) => {
      c.sim.mode = 'local';
      c.sim.timeScale = 1;
      c.sim.bootSeconds = 0;
      c.consolidation.enabled = false;
    });
    d = daemon;
    const ckpt = tempDir();
    const team = await daemon.teamToken('research');
    const submitted = await daemon.call('POST', '/v1/jobs', team, {
      name: 'toy',
      command: [process.execPath, TOY, '--steps', '1000000', '--step-delay-ms', '2'],
      resources: { gpu: { models: ['A100'], count: 1 } },
      runtime: { estimateHours: 10 },
      checkpoint: { dir: ckpt, graceSeconds: 20 },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = submitted.body.id as string;
    await daemon.advance(0);
    const job = async () => (await daemon.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
    const nodeId = (await job()).placement.nodeIds[0] as string;
    const t = daemon.clock.now;
    const bootstrap = daemon.store.agents.issue(nodeId, 'bootstrap', t, new Date(t.getTime() + 3600_000));
    meta = await startMetadataServer({ cloud: 'aws' });
    const inject: typeof fetch = async (input, init) => {
      if (!String(input).startsWith(DAEMON)) return fetch(input, init);
      const res = await daemon.app.inject({
        method: 'POST',
        url: new URL(String(input)).pathname,
        headers: init?.headers as Record<string, string>,
        payload: init?.body as string,
      });
      return new Response(res.body, { status: res.statusCode });
    };
    const events: AgentEvent[] = [];
    const abort = new AbortController();
    const running = runAgent(
      {
        daemonUrl: DAEMON,
        token: bootstrap,
        nodeId,
        cloud: 'aws',
        runtime: 'process',
        agentVersion: '0.0.0-test',
        metadataEndpoint: meta.url,
        checkpointRoot: ckpt,
        scratchRoot: join(ckpt, 'scratch'),
        heartbeatSeconds: 0.1,
        noticePollMs: 50,
        manifestPollMs: 100,
        checkpointPollMs: 20,
        outputFlushMs: 50,
        shutdownGraceSeconds: 2,
        unassignedGraceSeconds: 2,
        signal: abort.signal,
      },
      {
        runtime: new ProcessRuntime({ baseEnv: { PATH: process.env.PATH } }),
        fetch: inject,
        logger: pino({ level: 'silent' }),
        onEvent: (e) => events.push(e),
      },
    );
    stop.agent = async () => {
      abort.abort();
      await running;
    };
    const until = async (what: string, test: () => Promise<boolean> | boolean) => {
      const end = Date.now() + 10_000;
      while (!(await test())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('the job to run', async () => (await job()).state === 'running');
    // Training, with its signal handlers installed (the toy prints its first loss after them).
    await until('a loss point', async () => {
      const series = (await daemon.call('GET', `/v1/jobs/${id}/metrics-series`, team)).body;
      return (series.series?.loss?.length ?? 0) > 0;
    });
    expect((await daemon.call('GET', '/v1/nodes', ADMIN)).body.items[0].state).toBe('ready');

    meta.raiseNotice();
    await until('the checkpoint report', () => events.some((e) => e.type === 'checkpoint-reported'));
    const reported = events.find((e) => e.type === 'checkpoint-reported')!;
    expect(reported).toMatchObject({ cause: 'notice' });
    await until(
      'the job to leave the node',
      async () => !['running', 'checkpointing'].includes((await job()).state),
    );
    const moved = await job();
    const manifest = JSON.parse(readFileSync(join(ckpt, 'latest.json'), 'utf8')) as { step: number };
    expect(moved.checkpoint).toMatchObject({ step: 'step' in reported ? reported.step : -1 });
    expect(moved.checkpoint.step).toBeLessThanOrEqual(manifest.step);
    // The job left the node: the agent stops its run there.
    await until('the run here to stop', () => events.some((e) => e.type === 'job-exited'));
    const logs = (await daemon.call('GET', `/v1/jobs/${id}/logs`, team)).body;
    expect(
      logs.items.some((l: { text: string }) => l.text.startsWith('checkpoint requested (SIGUSR1)')),
    ).toBe(true);
  });
});

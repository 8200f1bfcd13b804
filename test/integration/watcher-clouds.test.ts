// Each cloud's notice watcher against the simulated metadata server over real HTTP: the notice it sees,
// the AWS token's life, GCP's impostor check, Azure's acknowledgement, what a failing endpoint turns
// into, and the watch loop end to end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsNoticeWatcher } from '../../src/agent/watchers/aws.js';
import { AzureNoticeWatcher } from '../../src/agent/watchers/azure.js';
import { GcpNoticeWatcher } from '../../src/agent/watchers/gcp.js';
import {
  createNoticeWatcher,
  MetadataError,
  metadataEndpointFrom,
  type Notice,
  watch,
} from '../../src/agent/watchers/index.js';
import { type MetadataServer, startMetadataServer } from '../../src/clouds/sim/metadata-server.js';
import type { CloudName } from '../../src/core/model.js';

const T0 = new Date('2026-11-28T12:00:00Z');
let clock = T0;
const now = () => clock;
let server: MetadataServer | undefined;
let extra: Server | undefined;

async function start(cloud: CloudName, name?: string): Promise<MetadataServer> {
  clock = T0;
  server = await startMetadataServer({ cloud, now, ...(name ? { instance: { name } } : {}) });
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (extra) await new Promise((r) => extra!.close(r));
  extra = undefined;
});

const tokenRequests = (sim: MetadataServer) => sim.requests().filter((r) => r.method === 'PUT').length;

describe('each watcher sees its cloud notice', () => {
  it.each([
    ['aws', { kind: 'preempt', deadline: new Date('2026-11-28T12:02:00Z') }],
    ['gcp', { kind: 'preempt', deadline: new Date('2026-11-28T12:00:30Z') }],
    ['azure', { kind: 'preempt', deadline: new Date('2026-11-28T12:00:30Z') }],
  ] as const)('%s: nothing, then a preemption with its deadline', async (cloud, expected) => {
    const sim = await start(cloud);
    const watcher = createNoticeWatcher(cloud, { endpoint: sim.url, now });
    expect(await watcher.poll()).toBeNull();
    const raised = sim.raiseNotice();
    const notice = await watcher.poll();
    expect(notice).toMatchObject({ cloud, ...expected, raw: raised.body });
    if (cloud === 'azure') expect(notice?.eventId).toBe(raised.eventId);
  });

  it.each([
    ['gcp', 'maintenance'],
    ['azure', 'maintenance'],
  ] as const)('%s: host maintenance', async (cloud, kind) => {
    const sim = await start(cloud);
    sim.raiseNotice({ kind: 'maintenance' });
    expect(await createNoticeWatcher(cloud, { endpoint: sim.url }).poll()).toMatchObject({ cloud, kind });
  });
});

describe('AWS', () => {
  it('reports the rebalance recommendation, and the reclaim over it once both are up', async () => {
    const sim = await start('aws');
    const watcher = new AwsNoticeWatcher({ endpoint: sim.url, now });
    sim.raiseRebalance();
    expect(await watcher.poll()).toMatchObject({ kind: 'rebalance', deadline: null });
    sim.raiseNotice();
    expect(await watcher.poll()).toMatchObject({ kind: 'preempt' });
  });

  it('asks for scheduled maintenance only when told to', async () => {
    const sim = await start('aws');
    const { eventId } = sim.raiseNotice({ kind: 'maintenance', noticeSeconds: 3_600 });
    expect(await new AwsNoticeWatcher({ endpoint: sim.url, now }).poll()).toBeNull();
    const watcher = new AwsNoticeWatcher({ endpoint: sim.url, now, scheduledMaintenance: true });
    expect(await watcher.poll()).toEqual(
      expect.objectContaining({ kind: 'maintenance', eventId, deadline: new Date('2026-11-28T13:00:00Z') }),
    );
  });

  it('fetches one token and reuses it poll after poll', async () => {
    const sim = await start('aws');
    const watcher = new AwsNoticeWatcher({ endpoint: sim.url, now });
    for (let i = 0; i < 5; i++) await watcher.poll();
    expect(tokenRequests(sim)).toBe(1);
    expect(
      sim
        .requests()
        .every((r) => r.method === 'PUT' || typeof r.headers['x-aws-ec2-metadata-token'] === 'string'),
    ).toBe(true);
  });

  it('replaces the token shortly before it expires, without ever being turned away', async () => {
    const sim = await start('aws');
    const watcher = new AwsNoticeWatcher({
      endpoint: sim.url,
      now,
      tokenTtlSeconds: 300,
      refreshBeforeSeconds: 60,
    });
    await watcher.poll();
    clock = new Date(T0.getTime() + 230_000); // 70 s left: still good
    await watcher.poll();
    expect(tokenRequests(sim)).toBe(1);
    clock = new Date(T0.getTime() + 250_000); // 50 s left: replaced
    await watcher.poll();
    expect(tokenRequests(sim)).toBe(2);
    expect(sim.requests().filter((r) => r.url.includes('meta-data')).length).toBe(6);
  });

  it('gets a new token and retries when IMDS answers 401 (restarted, token forgotten)', async () => {
    const sim = await start('aws');
    const watcher = new AwsNoticeWatcher({ endpoint: sim.url, now });
    await watcher.poll();
    sim.revokeTokens();
    sim.raiseNotice();
    expect(await watcher.poll()).toMatchObject({ kind: 'preempt' });
    expect(watcher.tokensFetched).toBe(2);
  });

  it('fails the poll when the token itself cannot be had', async () => {
    const sim = await start('aws');
    sim.faults.serverError(1, 'PUT /latest/api/token', 503);
    const err = await new AwsNoticeWatcher({ endpoint: sim.url }).poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataError);
    expect(err).toMatchObject({
      status: 503,
      message: expect.stringMatching(/PUT \/latest\/api\/token: HTTP 503/),
    });
  });
});

describe('GCP', () => {
  it('keeps the deadline it set when it first saw TRUE, however late it polls again', async () => {
    const sim = await start('gcp');
    const watcher = new GcpNoticeWatcher({ endpoint: sim.url, now });
    sim.raiseNotice();
    const first = await watcher.poll();
    clock = new Date(T0.getTime() + 7_000);
    const again = await watcher.poll();
    expect(again?.deadline).toEqual(first?.deadline);
    expect(first?.deadline).toEqual(new Date('2026-11-28T12:00:30Z'));
  });

  it('refuses an answer without Metadata-Flavor: Google (not a metadata server)', async () => {
    extra = createServer((_req, res) => res.end('FALSE'));
    await new Promise<void>((r) => extra!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(extra.address() as AddressInfo).port}`;
    await expect(new GcpNoticeWatcher({ endpoint: url }).poll()).rejects.toThrow(/not a GCE metadata server/);
  });
});

describe('Azure', () => {
  it('acknowledges the event after the checkpoint: Azure starts it, the notice stays the same event', async () => {
    const sim = await start('azure', 'vm-7');
    const watcher = new AzureNoticeWatcher({ endpoint: sim.url, vmName: 'vm-7' });
    const { eventId } = sim.raiseNotice();
    const before = await watcher.poll();
    await watcher.acknowledge(eventId!);
    const after = await watcher.poll();
    expect(sim.acknowledged().map((a) => a.eventId)).toEqual([eventId]);
    expect(before).toMatchObject({ eventId, deadline: new Date('2026-11-28T12:00:30Z') });
    expect(after).toMatchObject({ eventId, deadline: null });
    expect(JSON.parse(after!.raw).Events[0].EventStatus).toBe('Started');
  });

  it('ignores an event for another VM', async () => {
    const sim = await start('azure', 'vm-neighbour');
    sim.raiseNotice();
    expect(await new AzureNoticeWatcher({ endpoint: sim.url, vmName: 'vm-7' }).poll()).toBeNull();
  });

  it('reports an acknowledgement IMDS refused', async () => {
    const sim = await start('azure');
    sim.faults.serverError(1, 'POST');
    await expect(new AzureNoticeWatcher({ endpoint: sim.url }).acknowledge('E1')).rejects.toThrow(
      /acknowledge E1.*HTTP 500/,
    );
  });
});

describe('a failing endpoint becomes a MetadataError, never a hang', () => {
  it.each(['aws', 'gcp', 'azure'] as const)('%s: a 500 answer', async (cloud) => {
    const sim = await start(cloud);
    sim.faults.serverError(5);
    await expect(createNoticeWatcher(cloud, { endpoint: sim.url }).poll()).rejects.toMatchObject({
      name: 'MetadataError',
      status: 500,
    });
  });

  it.each(['aws', 'gcp', 'azure'] as const)('%s: an answer slower than the timeout', async (cloud) => {
    const sim = await start(cloud);
    sim.faults.hang(5);
    await expect(createNoticeWatcher(cloud, { endpoint: sim.url, timeoutMs: 150 }).poll()).rejects.toThrow(
      /no answer within 150 ms/,
    );
  });

  it('a server that is not there', async () => {
    const sim = await start('gcp');
    const url = sim.url;
    await sim.close();
    server = undefined;
    await expect(new GcpNoticeWatcher({ endpoint: url }).poll()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a garbled body', async () => {
    extra = createServer((_req, res) => {
      res.setHeader('Metadata-Flavor', 'Google');
      res.end('<html>captive portal</html>');
    });
    await new Promise<void>((r) => extra!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(extra.address() as AddressInfo).port}`;
    await expect(new GcpNoticeWatcher({ endpoint: url }).poll()).rejects.toThrow(/expected TRUE or FALSE/);
  });
});

describe('watch, end to end', () => {
  it.each(['aws', 'gcp', 'azure'] as const)(
    '%s: rides out a bad patch of the endpoint and reports the notice once',
    async (cloud) => {
      const sim = await start(cloud);
      sim.faults.serverError(3).slow(200, 1);
      const stop = new AbortController();
      const notices: Notice[] = [];
      const errors: string[] = [];
      let seen: () => void = () => {};
      const reported = new Promise<void>((resolve) => {
        seen = resolve;
      });
      const done = watch(createNoticeWatcher(cloud, { endpoint: sim.url, timeoutMs: 100 }), {
        intervalMs: 20,
        signal: stop.signal,
        onNotice: (n) => {
          notices.push(n);
          seen();
        },
        onError: (e) => errors.push(e.message),
      });
      await new Promise((r) => setTimeout(r, 150));
      sim.raiseNotice();
      await reported;
      // A few more polls of the same notice, which must not be reported again.
      await new Promise((r) => setTimeout(r, 100));
      stop.abort();
      await done;
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ cloud, kind: 'preempt' });
      expect(errors[0]).toMatch(/HTTP 500/);
    },
  );

  it('resolves promptly once stopped', async () => {
    const sim = await start('aws');
    const stop = new AbortController();
    const done = watch(new AwsNoticeWatcher({ endpoint: sim.url }), {
      signal: stop.signal,
      onNotice: () => {},
    });
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('which endpoint the agent watches', () => {
  it.each([
    [
      'the flag first',
      'aws',
      'http://127.0.0.1:9',
      { GPUSCHED_METADATA_ENDPOINT: 'http://127.0.0.1:8' },
      'http://127.0.0.1:9',
    ],
    [
      'then the environment',
      'gcp',
      undefined,
      { GPUSCHED_METADATA_ENDPOINT: 'http://127.0.0.1:8' },
      'http://127.0.0.1:8',
    ],
    ['then the cloud default', 'gcp', undefined, {}, 'http://metadata.google.internal'],
  ] as const)('%s', (_case, cloud, flag, env, endpoint) => {
    expect(metadataEndpointFrom(cloud, flag, env)).toBe(endpoint);
    expect(createNoticeWatcher(cloud, { endpoint: metadataEndpointFrom(cloud, flag, env) }).endpoint).toBe(
      endpoint,
    );
  });
});

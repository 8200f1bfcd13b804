// The daemon with a live cloud: AWS enabled (the real SDK against the wire-level fake), the simulated
// cloud off. Prices come from the live poll, a job launches a real RunInstances with its node id as
// ClientToken, and a cancel terminates the instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsFake, startAwsFake } from '../fakes/aws/index.js';
import { ADMIN, type TestDaemon, testDaemon } from '../helpers/daemon.js';

let fake: AwsFake;
let d: TestDaemon;
const saved = { ...process.env };

beforeAll(async () => {
  fake = await startAwsFake();
  // The daemon uses the SDK's default credential chain: here, the environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  d = await testDaemon((c) => {
    c.sim.enabled = false;
    c.clouds.clusterTag = 'it-cluster';
    c.clouds.aws.enabled = true;
    c.clouds.aws.regions = fake.world.regions.map((r) => r.name);
    c.clouds.aws.endpoint = fake.endpoint;
    c.clouds.aws.pricingEndpoint = fake.pricingEndpoint;
    c.clouds.aws.launch.imageId = 'ami-0fake0000000000000';
  });
});

afterAll(async () => {
  await d?.stop();
  await fake?.close();
  process.env = saved;
});

describe('a daemon on live AWS (against the fake)', () => {
  it('serves the live offers with their source', async () => {
    const r = await d.call('GET', '/v1/offers?cloud=aws&limit=5', ADMIN);
    expect(r.body.items.length).toBeGreaterThan(0);
    expect(r.body.items.every((o: { source: string }) => o.source === 'live')).toBe(true);
    expect(r.body.sources).toEqual([
      expect.objectContaining({ cloud: 'aws', kind: 'live', stale: false, lastError: null }),
    ]);
  });

  it('launches a job on EC2 with the node id as ClientToken, and terminates it on cancel', async () => {
    const job = {
      name: 'live',
      team: 'research',
      image: 'i',
      resources: { gpu: { models: ['T4'], count: 1 } },
      runtime: { estimateHours: 1 },
    };
    const id = (await d.call('POST', '/v1/jobs', ADMIN, job)).body.id;
    await d.advance(0);
    const j = (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
    expect(j.state).toBe('provisioning');
    const nodeId = j.placement.nodeIds[0];
    const inst = fake.instances.all.find((i) => i.clientToken === nodeId);
    expect(inst).toMatchObject({
      imageId: 'ami-0fake0000000000000',
      tags: expect.objectContaining({ 'gpusched-node': nodeId, 'gpusched-cluster': 'it-cluster' }),
    });

    await d.call('DELETE', `/v1/jobs/${id}`, ADMIN);
    await d.advance(0);
    expect(['shutting-down', 'terminated']).toContain(
      fake.instances.all.find((i) => i.clientToken === nodeId)!.state,
    );
    const node = (await d.call('GET', '/v1/nodes', ADMIN)).body.items.find(
      (n: { id: string }) => n.id === nodeId,
    );
    expect(node.state).toBe('terminated');
  });

  it('terminates an instance of its cluster that no node wants', async () => {
    const before = fake.instances.all.length;
    const { createAwsCloud } = await import('../../src/clouds/aws/index.js');
    const stray = await createAwsCloud({
      regions: ['us-east-1'],
      endpoint: fake.endpoint,
      pricingEndpoint: fake.pricingEndpoint,
      launch: { imageId: 'ami-0fake0000000000000' },
      clusterTag: 'it-cluster',
      now: () => new Date(),
    });
    const offer = (await d.call('GET', '/v1/offers?cloud=aws&region=us-east-1&limit=1', ADMIN)).body.items[0];
    const leaked = await stray.capacity.launch({ nodeId: 'node-leaked', offer, tags: {} });
    stray.close();
    expect(fake.instances.all.length).toBe(before + 1);
    await d.advance(0);
    const inst = fake.instances.all.find((i) => `${i.region}/${i.instanceId}` === leaked.providerId)!;
    expect(['shutting-down', 'terminated']).toContain(inst.state);
  });
});

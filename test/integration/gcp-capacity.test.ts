// The GCP capacity provider with the real @google-cloud/compute SDK against the wire-level fake: the
// shared CapacityProvider conformance suite, then what GCE adds: the insert body, requestId
// idempotency, delete twice, list by label, capacity and quota failures, preemption.
import { afterEach, describe, expect, it } from 'vitest';
import { isCloudError } from '../../src/clouds/errors.js';
import { createGcpCloud, type GcpCloudAdapter, type GcpCloudOptions } from '../../src/clouds/gcp/index.js';
import type { Offer } from '../../src/core/model.js';
import { capacityProviderConformance } from '../conformance/capacity-provider.js';
import { fakeAuthClient } from '../fakes/gcp/auth.js';
import { type GcpFake, type GcpFakeOptions, startGcpFake } from '../fakes/gcp/server.js';

const T0 = new Date('2026-11-28T12:00:00Z');

async function setup(fakeOpts: GcpFakeOptions = {}, over: Partial<GcpCloudOptions> = {}) {
  const fake = await startGcpFake(fakeOpts);
  const cloud = await createGcpCloud({
    project: fake.project,
    regions: ['us-central1'],
    apiEndpoint: fake.url,
    authClient: fakeAuthClient(),
    launch: { image: 'projects/debian-cloud/global/images/family/debian-12', serviceAccount: 'n@p.iam' },
    clusterLabel: 'Test-Cluster',
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    requestTimeoutMs: 5000,
    ...over,
  });
  return { fake, cloud };
}

function offer(over: Partial<Offer> = {}): Offer {
  return {
    cloud: 'gcp',
    region: 'us-central1',
    zone: 'us-central1-a',
    instanceType: 'n1-standard-8+1xT4',
    gpu: { model: 'T4', count: 1, memoryGiB: 16 },
    vcpus: 8,
    memoryGiB: 30,
    market: 'spot',
    pricePerHour: 0.19404,
    observedAt: T0.toISOString(),
    availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
    source: 'live',
    ...over,
  };
}

capacityProviderConformance('gcp', async () => {
  const { fake, cloud } = await setup();
  // An offer the live market produced, so conformance launches what the poller would offer.
  const live = (await cloud.market.poll(T0)).find((o) => o.zone === 'us-central1-b' && o.market === 'spot');
  if (!live) throw new Error('the fake offered nothing in us-central1-b');
  return {
    provider: cloud.capacity,
    offer: live,
    failLaunchesForCapacity: () => fake.exhaustZone('us-central1-b'),
    cleanup: () => fake.close(),
  };
});

describe('GCP capacity against the fake', () => {
  let fake: GcpFake;
  let cloud: GcpCloudAdapter;
  afterEach(async () => fake?.close());

  const inserted = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/instances'));

  it('inserts a labelled spot VM with attached GPUs, the bootstrap and an idempotency UUID', async () => {
    ({ fake, cloud } = await setup());
    const inst = await cloud.capacity.launch({
      nodeId: 'node-1a2b3c4d',
      offer: offer(),
      tags: { 'gpusched-job': 'job-9', Team: 'Research' },
      bootstrap: '#!/bin/sh\necho agent',
    });
    expect(inst).toMatchObject({
      providerId: 'us-central1-a/gpusched-node-1a2b3c4d',
      nodeId: 'node-1a2b3c4d',
      cloud: 'gcp',
      region: 'us-central1',
      zone: 'us-central1-a',
      instanceType: 'n1-standard-8+1xT4',
      market: 'spot',
      state: 'running',
      interruptedAt: null,
    });
    const req = inserted()[0];
    expect(req?.query.get('requestId')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const body = fake.compute.instances.get('us-central1-a/gpusched-node-1a2b3c4d') as Record<string, any>;
    expect(body.machineType).toMatch(/zones\/us-central1-a\/machineTypes\/n1-standard-8$/);
    expect(body.guestAccelerators).toEqual([
      { acceleratorType: 'zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 1 },
    ]);
    expect(body.scheduling).toEqual({
      provisioningModel: 'SPOT',
      instanceTerminationAction: 'DELETE',
      onHostMaintenance: 'TERMINATE',
      automaticRestart: false,
    });
    expect(body.labels).toEqual({
      'gpusched-cluster': 'test-cluster',
      'gpusched-node': 'node-1a2b3c4d',
      'gpusched-job': 'job-9',
      team: 'research',
    });
    expect(body.metadata.items).toContainEqual({ key: 'startup-script', value: '#!/bin/sh\necho agent' });
    expect(body.serviceAccounts[0].email).toBe('n@p.iam');
    expect(body.disks[0].initializeParams.sourceImage).toBe(
      'projects/debian-cloud/global/images/family/debian-12',
    );
  });

  it('launches accelerator-optimised on-demand machines without guestAccelerators', async () => {
    ({ fake, cloud } = await setup());
    const o = offer({ instanceType: 'a2-highgpu-1g', market: 'on-demand', zone: 'us-central1-b' });
    const inst = await cloud.capacity.launch({ nodeId: 'node-a2', offer: o, tags: {} });
    expect(inst).toMatchObject({ instanceType: 'a2-highgpu-1g', market: 'on-demand' });
    const body = fake.compute.instances.get('us-central1-b/gpusched-node-a2') as Record<string, any>;
    expect(body.guestAccelerators).toBeUndefined();
    expect(body.scheduling).toMatchObject({ provisioningModel: 'STANDARD', onHostMaintenance: 'TERMINATE' });
  });

  it('creates one VM when the insert answer is lost and the SDK call is retried (same requestId)', async () => {
    ({ fake, cloud } = await setup());
    // The fake creates the VM and then sends half a body: the client retries the insert.
    fake.faults.malformed(1, 'POST /compute/v1/projects/gpusched-test/zones/us-central1-a/instances');
    fake.faults.add({ kind: 'status', status: 503, body: {} }, 1, /GET .*instances\/gpusched-node-lost$/);
    const inst = await cloud.capacity.launch({ nodeId: 'node-lost', offer: offer(), tags: {} });
    expect(inst.providerId).toBe('us-central1-a/gpusched-node-lost');
    const ids = inserted().map((r) => r.query.get('requestId'));
    expect(ids.length).toBe(2);
    expect(new Set(ids).size).toBe(1);
    expect(fake.compute.inserts).toBe(1);
  });

  it('adopts an instance a crashed daemon launched, without a second insert', async () => {
    ({ fake, cloud } = await setup());
    const first = await cloud.capacity.launch({ nodeId: 'node-crash', offer: offer(), tags: {} });
    // A restarted daemon: new clients and no memory, the same project and VMs.
    const again = await (
      await createGcpCloud({
        project: fake.project,
        regions: [],
        apiEndpoint: fake.url,
        authClient: fakeAuthClient(),
        launch: { image: 'x' },
        clusterLabel: 'Test-Cluster',
      })
    ).capacity.launch({ nodeId: 'node-crash', offer: offer(), tags: {} });
    expect(again.providerId).toBe(first.providerId);
    expect(fake.compute.inserts).toBe(1);
  });

  it('deletes, and deleting again succeeds', async () => {
    ({ fake, cloud } = await setup());
    const inst = await cloud.capacity.launch({ nodeId: 'node-del', offer: offer(), tags: {} });
    await cloud.capacity.terminate(inst.providerId);
    await cloud.capacity.terminate(inst.providerId);
    expect(fake.compute.deletes).toBe(1);
    expect((await cloud.capacity.list()).find((i) => i.providerId === inst.providerId)).toBeUndefined();
    await expect(cloud.capacity.terminate('no-slash')).rejects.toThrow(/providerId/);
  });

  it('lists only instances with this cluster label, with their state and market', async () => {
    ({ fake, cloud } = await setup({ bootMs: 60_000 }));
    await cloud.capacity.launch({ nodeId: 'node-mine', offer: offer(), tags: {} });
    const other = await createGcpCloud({
      project: fake.project,
      regions: [],
      apiEndpoint: fake.url,
      authClient: fakeAuthClient(),
      launch: { image: 'x' },
      clusterLabel: 'other-daemon',
    });
    await other.capacity.launch({ nodeId: 'node-theirs', offer: offer({ market: 'on-demand' }), tags: {} });
    const mine = await cloud.capacity.list();
    expect(mine.map((i) => [i.nodeId, i.state, i.market, i.instanceType])).toEqual([
      ['node-mine', 'pending', 'spot', 'n1-standard-8+1xT4'],
    ]);
    const filters = fake.requests
      .filter((r) => r.path.endsWith('/aggregated/instances'))
      .map((r) => r.query.get('filter'));
    expect(filters).toContain('labels.gpusched-cluster = "test-cluster"');
  });

  it('classifies stockouts from the operation and from the insert answer as InsufficientCapacity', async () => {
    ({ fake, cloud } = await setup());
    fake.exhaustZone('us-central1-a', { code: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS' });
    const fromOp = await cloud.capacity
      .launch({ nodeId: 'node-so', offer: offer(), tags: {} })
      .catch((e) => e);
    expect(isCloudError(fromOp, 'InsufficientCapacity')).toBe(true);
    expect(fromOp.message).toContain('does not have enough resources');
    fake.exhaustZone('us-central1-a', { atInsert: true });
    const fromInsert = await cloud.capacity
      .launch({ nodeId: 'node-so2', offer: offer(), tags: {} })
      .catch((e) => e);
    expect(isCloudError(fromInsert, 'InsufficientCapacity')).toBe(true);
    // Capacity comes back: the same node id launches, with a fresh requestId (GCE would replay the failure).
    fake.restoreZone('us-central1-a');
    const inst = await cloud.capacity.launch({ nodeId: 'node-so', offer: offer(), tags: {} });
    expect(inst.state).toBe('running');
    const ids = inserted().map((r) => r.query.get('requestId'));
    expect(ids[0]).not.toBe(ids[2]);
  });

  it('classifies a quota failure as QuotaExceeded and a missing token as AuthFailed', async () => {
    ({ fake, cloud } = await setup());
    fake.exhaustZone('us-central1-a', { code: 'QUOTA_EXCEEDED' });
    const quota = await cloud.capacity.launch({ nodeId: 'node-q', offer: offer(), tags: {} }).catch((e) => e);
    expect(isCloudError(quota, 'QuotaExceeded')).toBe(true);
    fake.faults.status(401, 'authError', 'Invalid Credentials', 1);
    const auth = await cloud.capacity.list().catch((e) => e);
    expect(isCloudError(auth, 'AuthFailed')).toBe(true);
  });

  it('waits for a running operation to finish', async () => {
    ({ fake, cloud } = await setup({ operationMs: 300 }));
    const t = Date.now();
    const inst = await cloud.capacity.launch({ nodeId: 'node-slow', offer: offer(), tags: {} });
    expect(Date.now() - t).toBeGreaterThanOrEqual(250);
    expect(inst.state).toBe('running');
  });

  it('shows a preempted spot VM as terminated and interrupted, also once GCE deleted it', async () => {
    ({ fake, cloud } = await setup());
    const kept = await cloud.capacity.launch({
      nodeId: 'node-keep',
      offer: offer({ market: 'on-demand' }),
      tags: {},
    });
    const spot = await cloud.capacity.launch({ nodeId: 'node-pre', offer: offer(), tags: {} });
    fake.compute.preempt('us-central1-a', 'gpusched-node-pre');
    const listed = await cloud.capacity.list();
    const pre = listed.find((i) => i.nodeId === 'node-pre');
    expect(pre).toMatchObject({ providerId: spot.providerId, state: 'terminated', market: 'spot' });
    expect(pre?.interruptedAt).toBeTruthy();
    expect(listed.find((i) => i.providerId === kept.providerId)).toMatchObject({
      state: 'running',
      interruptedAt: null,
    });
  });

  it('refuses offers it cannot launch', async () => {
    ({ fake, cloud } = await setup());
    await expect(
      cloud.capacity.launch({ nodeId: 'n', offer: offer({ cloud: 'aws' }), tags: {} }),
    ).rejects.toThrow();
    await expect(
      cloud.capacity.launch({ nodeId: 'n', offer: offer({ instanceType: 'p4d.24xlarge' }), tags: {} }),
    ).rejects.toThrow(/no machine shape/);
  });

  it('polls without launch settings, and says so when asked to launch', async () => {
    ({ fake, cloud } = await setup({}, { launch: { image: '' } }));
    expect((await cloud.market.poll(T0)).length).toBeGreaterThan(0);
    await expect(cloud.capacity.launch({ nodeId: 'n', offer: offer(), tags: {} })).rejects.toThrow(
      /launch.image is not configured/,
    );
  });
});

// Azure capacity through the real SDK (arm-compute: PUT + Azure-AsyncOperation polling, DELETE, list)
// against the HTTPS ARM fake, plus the conformance suite every CapacityProvider passes.
import { afterEach, describe, expect, it } from 'vitest';
import { type AzureCloudAdapter, createAzureCloud } from '../../src/clouds/azure/index.js';
import type { AzureCloudOptions } from '../../src/clouds/azure/options.js';
import { isCloudError } from '../../src/clouds/errors.js';
import type { Offer } from '../../src/core/model.js';
import { capacityProviderConformance } from '../conformance/capacity-provider.js';
import { type AzureFakes, startAzureFakes } from '../fakes/azure/index.js';

const T = new Date('2026-11-28T12:00:00Z');

function azureOffer(over: Partial<Offer> = {}): Offer {
  return {
    cloud: 'azure',
    region: 'eastus',
    zone: 'eastus-1',
    instanceType: 'Standard_NC4as_T4_v3',
    gpu: { model: 'T4', count: 1, memoryGiB: 16 },
    vcpus: 4,
    memoryGiB: 28,
    market: 'spot',
    pricePerHour: 0.204246,
    observedAt: T.toISOString(),
    availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
    source: 'live',
    ...over,
  };
}

capacityProviderConformance('azure (arm-compute against the ARM fake)', async () => {
  const az = await startAzureFakes();
  const cloud = await createAzureCloud(az.options());
  const offer = azureOffer();
  return {
    provider: cloud.capacity,
    offer,
    failLaunchesForCapacity: () => {
      az.arm.vms.capacityFaults.push({ sku: offer.instanceType, region: 'eastus', zone: '1' });
    },
    cleanup: () => az.close(),
  };
});

let fakes: AzureFakes | undefined;
afterEach(async () => {
  await fakes?.close();
  fakes = undefined;
});

async function setup(over: Partial<AzureCloudOptions> = {}, armPageSize?: number) {
  fakes = await startAzureFakes(armPageSize !== undefined ? { armPageSize } : {});
  const cloud = await createAzureCloud(fakes.options(over));
  return { az: fakes, cloud };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the promise to reject');
  return e;
}

describe('launching Azure VMs', () => {
  it('creates a Spot VM in the zone, deleted on eviction, with our tags and the bootstrap as customData', async () => {
    const { az, cloud } = await setup();
    const inst = await cloud.capacity.launch({
      nodeId: 'node-a',
      offer: azureOffer({ zone: 'eastus-2' }),
      tags: { team: 'research' },
      bootstrap: '#!/bin/sh\nexec gpusched agent\n',
    });
    expect(inst).toMatchObject({ nodeId: 'node-a', zone: 'eastus-2', market: 'spot', state: 'running' });
    const vm = az.arm.vms.find('gpusched-node-a')!;
    expect(inst.providerId).toBe(vm.id);
    expect(vm.zones).toEqual(['2']);
    expect(vm.tags).toEqual({
      team: 'research',
      'gpusched-node': 'node-a',
      'gpusched-cluster': 'test-cluster',
    });
    expect(vm.properties).toMatchObject({
      priority: 'Spot',
      evictionPolicy: 'Delete',
      billingProfile: { maxPrice: -1 },
    });
    expect(Buffer.from(vm.customData ?? '', 'base64').toString()).toBe('#!/bin/sh\nexec gpusched agent\n');
  });

  it('creates a Regular VM without a zone for a regional on-demand offer', async () => {
    const { az, cloud } = await setup();
    const offer = azureOffer({ instanceType: 'Standard_NV12s_v3', zone: null, market: 'on-demand' });
    const inst = await cloud.capacity.launch({ nodeId: 'node-b', offer, tags: {} });
    expect(inst).toMatchObject({ zone: null, market: 'on-demand' });
    const vm = az.arm.vms.find('gpusched-node-b')!;
    expect(vm.zones).toBeUndefined();
    expect(vm.properties.priority).toBe('Regular');
    expect(vm.properties.evictionPolicy).toBeUndefined();
  });

  it('is idempotent: a retried launch finds the VM and sends no second PUT', async () => {
    const { az, cloud } = await setup();
    const a = await cloud.capacity.launch({ nodeId: 'node-c', offer: azureOffer(), tags: {} });
    const before = az.arm.requests.filter((r) => r.method === 'PUT').length;
    const b = await cloud.capacity.launch({ nodeId: 'node-c', offer: azureOffer(), tags: {} });
    expect(b.providerId).toBe(a.providerId);
    expect(az.arm.requests.filter((r) => r.method === 'PUT').length).toBe(before);
    expect(az.arm.vms.vms.size).toBe(1);
  });

  it('is idempotent under a race: two launches at once create one VM (If-None-Match: *)', async () => {
    const { az, cloud } = await setup();
    const req = { nodeId: 'node-d', offer: azureOffer(), tags: {} };
    const [a, b] = await Promise.all([cloud.capacity.launch(req), cloud.capacity.launch(req)]);
    expect(a.providerId).toBe(b.providerId);
    expect(az.arm.vms.find('gpusched-node-d')?.puts).toBe(1);
    expect(az.arm.requests.filter((r) => r.method === 'PUT')).toHaveLength(2); // the loser got 412
  });

  it.each(['sync', 'async'] as const)(
    'classifies a %s capacity failure and leaves no VM behind',
    async (mode) => {
      const { az, cloud } = await setup();
      az.arm.vms.capacityFaults.push({
        sku: 'Standard_NC4as_T4_v3',
        zone: '1',
        mode,
        code: 'ZonalAllocationFailed',
      });
      const e = await failure(cloud.capacity.launch({ nodeId: 'node-e', offer: azureOffer(), tags: {} }));
      expect(isCloudError(e, 'InsufficientCapacity')).toBe(true);
      expect(e.message).toMatch(/ZonalAllocationFailed/);
      expect(az.arm.vms.find('gpusched-node-e')).toBeUndefined();
      // The pool recovers: the next launch (capacity back) succeeds under the same node id.
      az.arm.vms.capacityFaults = [];
      expect((await cloud.capacity.launch({ nodeId: 'node-e', offer: azureOffer(), tags: {} })).state).toBe(
        'running',
      );
    },
  );

  it('answers SkuNotAvailable for a zone the subscription may not use', async () => {
    const { cloud } = await setup();
    const offer = azureOffer({ instanceType: 'Standard_NC40ads_H100_v5', zone: 'eastus-3' });
    const e = await failure(cloud.capacity.launch({ nodeId: 'node-f', offer, tags: {} }));
    expect(isCloudError(e, 'InsufficientCapacity')).toBe(true);
    expect(e.message).toMatch(/SkuNotAvailable/);
  });

  it('classifies a quota refusal as QuotaExceeded', async () => {
    const { cloud, az } = await setup();
    az.arm.vms.capacityFaults.push({
      mode: 'sync',
      code: 'OperationNotAllowed',
      message: 'Operation could not be completed as it results in exceeding approved LowPriorityCores quota.',
    });
    const e = await failure(cloud.capacity.launch({ nodeId: 'node-g', offer: azureOffer(), tags: {} }));
    expect(isCloudError(e, 'QuotaExceeded')).toBe(true);
  });

  it('retries a throttled PUT and classifies persistent throttling as Throttled', async () => {
    const { az, cloud } = await setup();
    az.arm.faults.throttle(1, { match: 'PUT' });
    expect((await cloud.capacity.launch({ nodeId: 'node-h', offer: azureOffer(), tags: {} })).state).toBe(
      'running',
    );
    az.arm.faults.throttle(10, { match: 'PUT' });
    const e = await failure(cloud.capacity.launch({ nodeId: 'node-i', offer: azureOffer(), tags: {} }));
    expect(isCloudError(e, 'Throttled')).toBe(true);
  });

  it('gives the VM a throwaway SSH key when none is configured', async () => {
    fakes = await startAzureFakes();
    const o = fakes.options();
    const cloud = await createAzureCloud({ ...o, launch: { ...o.launch, sshPublicKey: undefined } });
    await cloud.capacity.launch({ nodeId: 'node-key', offer: azureOffer(), tags: {} });
    const props = fakes.arm.vms.find('gpusched-node-key')!.properties as {
      osProfile: { linuxConfiguration: { ssh: { publicKeys: { keyData: string }[] } } };
    };
    expect(props.osProfile.linuxConfiguration.ssh.publicKeys[0]?.keyData).toMatch(
      /^ssh-rsa \S+ gpusched-throwaway$/,
    );
  });

  it('replaces a VM left Failed by an earlier attempt', async () => {
    const { az, cloud } = await setup();
    await cloud.capacity.launch({ nodeId: 'node-j', offer: azureOffer(), tags: {} });
    az.arm.vms.find('gpusched-node-j')!.provisioningState = 'Failed';
    const inst = await cloud.capacity.launch({ nodeId: 'node-j', offer: azureOffer(), tags: {} });
    expect(inst.state).toBe('running');
    expect(az.arm.vms.find('gpusched-node-j')?.provisioningState).toBe('Succeeded');
  });
});

describe('terminating and listing Azure VMs', () => {
  it('deletes a VM, and deleting it again (or one never made) succeeds', async () => {
    const { az, cloud } = await setup();
    const inst = await cloud.capacity.launch({ nodeId: 'node-k', offer: azureOffer(), tags: {} });
    await cloud.capacity.terminate(inst.providerId);
    expect(az.arm.vms.vms.size).toBe(0);
    await cloud.capacity.terminate(inst.providerId);
    await cloud.capacity.terminate('gpusched-never-made');
  });

  it('lists only VMs of this cluster with a node tag, across pages', async () => {
    const { az, cloud } = await setup({}, 2);
    for (const id of ['n1', 'n2', 'n3'])
      await cloud.capacity.launch({ nodeId: id, offer: azureOffer(), tags: {} });
    const other: AzureCloudAdapter = await createAzureCloud(az.options({ clusterTag: 'other-cluster' }));
    await other.capacity.launch({ nodeId: 'x1', offer: azureOffer(), tags: {} });
    const listed = await cloud.capacity.list();
    expect(listed.map((i) => i.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(listed.every((i) => i.state === 'running' && i.interruptedAt === null)).toBe(true);
    expect((await other.capacity.list()).map((i) => i.nodeId)).toEqual(['x1']);
  });

  it('loses a spot VM evicted with policy Delete from the list', async () => {
    const { az, cloud } = await setup();
    await cloud.capacity.launch({ nodeId: 'n-evict', offer: azureOffer(), tags: {} });
    az.arm.vms.evict('gpusched-n-evict');
    expect(await cloud.capacity.list()).toEqual([]);
  });

  it('shows a deallocated spot VM as terminated and interrupted', async () => {
    const { az, cloud } = await setup();
    await cloud.capacity.launch({ nodeId: 'n-dealloc', offer: azureOffer(), tags: {} });
    const vm = az.arm.vms.find('gpusched-n-dealloc')!;
    vm.properties.evictionPolicy = 'Deallocate';
    az.arm.vms.evict(vm.name);
    const [inst] = await cloud.capacity.list();
    expect(inst).toMatchObject({ nodeId: 'n-dealloc', state: 'terminated' });
    expect(inst?.interruptedAt).toBe(vm.powerTime);
  });

  it('fails a list whose second call fails, rather than listing without states', async () => {
    const { az, cloud } = await setup();
    await cloud.capacity.launch({ nodeId: 'n-l', offer: azureOffer(), tags: {} });
    az.arm.faults.fail(10, {
      status: 503,
      match: /GET \/subscriptions\/[^/]+\/providers\/Microsoft.Compute\/virtualMachines$/,
    });
    expect(isCloudError(await failure(cloud.capacity.list()), 'Transient')).toBe(true);
  });

  it('bills wall-clock hours', async () => {
    const { cloud } = await setup();
    expect(cloud.capacity.billableHours(T, new Date(T.getTime() + 90 * 60_000))).toBe(1.5);
  });
});

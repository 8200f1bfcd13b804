import type { VirtualMachine } from '@azure/arm-compute';
import { describe, expect, it } from 'vitest';
import { loadDefaultCredential } from '../../src/clouds/azure/clients.js';
import { type AzureCloudOptions, resolveAzureOptions } from '../../src/clouds/azure/options.js';
import {
  azureZone,
  buildVm,
  instanceFromVm,
  parseVmId,
  throwawaySshPublicKey,
  vmNameFor,
} from '../../src/clouds/azure/vm.js';
import type { LaunchRequest } from '../../src/clouds/ports.js';
import { offer, T0 } from '../helpers/builders.js';

const azureOffer = offer({
  cloud: 'azure',
  region: 'eastus',
  zone: 'eastus-2',
  instanceType: 'Standard_NC4as_T4_v3',
  gpu: { model: 'T4', count: 1, memoryGiB: 16 },
  market: 'spot',
});
const launch = {
  imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
  subnetId: '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/n',
};
const build = (req: Partial<LaunchRequest> = {}) =>
  buildVm(
    { nodeId: 'node-1', offer: azureOffer, tags: {}, ...req },
    { launch, clusterTag: 'prod', sshPublicKey: 'ssh-rsa AAAA key' },
  );

describe('the VM gpusched asks Azure for', () => {
  it('is a Spot VM that is deleted on eviction and never evicted for price', () => {
    expect(build()).toMatchObject({
      priority: 'Spot',
      evictionPolicy: 'Delete',
      billingProfile: { maxPrice: -1 },
    });
  });

  it('is a Regular VM without eviction settings for on-demand', () => {
    const vm = build({ offer: { ...azureOffer, market: 'on-demand' } });
    expect(vm.priority).toBe('Regular');
    expect(vm.evictionPolicy).toBeUndefined();
    expect(vm.billingProfile).toBeUndefined();
  });

  it('goes to the offer zone as Azure names it, or to no zone for a regional offer', () => {
    expect(build().zones).toEqual(['2']);
    expect(build({ offer: { ...azureOffer, zone: null } }).zones).toBeUndefined();
    expect(azureZone({ region: 'eastus', zone: '3' })).toBe('3');
  });

  it('carries our tags over the request tags, with forbidden characters replaced', () => {
    const vm = build({ tags: { team: 'research', 'gpusched-node': 'forged', 'a/b': 'c' } });
    expect(vm.tags).toEqual({
      team: 'research',
      'gpusched-node': 'node-1',
      'gpusched-cluster': 'prod',
      a_b: 'c',
    });
  });

  it('passes the bootstrap script base64-encoded as customData', () => {
    const vm = build({ bootstrap: '#!/bin/sh\necho hi\n' });
    expect(Buffer.from(vm.osProfile?.customData ?? '', 'base64').toString()).toBe('#!/bin/sh\necho hi\n');
  });

  it('refuses a bootstrap script larger than customData allows', () => {
    expect(() => build({ bootstrap: 'x'.repeat(70_000) })).toThrow(/64 KiB customData/);
  });

  it('has an inline NIC on the subnet, deleted with the VM, and an OS disk deleted with it too', () => {
    const vm = build();
    expect(vm.networkProfile?.networkApiVersion).toBe('2020-11-01');
    expect(vm.networkProfile?.networkInterfaceConfigurations?.[0]).toMatchObject({
      deleteOption: 'Delete',
      ipConfigurations: [{ subnet: { id: launch.subnetId } }],
    });
    expect(vm.storageProfile?.osDisk?.deleteOption).toBe('Delete');
    expect(vm.osProfile?.linuxConfiguration?.disablePasswordAuthentication).toBe(true);
  });

  it('uses an image id when given one', () => {
    const vm = buildVm(
      { nodeId: 'n', offer: azureOffer, tags: {} },
      { launch: { ...launch, imageReference: { id: '/x/images/y' } }, clusterTag: 'c', sshPublicKey: 'k' },
    );
    expect(vm.storageProfile?.imageReference).toEqual({ id: '/x/images/y' });
  });
});

describe('VM names from node ids', () => {
  it('keeps a valid id readable', () => expect(vmNameFor('node-abc123')).toBe('gpusched-node-abc123'));

  it('hashes ids with other characters, keeping distinct ids distinct and names short', () => {
    const a = vmNameFor('Node_1');
    const b = vmNameFor('node-1-');
    expect(a).toMatch(/^gpusched-node-1-[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
    expect(vmNameFor('x'.repeat(200)).length).toBeLessThanOrEqual(64);
    expect(vmNameFor('Node_1')).toBe(a);
  });
});

describe('reading a VM back as an Instance', () => {
  const vm = (over: Partial<VirtualMachine> = {}): VirtualMachine => ({
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/gpusched-n',
    location: 'eastus',
    zones: ['2'],
    tags: { 'gpusched-node': 'n', 'gpusched-cluster': 'prod' },
    priority: 'Spot',
    hardwareProfile: { vmSize: 'Standard_NC4as_T4_v3' },
    provisioningState: 'Succeeded',
    ...over,
  });
  const power = (code: string) => [
    { code: 'ProvisioningState/succeeded' },
    { code: `PowerState/${code}`, time: T0 },
  ];

  it.each([
    ['created, not yet running', { provisioningState: 'Creating' }, undefined, 'pending'],
    ['succeeded without a power state', {}, undefined, 'running'],
    ['running', {}, power('running'), 'running'],
    ['starting', {}, power('starting'), 'pending'],
    ['deallocated', {}, power('deallocated'), 'terminated'],
    ['failed to provision', { provisioningState: 'Failed' }, undefined, 'terminated'],
    ['being deleted', { provisioningState: 'Deleting' }, undefined, 'terminated'],
  ] as const)('%s → %s', (_name, over, statuses, state) => {
    expect(instanceFromVm(vm(over), statuses, T0)?.state).toBe(state);
  });

  it('maps identity, zone and market', () => {
    expect(instanceFromVm(vm({ timeCreated: T0 }), undefined, new Date(0))).toEqual({
      providerId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/gpusched-n',
      nodeId: 'n',
      cloud: 'azure',
      region: 'eastus',
      zone: 'eastus-2',
      instanceType: 'Standard_NC4as_T4_v3',
      market: 'spot',
      state: 'running',
      launchedAt: T0.toISOString(),
      interruptedAt: null,
    });
  });

  it('marks a deallocated spot VM as interrupted at the power state time', () => {
    expect(instanceFromVm(vm(), power('deallocated'), new Date(0))?.interruptedAt).toBe(T0.toISOString());
    expect(instanceFromVm(vm({ priority: 'Regular' }), power('deallocated'), T0)?.interruptedAt).toBeNull();
  });

  it('is not ours without a node tag', () => {
    expect(instanceFromVm(vm({ tags: {} }), undefined, T0)).toBeNull();
  });
});

describe('options and credentials', () => {
  const base: AzureCloudOptions = {
    subscriptionId: 's',
    resourceGroup: 'rg',
    regions: ['EastUS'],
    launch,
    clusterTag: 'prod',
  };

  it('fills the documented defaults', () => {
    const o = resolveAzureOptions(base);
    expect(o).toMatchObject({
      endpoint: 'https://management.azure.com',
      retailPricesUrl: 'https://prices.azure.com/api/retail/prices',
      regions: ['eastus'],
      priceRefreshHours: 24,
      availabilityRefreshMinutes: 10,
      retry: { maxRetries: 3 },
    });
  });

  it.each([
    ['no regions', { regions: [] }, /regions/],
    ['no subscription', { subscriptionId: '' }, /subscriptionId is required/],
    ['no subnet', { launch: { ...launch, subnetId: '' } }, /launch.subnetId is required/],
    ['a zero refresh', { priceRefreshHours: 0 }, /priceRefreshHours must be a positive number/],
  ])('names the option at fault: %s', (_name, over, message) => {
    expect(() => resolveAzureOptions({ ...base, ...over })).toThrow(message);
  });

  it('says which package to install when no credential is given and @azure/identity is broken or absent', async () => {
    const missing = async () => {
      throw new Error("Cannot find package '@azure/identity'");
    };
    await expect(loadDefaultCredential(missing)).rejects.toThrow(/npm install @azure\/identity@4\.13\.1/);
  });

  it('loads the installed @azure/identity by default', async () => {
    const cred = await loadDefaultCredential();
    expect(cred.constructor.name).toBe('DefaultAzureCredential');
  });

  it('builds DefaultAzureCredential when @azure/identity is present', async () => {
    class DefaultAzureCredential {
      getToken = async () => ({ token: 't', expiresOnTimestamp: 0 });
    }
    const cred = await loadDefaultCredential(async () => ({ DefaultAzureCredential }));
    expect(cred).toBeInstanceOf(DefaultAzureCredential);
  });

  it('makes an OpenSSH RSA public key nobody holds the private half of', async () => {
    expect(await throwawaySshPublicKey()).toMatch(
      /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ gpusched-throwaway$/,
    );
  });

  it('parses VM ids and bare names', () => {
    expect(
      parseVmId('/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/vm1', 'rg'),
    ).toEqual({
      resourceGroup: 'RG1',
      name: 'vm1',
    });
    expect(parseVmId('vm2', 'rg')).toEqual({ resourceGroup: 'rg', name: 'vm2' });
    expect(() => parseVmId('/nonsense/x', 'rg')).toThrow(/neither a VM id nor a VM name/);
  });
});

// Azure's CapacityProvider: one VM per node, named after the node id, created with a PUT that waits for the
// long-running operation (Azure reports allocation failures only when the operation ends, and the services
// need them to block the pool), deleted with its NIC and OS disk, and listed by our tags.
import type { ComputeManagementClient, VirtualMachine } from '@azure/arm-compute';
import { CloudError, isCloudError } from '../errors.js';
import type { CapacityProvider, Instance, LaunchRequest } from '../ports.js';
import { azureErrorFacts, classifyAzureError } from './errors.js';
import type { AzureLaunchOptions } from './options.js';
import {
  buildVm,
  CLUSTER_TAG,
  instanceFromVm,
  NODE_TAG,
  parseVmId,
  throwawaySshPublicKey,
  vmNameFor,
} from './vm.js';

export interface AzureCapacitySettings {
  resourceGroup: string;
  clusterTag: string;
  launch: AzureLaunchOptions;
  now: () => Date;
  lroPollIntervalMs: number | undefined;
}

type VmOperations = Pick<
  ComputeManagementClient['virtualMachines'],
  'get' | 'createOrUpdate' | 'delete' | 'listAll'
>;

export class AzureCapacity implements CapacityProvider {
  readonly name = 'azure';
  private sshKey: Promise<string> | undefined;

  constructor(
    private readonly vms: VmOperations,
    private readonly settings: AzureCapacitySettings,
  ) {}

  private get lro() {
    const ms = this.settings.lroPollIntervalMs;
    return ms === undefined ? {} : { updateIntervalInMs: ms };
  }

  async launch(req: LaunchRequest): Promise<Instance> {
    if (req.offer.cloud !== 'azure') throw new Error(`azure: cannot launch an offer of ${req.offer.cloud}`);
    const rg = this.settings.resourceGroup;
    const name = vmNameFor(req.nodeId);
    const existing = await this.find(rg, name);
    if (existing) {
      if (existing.tags?.[NODE_TAG] !== req.nodeId) {
        throw new Error(
          `azure: VM ${rg}/${name} exists but is not node ${req.nodeId}'s; refusing to touch it`,
        );
      }
      // A VM left Failed by an earlier allocation failure is replaced, not returned as the node.
      if ((existing.provisioningState ?? '').toLowerCase() !== 'failed')
        return this.toInstance(existing, req.nodeId);
      await this.deleteVm(rg, name);
    }
    const params = buildVm(req, {
      launch: this.settings.launch,
      clusterTag: this.settings.clusterTag,
      sshPublicKey: await this.sshPublicKey(),
    });
    try {
      // If-None-Match: * makes the PUT create-only, so two daemons (or a retry racing the first attempt)
      // cannot overwrite each other's VM; the loser reads the winner's VM back below.
      const vm = await this.vms.createOrUpdate(rg, name, params, { ...this.lro, ifNoneMatch: '*' });
      return this.toInstance(vm, req.nodeId);
    } catch (e) {
      const facts = azureErrorFacts(e);
      if (facts.statusCode === 412 || facts.code === 'PreconditionFailed') {
        const raced = await this.find(rg, name);
        if (raced) return this.toInstance(raced, req.nodeId);
      }
      const err = classifyAzureError(
        e,
        `launching ${req.offer.instanceType} (${req.offer.market}) in ${req.offer.zone ?? req.offer.region}`,
      );
      // An allocation that failed inside the operation leaves a Failed VM resource behind: remove it now so
      // that it neither lingers nor is mistaken for the node by a retry. Best effort; the retry handles it too.
      if (err.kind === 'InsufficientCapacity' || err.kind === 'QuotaExceeded') {
        await this.deleteVm(rg, name).catch(() => undefined);
      }
      throw err;
    }
  }

  async terminate(providerId: string): Promise<void> {
    const { resourceGroup, name } = parseVmId(providerId, this.settings.resourceGroup);
    await this.deleteVm(resourceGroup, name);
  }

  async list(): Promise<Instance[]> {
    const ours: VirtualMachine[] = [];
    try {
      for await (const vm of this.vms.listAll()) {
        if (vm.tags?.[CLUSTER_TAG] === this.settings.clusterTag && vm.tags?.[NODE_TAG]) ours.push(vm);
      }
    } catch (e) {
      throw classifyAzureError(e, 'listing VMs');
    }
    if (ours.length === 0) return [];
    // The model view has no power state; statusOnly=true gives every VM's instance view in one more call.
    const statuses = new Map<string, NonNullable<VirtualMachine['instanceView']>['statuses']>();
    try {
      for await (const vm of this.vms.listAll({ statusOnly: 'true' })) {
        if (vm.id) statuses.set(vm.id.toLowerCase(), vm.instanceView?.statuses);
      }
    } catch (e) {
      throw classifyAzureError(e, 'listing VM statuses');
    }
    const now = this.settings.now();
    const out: Instance[] = [];
    for (const vm of ours) {
      const inst = instanceFromVm(vm, statuses.get((vm.id ?? '').toLowerCase()), now);
      if (inst) out.push(inst);
    }
    return out;
  }

  billableHours(from: Date, to: Date): number {
    return Math.max(0, (to.getTime() - from.getTime()) / 3_600_000);
  }

  private sshPublicKey(): Promise<string> {
    const configured = this.settings.launch.sshPublicKey;
    this.sshKey ??= configured !== undefined ? Promise.resolve(configured) : throwawaySshPublicKey();
    return this.sshKey;
  }

  private toInstance(vm: VirtualMachine, nodeId: string): Instance {
    const inst = instanceFromVm(vm, vm.instanceView?.statuses, this.settings.now());
    if (!inst)
      throw new CloudError(
        'Transient',
        `azure: VM of node ${nodeId} came back without id, location or tags`,
        'azure',
      );
    return inst;
  }

  private async find(rg: string, name: string): Promise<VirtualMachine | null> {
    try {
      return await this.vms.get(rg, name);
    } catch (e) {
      const err = classifyAzureError(e, `reading VM ${rg}/${name}`);
      if (err.kind === 'NotFound') return null;
      throw err;
    }
  }

  /** Deletes a VM and waits for it to be gone; a VM that is already gone is success. */
  private async deleteVm(rg: string, name: string): Promise<void> {
    try {
      await this.vms.delete(rg, name, this.lro);
    } catch (e) {
      const err = classifyAzureError(e, `deleting VM ${rg}/${name}`);
      if (!isCloudError(err, 'NotFound')) throw err;
    }
  }
}

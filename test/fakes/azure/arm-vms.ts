// The virtual machines of the ARM fake: create-or-update with an Azure-AsyncOperation that completes after
// a few polls, get, delete (also asynchronous), list, capacity failures (synchronous 409 or an operation
// that ends Failed and leaves a Failed VM, as Azure does) and spot evictions.
import { randomUUID } from 'node:crypto';
import type { FakeCatalog } from './data.js';

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeVm {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  zones: string[] | undefined;
  tags: Record<string, string>;
  /** The request's properties as sent (customData kept here for tests, never echoed, as in Azure). */
  properties: Record<string, unknown>;
  customData: string | undefined;
  provisioningState: 'Creating' | 'Succeeded' | 'Failed' | 'Deleting';
  power: 'starting' | 'running' | 'stopped' | 'deallocated';
  powerTime: string;
  timeCreated: string;
  puts: number;
}

export interface CapacityFault {
  sku?: string;
  region?: string;
  /** Azure zone ('1'). */
  zone?: string;
  code?: string;
  message?: string;
  /** 'async' (default): the operation ends Failed; 'sync': the PUT answers 409. */
  mode?: 'async' | 'sync';
}

interface Operation {
  status: 'InProgress' | 'Succeeded' | 'Failed';
  pollsLeft: number;
  finish: () => { status: 'Succeeded' | 'Failed'; error?: { code: string; message: string } };
  done?: { status: 'Succeeded' | 'Failed'; error?: { code: string; message: string } };
  startTime: string;
}

const err = (status: number, code: string, message: string): Answer => ({
  status,
  body: { error: { code, message } },
});

export class FakeVmStore {
  readonly vms = new Map<string, FakeVm>();
  readonly evicted: string[] = [];
  capacityFaults: CapacityFault[] = [];
  /** Polls an operation answers InProgress before it completes. */
  opPolls = 1;
  private readonly ops = new Map<string, Operation>();

  constructor(
    private readonly base: () => string,
    private readonly subscriptionId: string,
    private readonly catalog: FakeCatalog,
    private readonly now: () => Date,
  ) {}

  private key(rg: string, name: string): string {
    return `${rg}/${name}`.toLowerCase();
  }

  find(name: string): FakeVm | undefined {
    for (const vm of this.vms.values()) if (vm.name.toLowerCase() === name.toLowerCase()) return vm;
    return undefined;
  }

  json(vm: FakeVm, withInstanceView: boolean): unknown {
    const { osProfile, ...props } = vm.properties as { osProfile?: Record<string, unknown> };
    const { customData: _hidden, ...os } = osProfile ?? {};
    return {
      id: vm.id,
      name: vm.name,
      type: 'Microsoft.Compute/virtualMachines',
      location: vm.location,
      ...(vm.zones ? { zones: vm.zones } : {}),
      tags: vm.tags,
      properties: {
        ...props,
        osProfile: os,
        vmId: vm.id.length.toString(16).padStart(8, '0'),
        provisioningState: vm.provisioningState,
        timeCreated: vm.timeCreated,
        ...(withInstanceView ? { instanceView: this.instanceView(vm) } : {}),
      },
    };
  }

  private instanceView(vm: FakeVm): unknown {
    return {
      statuses: [
        {
          code: `ProvisioningState/${vm.provisioningState.toLowerCase()}`,
          level: 'Info',
          time: vm.powerTime,
        },
        {
          code: `PowerState/${vm.power}`,
          level: 'Info',
          displayStatus: `VM ${vm.power}`,
          time: vm.powerTime,
        },
      ],
    };
  }

  private operation(location: string, finish: Operation['finish']): string {
    const id = randomUUID();
    this.ops.set(id, {
      status: 'InProgress',
      pollsLeft: this.opPolls,
      finish,
      startTime: this.now().toISOString(),
    });
    return `${this.base()}/subscriptions/${this.subscriptionId}/providers/Microsoft.Compute/locations/${location}/operations/${id}?api-version=2026-03-01`;
  }

  pollOperation(id: string): Answer {
    const op = this.ops.get(id);
    if (!op) return err(404, 'NotFound', `operation ${id} not found`);
    if (!op.done && op.pollsLeft > 0) {
      op.pollsLeft--;
      return { status: 200, body: { name: id, status: 'InProgress', startTime: op.startTime } };
    }
    op.done ??= op.finish();
    return {
      status: 200,
      body: { name: id, startTime: op.startTime, endTime: this.now().toISOString(), ...op.done },
    };
  }

  get(rg: string, name: string, expand: boolean): Answer {
    const vm = this.vms.get(this.key(rg, name));
    if (!vm) {
      return err(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${rg}' was not found.`,
      );
    }
    return { status: 200, body: this.json(vm, expand) };
  }

  put(rg: string, name: string, body: Record<string, unknown>, ifNoneMatch: string | undefined): Answer {
    const existing = this.vms.get(this.key(rg, name));
    if (existing && ifNoneMatch === '*') return err(412, 'PreconditionFailed', `VM ${name} already exists.`);
    const problem = validate(body);
    if (problem) return err(400, 'InvalidParameter', problem);
    const props = body.properties as Record<string, unknown>;
    const location = String(body.location).toLowerCase();
    if (existing) {
      existing.tags = (body.tags as Record<string, string>) ?? existing.tags;
      existing.puts++;
      return { status: 200, body: this.json(existing, false) };
    }
    const vmSize = String((props.hardwareProfile as { vmSize?: unknown }).vmSize);
    const zones = body.zones as string[] | undefined;
    const region = this.catalog.get(location);
    if (!region)
      return err(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${location}' is not available.`,
      );
    const offered = region.sizes.find((s) => s.size.name === vmSize);
    const zone = zones?.[0];
    const restricted = offered?.restrictions?.some(
      (r) => r.type === 'Location' || (zone !== undefined && r.zones?.includes(zone)),
    );
    if (!offered || restricted || (zone !== undefined && !offered.zones.includes(zone))) {
      return err(
        409,
        'SkuNotAvailable',
        `The requested VM size ${vmSize} is currently not available in location '${location}'${zone ? ` zones '${zone}'` : ''}.`,
      );
    }
    const fault = this.capacityFaults.find(
      (f) =>
        (!f.sku || f.sku === vmSize) && (!f.region || f.region === location) && (!f.zone || f.zone === zone),
    );
    if (fault?.mode === 'sync') {
      return err(
        409,
        fault.code ?? 'SkuNotAvailable',
        fault.message ?? `Allocation failed for ${vmSize} (fake).`,
      );
    }
    const now = this.now().toISOString();
    const osProfile = props.osProfile as { customData?: string } | undefined;
    const vm: FakeVm = {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
      name,
      resourceGroup: rg,
      location,
      zones,
      tags: (body.tags as Record<string, string>) ?? {},
      properties: props,
      customData: osProfile?.customData,
      provisioningState: 'Creating',
      power: 'starting',
      powerTime: now,
      timeCreated: now,
      puts: 1,
    };
    this.vms.set(this.key(rg, name), vm);
    const asyncOp = this.operation(location, () => {
      if (fault) {
        vm.provisioningState = 'Failed';
        const code = fault.code ?? 'ZonalAllocationFailed';
        const message =
          fault.message ??
          `Allocation failed. We do not have sufficient capacity for the requested VM size ${vmSize} in this zone (fake).`;
        return { status: 'Failed', error: { code, message } };
      }
      vm.provisioningState = 'Succeeded';
      vm.power = 'running';
      vm.powerTime = this.now().toISOString();
      return { status: 'Succeeded' };
    });
    return { status: 201, body: this.json(vm, false), headers: { 'azure-asyncoperation': asyncOp } };
  }

  delete(rg: string, name: string): Answer {
    const key = this.key(rg, name);
    const vm = this.vms.get(key);
    if (!vm) return { status: 204 };
    vm.provisioningState = 'Deleting';
    const asyncOp = this.operation(vm.location, () => {
      this.vms.delete(key);
      return { status: 'Succeeded' };
    });
    return { status: 202, headers: { 'azure-asyncoperation': asyncOp, location: asyncOp } };
  }

  /** Spot eviction: evictionPolicy Delete removes the VM; Deallocate leaves it deallocated. */
  evict(name: string): void {
    const vm = this.find(name);
    if (!vm) throw new Error(`fake: no VM ${name}`);
    this.evicted.push(vm.name);
    if (vm.properties.evictionPolicy === 'Deallocate') {
      vm.power = 'deallocated';
      vm.powerTime = this.now().toISOString();
    } else {
      this.vms.delete(this.key(vm.resourceGroup, vm.name));
    }
  }
}

/** What the real API would refuse with 400, so that the adapter's request shape is checked. */
function validate(body: Record<string, unknown>): string | null {
  const p = body.properties as Record<string, any> | undefined;
  if (typeof body.location !== 'string') return 'location is required';
  if (!p?.hardwareProfile?.vmSize) return 'properties.hardwareProfile.vmSize is required';
  if (!p.storageProfile?.imageReference) return 'properties.storageProfile.imageReference is required';
  if (!p.osProfile?.adminUsername) return 'properties.osProfile.adminUsername is required';
  const keys = p.osProfile?.linuxConfiguration?.ssh?.publicKeys;
  if (!Array.isArray(keys) || keys.length === 0 || !/^ssh-(rsa|ed25519) /.test(keys[0]?.keyData ?? '')) {
    return 'an SSH public key is required when password authentication is disabled';
  }
  const custom = p.osProfile?.customData;
  if (custom !== undefined && Buffer.from(custom, 'base64').toString('base64') !== custom)
    return 'customData must be base64';
  const nics = p.networkProfile?.networkInterfaceConfigurations;
  if (!Array.isArray(nics) || nics.length === 0) return 'properties.networkProfile needs a network interface';
  if (!p.networkProfile.networkApiVersion)
    return 'networkApiVersion is required with networkInterfaceConfigurations';
  if (!nics[0]?.properties?.ipConfigurations?.[0]?.properties?.subnet?.id) return 'the NIC needs a subnet id';
  if (p.priority === 'Spot') {
    if (!p.evictionPolicy) return 'evictionPolicy is required for Spot VMs';
    if (typeof p.billingProfile?.maxPrice !== 'number')
      return 'billingProfile.maxPrice is required for Spot VMs';
  }
  return null;
}

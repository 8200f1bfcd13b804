// The VM gpusched creates for a node, and the Instance it reads back from one. Pure (but for the throwaway
// SSH key, which only uses node:crypto).
import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { VirtualMachine } from '@azure/arm-compute';
import type { Offer } from '../../core/model.js';
import type { Instance, InstanceState, LaunchRequest } from '../ports.js';
import type { AzureLaunchOptions } from './options.js';

export const NODE_TAG = 'gpusched-node';
export const CLUSTER_TAG = 'gpusched-cluster';

/**
 * The VM name of a node: 'gpusched-<nodeId>' when the id is a valid name already, else a cleaned prefix plus
 * a hash of the id, so that distinct ids never share a VM. Deterministic, which is what makes launch
 * idempotent: a retried launch finds (or PUTs) the same resource.
 */
export function vmNameFor(nodeId: string): string {
  const clean = nodeId.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  if (clean === nodeId && clean.length <= 50 && !clean.endsWith('-')) return `gpusched-${clean}`;
  const hash = createHash('sha256').update(nodeId).digest('hex').slice(0, 10);
  const prefix = clean.slice(0, 40).replace(/^-+|-+$/g, '');
  return prefix ? `gpusched-${prefix}-${hash}` : `gpusched-${hash}`;
}

/** Azure zone '1' from an offer's 'eastus-1' (or a bare '1'). */
export function azureZone(offer: Pick<Offer, 'region' | 'zone'>): string | null {
  if (offer.zone === null) return null;
  const prefix = `${offer.region}-`;
  return offer.zone.startsWith(prefix) ? offer.zone.slice(prefix.length) : offer.zone;
}

// Tag names may not contain these characters (ARM rejects the whole request).
const tagName = (k: string): string => k.replace(/[<>%&\\?/]/g, '_').slice(0, 512);

// customData is limited to 64 KiB before encoding.
const MAX_CUSTOM_DATA = 65_535;

export interface VmBuildOptions {
  launch: AzureLaunchOptions;
  clusterTag: string;
  /** The admin user's OpenSSH key (the configured one, or a throwaway one). */
  sshPublicKey: string;
}

export function buildVm(req: LaunchRequest, o: VmBuildOptions): VirtualMachine {
  const name = vmNameFor(req.nodeId);
  const user = o.launch.adminUsername ?? 'gpusched';
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.tags)) tags[tagName(k)] = String(v).slice(0, 256);
  tags[NODE_TAG] = req.nodeId;
  tags[CLUSTER_TAG] = o.clusterTag;
  const bootstrap = req.bootstrap ?? '';
  if (Buffer.byteLength(bootstrap) > MAX_CUSTOM_DATA) {
    throw new Error(`azure: bootstrap script of ${req.nodeId} exceeds Azure's 64 KiB customData limit`);
  }
  const zone = azureZone(req.offer);
  const image = o.launch.imageReference;
  const spot = req.offer.market === 'spot';
  return {
    location: req.offer.region,
    tags,
    ...(zone !== null ? { zones: [zone] } : {}),
    hardwareProfile: { vmSize: req.offer.instanceType },
    storageProfile: {
      imageReference: 'id' in image ? { id: image.id } : { ...image },
      osDisk: {
        createOption: 'FromImage',
        deleteOption: 'Delete',
        managedDisk: { storageAccountType: 'StandardSSD_LRS' },
        ...(o.launch.osDiskSizeGB !== undefined ? { diskSizeGB: o.launch.osDiskSizeGB } : {}),
      },
    },
    osProfile: {
      computerName: name,
      adminUsername: user,
      ...(bootstrap ? { customData: Buffer.from(bootstrap).toString('base64') } : {}),
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: [{ path: `/home/${user}/.ssh/authorized_keys`, keyData: o.sshPublicKey }] },
      },
    },
    // An inline NIC (API 2020-11-01+): created and deleted with the VM, so no network SDK is needed and a
    // terminated node leaves no NIC behind.
    networkProfile: {
      networkApiVersion: '2020-11-01',
      networkInterfaceConfigurations: [
        {
          name: `${name}-nic`,
          primary: true,
          deleteOption: 'Delete',
          ipConfigurations: [{ name: 'ipconfig1', primary: true, subnet: { id: o.launch.subnetId } }],
        },
      ],
    },
    priority: spot ? 'Spot' : 'Regular',
    // Spot: delete on eviction (a deallocated spot VM would keep its disk billing), and never evicted for
    // price (maxPrice -1 = pay up to the on-demand price); gpusched chooses by price itself.
    ...(spot ? { evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } } : {}),
  };
}

/**
 * A fresh RSA key in OpenSSH format whose private half is discarded: nobody can log in with it. Azure
 * requires a key (or a password) for a Linux VM; this satisfies it without opening a door. Generated
 * asynchronously (a few hundred ms of CPU, off the event loop).
 */
export async function throwawaySshPublicKey(): Promise<string> {
  const { publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const field = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  // mpint: big-endian, with a leading zero byte when the top bit is set.
  const mpint = (b64url: string | undefined): Buffer => {
    const b = Buffer.from(b64url ?? '', 'base64url');
    return field((b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return `ssh-rsa ${blob.toString('base64')} gpusched-throwaway`;
}

/** The parts of an ARM VM id; a bare name means the given resource group. */
export function parseVmId(
  providerId: string,
  defaultResourceGroup: string,
): { resourceGroup: string; name: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(
    providerId,
  );
  if (m?.[1] && m[2]) return { resourceGroup: m[1], name: m[2] };
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(providerId))
    return { resourceGroup: defaultResourceGroup, name: providerId };
  throw new Error(`azure: '${providerId}' is neither a VM id nor a VM name`);
}

interface StatusLike {
  code?: string;
  time?: Date;
}

const STOPPED = new Set(['stopping', 'stopped', 'deallocating', 'deallocated']);

/**
 * The Instance a VM stands for, or null when it is not one of ours (no gpusched-node tag). `statuses` is
 * the instance view (PowerState/...), when known. Provisioning Failed or Deleting and a stopped or
 * deallocated VM are 'terminated': none of them runs work. A spot VM found stopped or deallocated was
 * evicted (gpusched never stops VMs), so it carries interruptedAt.
 */
export function instanceFromVm(
  vm: VirtualMachine,
  statuses: readonly StatusLike[] | undefined,
  now: Date,
): Instance | null {
  const nodeId = vm.tags?.[NODE_TAG];
  if (!nodeId || !vm.id || !vm.location) return null;
  const power = statuses?.find((s) => s.code?.startsWith('PowerState/'));
  const powerState = power?.code?.slice('PowerState/'.length).toLowerCase();
  const provisioning = (vm.provisioningState ?? '').toLowerCase();
  let state: InstanceState;
  if (provisioning === 'failed' || provisioning === 'deleting') state = 'terminated';
  else if (powerState !== undefined && STOPPED.has(powerState)) state = 'terminated';
  else if (provisioning === 'succeeded' && (powerState === undefined || powerState === 'running'))
    state = 'running';
  else state = 'pending';
  const spot = (vm.priority ?? '').toLowerCase() === 'spot';
  const evicted = spot && powerState !== undefined && STOPPED.has(powerState);
  const zone = vm.zones?.[0];
  return {
    providerId: vm.id,
    nodeId,
    cloud: 'azure',
    region: vm.location.toLowerCase(),
    zone: zone ? `${vm.location.toLowerCase()}-${zone}` : null,
    instanceType: vm.hardwareProfile?.vmSize ?? 'unknown',
    market: spot ? 'spot' : 'on-demand',
    state,
    launchedAt: (vm.timeCreated ?? now).toISOString(),
    interruptedAt: evicted ? (power?.time ?? now).toISOString() : null,
  };
}

// The instance resource that `launch` inserts. Why each field:
// - labels gpusched-cluster / gpusched-node: `list` filters by the first; `launch` checks both before
//   adopting an instance that already has the node's name. Launch tags become labels too.
// - metadata gpusched-node-id / gpusched-instance-type: label values are lower-cased and cut to 63
//   characters, metadata keeps the node id and the Offer's instanceType exactly.
// - metadata startup-script: the agent bootstrap (GCE runs it as root on every boot).
// - scheduling: spot → provisioningModel SPOT, instanceTerminationAction DELETE (a reclaimed VM leaves
//   nothing to pay for), no automatic restart; GPUs cannot live-migrate, so onHostMaintenance TERMINATE.
import type { LaunchRequest } from '../ports.js';
import { labelKey, labelValue } from './naming.js';
import type { ResolvedGcpOptions } from './options.js';
import type { GceInstance } from './sdk.js';
import { launchShape } from './shapes.js';

export const CLUSTER_LABEL = 'gpusched-cluster';
export const NODE_LABEL = 'gpusched-node';
export const NODE_ID_KEY = 'gpusched-node-id';
export const TYPE_KEY = 'gpusched-instance-type';

export function buildInstance(
  opts: Pick<ResolvedGcpOptions, 'launch' | 'clusterLabel'>,
  req: LaunchRequest,
  name: string,
): GceInstance {
  const { offer } = req;
  const zone = offer.zone ?? '';
  if (!opts.launch.image) throw new Error('gcp launch.image is not configured: cannot launch');
  const shape = launchShape(offer.instanceType);
  if (!shape) throw new Error(`gcp has no machine shape for instance type '${offer.instanceType}'`);
  const spot = offer.market === 'spot';
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.tags)) labels[labelKey(k)] = labelValue(v);
  labels[CLUSTER_LABEL] = labelValue(opts.clusterLabel);
  labels[NODE_LABEL] = labelValue(req.nodeId);
  const items = [
    { key: NODE_ID_KEY, value: req.nodeId },
    { key: TYPE_KEY, value: offer.instanceType },
    ...(req.bootstrap === undefined ? [] : [{ key: 'startup-script', value: req.bootstrap }]),
  ];
  const { launch } = opts;
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${shape.machineType}`,
    labels,
    metadata: { items },
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: {
          sourceImage: launch.image,
          diskSizeGb: String(launch.diskSizeGb),
          diskType: `zones/${zone}/diskTypes/pd-balanced`,
        },
      },
    ],
    networkInterfaces: [
      {
        ...(launch.network ? { network: launch.network } : {}),
        ...(launch.subnetwork ? { subnetwork: launch.subnetwork } : {}),
        accessConfigs: launch.externalIp ? [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] : [],
      },
    ],
    ...(shape.attach
      ? {
          guestAccelerators: [
            {
              acceleratorType: `zones/${zone}/acceleratorTypes/${shape.attach.acceleratorType}`,
              acceleratorCount: shape.attach.count,
            },
          ],
        }
      : {}),
    scheduling: spot
      ? {
          provisioningModel: 'SPOT',
          instanceTerminationAction: 'DELETE',
          onHostMaintenance: 'TERMINATE',
          automaticRestart: false,
        }
      : { provisioningModel: 'STANDARD', onHostMaintenance: 'TERMINATE', automaticRestart: true },
    ...(launch.serviceAccount
      ? {
          serviceAccounts: [
            { email: launch.serviceAccount, scopes: ['https://www.googleapis.com/auth/cloud-platform'] },
          ],
        }
      : {}),
  };
}

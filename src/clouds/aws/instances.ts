// EC2 instances ↔ gpusched's Instance, and the RunInstances request for a LaunchRequest. Pure: SDK
// types are imported as types only.
import { createHash } from 'node:crypto';
import type { _InstanceType, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { CloudError } from '../errors.js';
import type { Instance, InstanceState, LaunchRequest } from '../ports.js';
import { type AwsCallSite, malformed } from './errors.js';
import { imageIdFor, type ResolvedAwsOptions, securityGroupsFor, subnetFor, usesSubnets } from './options.js';

/** Tag carrying the daemon's node id. */
export const NODE_TAG = 'gpusched-node';
/** Tag carrying the daemon's cluster name; `list` filters on it. */
export const CLUSTER_TAG = 'gpusched-cluster';
/** StateReason code of an instance EC2 reclaimed from the spot market. */
export const SPOT_INTERRUPTION = 'Server.SpotInstanceTermination';
/** EC2's limit on user data, before base64. */
const USER_DATA_MAX_BYTES = 16 * 1024;

/**
 * providerId = `<region>/<instance id>`, e.g. `us-east-1/i-0123456789abcdef0`. Instance ids are only
 * unique, and only addressable, within their region; terminate needs to know which endpoint to ask.
 */
export function providerIdOf(region: string, instanceId: string): string {
  return `${region}/${instanceId}`;
}

export function parseProviderId(providerId: string): { region: string; instanceId: string } {
  const m = /^([a-z0-9-]+)\/(i-[0-9a-zA-Z]+)$/.exec(providerId);
  if (!m?.[1] || !m[2]) throw new Error(`not an AWS provider id (region/i-...): ${providerId}`);
  return { region: m[1], instanceId: m[2] };
}

/** EC2's ClientToken takes at most 64 ASCII characters; longer node ids are hashed (still stable). */
export function clientTokenFor(nodeId: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(nodeId) ? nodeId : createHash('sha256').update(nodeId).digest('hex');
}

/**
 * EC2 states → ours. We never stop instances, so stopping/stopped (a spot 'stop' interruption, or a
 * human) count as gone, like shutting-down and terminated.
 */
export function stateOf(name: string | undefined): InstanceState | null {
  switch (name) {
    case 'pending':
      return 'pending';
    case 'running':
      return 'running';
    case 'shutting-down':
    case 'terminated':
    case 'stopping':
    case 'stopped':
      return 'terminated';
    default:
      return null;
  }
}

/** The time in an EC2 StateTransitionReason such as 'User initiated (2026-11-28 12:00:00 GMT)'. */
export function reasonTime(reason: string | undefined): string | null {
  const m = /\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) GMT\)/.exec(reason ?? '');
  return m ? `${m[1]}T${m[2]}.000Z` : null;
}

export interface Ec2InstanceRecord {
  InstanceId?: string | undefined;
  InstanceType?: string | undefined;
  Placement?: { AvailabilityZone?: string | undefined } | undefined;
  State?: { Name?: string | undefined } | undefined;
  StateReason?: { Code?: string | undefined } | undefined;
  StateTransitionReason?: string | undefined;
  InstanceLifecycle?: string | undefined;
  LaunchTime?: Date | string | undefined;
  Tags?: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined;
}

export function isSpotInterrupted(r: Ec2InstanceRecord): boolean {
  return r.StateReason?.Code === SPOT_INTERRUPTION;
}

/**
 * An EC2 instance as an Instance; null when it is not one of ours (no node tag). `interruptedAt` says
 * when a reclaimed spot instance was reclaimed (EC2 does not always say; the caller decides).
 */
export function toInstance(
  region: string,
  r: Ec2InstanceRecord,
  at: AwsCallSite,
  opts: { nodeId?: string; interruptedAt: string | null; now: Date },
): Instance | null {
  const nodeId = r.Tags?.find((t) => t.Key === NODE_TAG)?.Value ?? opts.nodeId;
  if (!nodeId) return null;
  const state = stateOf(r.State?.Name);
  if (!r.InstanceId || !r.InstanceType || !state) {
    throw malformed(
      at,
      `instance ${r.InstanceId ?? '?'} lacks an id, type or known state (${r.State?.Name})`,
    );
  }
  return {
    providerId: providerIdOf(region, r.InstanceId),
    nodeId,
    cloud: 'aws',
    region,
    zone: r.Placement?.AvailabilityZone ?? null,
    instanceType: r.InstanceType,
    market: r.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    state,
    launchedAt: r.LaunchTime ? new Date(r.LaunchTime).toISOString() : opts.now.toISOString(),
    interruptedAt: opts.interruptedAt,
  };
}

/** The RunInstances request for one node: one instance, idempotent on the node id, tagged. */
export function runInstancesInput(req: LaunchRequest, opts: ResolvedAwsOptions): RunInstancesCommandInput {
  const { offer } = req;
  const region = offer.region;
  if (offer.cloud !== 'aws') throw new Error(`AWS cannot launch a ${offer.cloud} offer`);
  if (!opts.regions.includes(region)) {
    // `list` only looks in configured regions; an instance elsewhere would leak.
    throw new Error(`AWS region ${region} is not configured (regions: ${opts.regions.join(', ')})`);
  }
  if (!offer.zone) throw new Error(`AWS offer ${offer.instanceType} in ${region} has no zone`);
  const imageId = imageIdFor(opts.launch, region);
  if (!imageId) throw new Error(`no AMI configured for AWS region ${region} (launch.imageId)`);
  const subnetId = subnetFor(opts.launch, offer.zone, offer.zoneId);
  if (usesSubnets(opts.launch) && !subnetId) {
    throw new CloudError('InsufficientCapacity', `no subnet configured for AWS zone ${offer.zone}`, 'aws');
  }
  const userData = req.bootstrap === undefined ? undefined : Buffer.from(req.bootstrap, 'utf8');
  if (userData && userData.length > USER_DATA_MAX_BYTES) {
    throw new Error(
      `bootstrap script is ${userData.length} bytes; EC2 user data takes at most ${USER_DATA_MAX_BYTES}`,
    );
  }
  // Ours last, so that request tags cannot hide an instance from `list` or rename its node.
  const tags: Tag[] = Object.entries({
    ...req.tags,
    [NODE_TAG]: req.nodeId,
    [CLUSTER_TAG]: opts.clusterTag,
  }).map(([Key, Value]) => ({ Key, Value }));
  const groups = securityGroupsFor(opts.launch, region);
  return {
    MinCount: 1,
    MaxCount: 1,
    ImageId: imageId,
    // The SDK's enum lags EC2's list of types; the wire takes any name.
    InstanceType: offer.instanceType as _InstanceType,
    Placement: { AvailabilityZone: offer.zone },
    ClientToken: clientTokenFor(req.nodeId),
    // Volumes too, so that their cost is attributed like the instance's.
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
    ...(offer.market === 'spot'
      ? {
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
          },
        }
      : {}),
    ...(userData ? { UserData: userData.toString('base64') } : {}),
    ...(subnetId ? { SubnetId: subnetId } : {}),
    ...(groups ? { SecurityGroupIds: groups } : {}),
    ...(opts.launch.keyName ? { KeyName: opts.launch.keyName } : {}),
    ...(opts.launch.instanceProfileArn
      ? { IamInstanceProfile: { Arn: opts.launch.instanceProfileArn } }
      : {}),
  };
}

// The fake's instances: RunInstances (ClientToken idempotency, tags, spot options, pool faults),
// TerminateInstances and DescribeInstances (tag filters, pagination). Instances move on one step per
// DescribeInstances call (pending → running, shutting-down → terminated), as EC2 moves on in time.
import type { Faults } from './faults.js';
import { Ec2Fault, ec2Response, page, type QueryParams, type XmlValue } from './wire.js';
import type { FakeRegion, World } from './world.js';

export interface FakeInstance {
  instanceId: string;
  reservationId: string;
  region: string;
  zone: string;
  instanceType: string;
  imageId: string;
  market: 'spot' | 'on-demand';
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  clientToken: string | undefined;
  tags: Record<string, string>;
  launchTime: Date;
  userData: string | undefined;
  subnetId: string | undefined;
  securityGroupIds: string[];
  keyName: string | undefined;
  instanceProfileArn: string | undefined;
  stateReason: { code: string; message: string } | undefined;
  transitionReason: string;
  /** Every TagSpecification of the request, by resource type. */
  tagSpecifications: { resourceType: string; tags: Record<string, string> }[];
}

const STATE_CODE: Record<FakeInstance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

function gmt(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

export class InstanceStore {
  readonly all: FakeInstance[] = [];
  private seq = 0;

  constructor(
    private readonly world: World,
    private readonly faults: Faults,
  ) {}

  find(instanceId: string): FakeInstance | undefined {
    return this.all.find((i) => i.instanceId === instanceId);
  }

  /** EC2 reclaims a spot instance: shutting down, with the spot StateReason; terminated on the next describe. */
  interruptSpot(instanceId: string, now: Date): FakeInstance {
    const i = this.find(instanceId);
    if (i?.market !== 'spot') throw new Error(`no spot instance ${instanceId}`);
    i.state = 'shutting-down';
    i.stateReason = {
      code: 'Server.SpotInstanceTermination',
      message: 'Server.SpotInstanceTermination: Spot instance termination',
    };
    i.transitionReason = `Service initiated (${gmt(now)})`;
    return i;
  }

  run(region: FakeRegion, params: QueryParams, now: Date): string {
    const token = params.get('ClientToken');
    const instanceType = params.get('InstanceType') ?? 'm1.small';
    const zone = params.get('Placement.AvailabilityZone') ?? region.zones[0]!.name;
    const market = params.get('InstanceMarketOptions.MarketType') === 'spot' ? 'spot' : 'on-demand';
    if (params.get('MinCount') !== '1' || params.get('MaxCount') !== '1') {
      throw new Ec2Fault('InvalidParameterValue', 'the fake launches exactly one instance per call');
    }
    if (token) {
      const prior = this.all.find((i) => i.region === region.name && i.clientToken === token);
      if (prior) {
        if (prior.instanceType !== instanceType || prior.zone !== zone) {
          throw new Ec2Fault(
            'IdempotentParameterMismatch',
            `client token ${token} was used with other parameters`,
          );
        }
        return this.reservationXml('RunInstances', [prior]);
      }
    }
    if (!params.get('ImageId'))
      throw new Ec2Fault('MissingParameter', 'The request must contain the parameter ImageId');
    if (!region.zones.some((z) => z.name === zone)) {
      throw new Ec2Fault('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
    }
    if (!this.world.offered(region.name, zone, instanceType)) {
      throw new Ec2Fault(
        'Unsupported',
        `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${zone}).`,
      );
    }
    const fault = this.faults.capacityFor(region.name, zone, instanceType, market);
    if (fault) {
      throw new Ec2Fault(
        fault.code,
        `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}).`,
        fault.status,
      );
    }
    this.seq++;
    const specs = params.tagSpecifications();
    const inst: FakeInstance = {
      instanceId: `i-${this.seq.toString(16).padStart(17, '0')}`,
      reservationId: `r-${this.seq.toString(16).padStart(17, '0')}`,
      region: region.name,
      zone,
      instanceType,
      imageId: params.get('ImageId')!,
      market,
      state: 'pending',
      clientToken: token,
      tags: specs.find((s) => s.resourceType === 'instance')?.tags ?? {},
      launchTime: now,
      userData: params.get('UserData'),
      subnetId: params.get('SubnetId'),
      securityGroupIds: params.list('SecurityGroupId'),
      keyName: params.get('KeyName'),
      instanceProfileArn: params.get('IamInstanceProfile.Arn'),
      stateReason: undefined,
      transitionReason: '',
      tagSpecifications: specs,
    };
    this.all.push(inst);
    return this.reservationXml('RunInstances', [inst]);
  }

  terminate(region: FakeRegion, params: QueryParams, now: Date): string {
    const ids = params.list('InstanceId');
    const found = ids.map((id) => this.all.find((i) => i.instanceId === id && i.region === region.name));
    const missing = ids.filter((_, k) => !found[k]);
    if (missing.length > 0) {
      throw new Ec2Fault(
        'InvalidInstanceID.NotFound',
        `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    const changes = found.map((i) => {
      const inst = i!;
      const previous = inst.state;
      if (inst.state === 'pending' || inst.state === 'running') {
        inst.state = 'shutting-down';
        inst.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        inst.transitionReason = `User initiated (${gmt(now)})`;
      }
      return {
        instanceId: inst.instanceId,
        currentState: { code: STATE_CODE[inst.state], name: inst.state },
        previousState: { code: STATE_CODE[previous], name: previous },
      };
    });
    return ec2Response('TerminateInstances', { instancesSet: changes });
  }

  describe(region: FakeRegion, params: QueryParams, pageSize: number): string {
    const filters = params.filters();
    const ids = params.list('InstanceId');
    for (const i of this.all) {
      if (i.region !== region.name) continue;
      if (i.state === 'pending') i.state = 'running';
      else if (i.state === 'shutting-down') i.state = 'terminated';
    }
    const matching = this.all.filter(
      (i) =>
        i.region === region.name &&
        (ids.length === 0 || ids.includes(i.instanceId)) &&
        filters.every((f) => this.matches(i, f.name, f.values)),
    );
    const max = params.int('MaxResults') ?? pageSize;
    const p = page(matching, params.get('NextToken'), Math.min(max, pageSize));
    return ec2Response('DescribeInstances', {
      reservationSet: p.items.map((i) => this.reservation([i])),
      nextToken: p.next,
    });
  }

  private matches(i: FakeInstance, name: string, values: string[]): boolean {
    if (name.startsWith('tag:')) {
      const v = i.tags[name.slice(4)];
      return v !== undefined && values.includes(v);
    }
    if (name === 'tag-key') return values.some((k) => k in i.tags);
    if (name === 'instance-state-name') return values.includes(i.state);
    if (name === 'availability-zone') return values.includes(i.zone);
    if (name === 'instance-id') return values.includes(i.instanceId);
    throw new Ec2Fault('InvalidParameterValue', `The filter '${name}' is invalid`);
  }

  private reservationXml(action: string, instances: FakeInstance[]): string {
    const r = this.reservation(instances) as Record<string, XmlValue>;
    return ec2Response(action, r);
  }

  private reservation(instances: FakeInstance[]): XmlValue {
    return {
      reservationId: instances[0]!.reservationId,
      ownerId: '123456789012',
      groupSet: [],
      instancesSet: instances.map((i) => this.instanceXml(i)),
    };
  }

  private instanceXml(i: FakeInstance): XmlValue {
    return {
      instanceId: i.instanceId,
      imageId: i.imageId,
      instanceState: { code: STATE_CODE[i.state], name: i.state },
      reason: i.transitionReason,
      keyName: i.keyName,
      instanceType: i.instanceType,
      launchTime: i.launchTime,
      placement: { availabilityZone: i.zone, tenancy: 'default' },
      subnetId: i.subnetId,
      clientToken: i.clientToken,
      instanceLifecycle: i.market === 'spot' ? 'spot' : undefined,
      spotInstanceRequestId: i.market === 'spot' ? `sir-${i.instanceId.slice(2, 10)}` : undefined,
      stateReason: i.stateReason,
      iamInstanceProfile: i.instanceProfileArn ? { arn: i.instanceProfileArn, id: 'AIPAFAKE' } : undefined,
      tagSet: Object.entries(i.tags).map(([key, value]) => ({ key, value })),
      groupSet: i.securityGroupIds.map((groupId) => ({ groupId })),
    };
  }
}

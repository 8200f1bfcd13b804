// EC2 instances ↔ Instance, the RunInstances request, provider ids and the options check. No SDK.
import { describe, expect, it } from 'vitest';
import {
  clientTokenFor,
  parseProviderId,
  providerIdOf,
  reasonTime,
  runInstancesInput,
  stateOf,
  toInstance,
} from '../../src/clouds/aws/instances.js';
import { type AwsCloudOptions, resolveAwsOptions } from '../../src/clouds/aws/options.js';
import { isCloudError } from '../../src/clouds/errors.js';
import type { LaunchRequest } from '../../src/clouds/ports.js';
import { offer, T0 } from '../helpers/builders.js';

const at = { api: 'DescribeInstances', region: 'us-east-1' };

function options(over: Partial<AwsCloudOptions> = {}) {
  return resolveAwsOptions({
    regions: ['us-east-1', 'us-west-2'],
    launch: { imageId: 'ami-1' },
    clusterTag: 'prod',
    now: () => T0,
    ...over,
  });
}

function request(over: Partial<LaunchRequest> = {}): LaunchRequest {
  return { nodeId: 'node-1', offer: offer({ source: 'live', zoneId: 'use1-az4' }), tags: {}, ...over };
}

describe('provider ids', () => {
  it('carry the region, because instance ids are regional', () => {
    const id = providerIdOf('eu-west-1', 'i-0123456789abcdef0');
    expect(id).toBe('eu-west-1/i-0123456789abcdef0');
    expect(parseProviderId(id)).toEqual({ region: 'eu-west-1', instanceId: 'i-0123456789abcdef0' });
  });

  it.each(['i-0123', 'us-east-1/', 'sim-aws-1234', 'us-east-1/vol-1'])('rejects %s', (id) => {
    expect(() => parseProviderId(id)).toThrow(/not an AWS provider id/);
  });
});

describe('instance states', () => {
  it.each([
    ['pending', 'pending'],
    ['running', 'running'],
    ['shutting-down', 'terminated'],
    ['terminated', 'terminated'],
    ['stopping', 'terminated'],
    ['stopped', 'terminated'],
    ['rebooting?', null],
  ])('EC2 %s → %s', (ec2, ours) => {
    expect(stateOf(ec2)).toBe(ours);
  });

  it('reads the time of a state transition reason', () => {
    expect(reasonTime('User initiated (2026-11-28 12:00:00 GMT)')).toBe('2026-11-28T12:00:00.000Z');
    expect(reasonTime('')).toBeNull();
  });
});

describe('toInstance', () => {
  const ec2 = {
    InstanceId: 'i-0abc',
    InstanceType: 'p4d.24xlarge',
    Placement: { AvailabilityZone: 'us-east-1a' },
    State: { Name: 'running' },
    InstanceLifecycle: 'spot',
    LaunchTime: new Date('2026-11-28T11:00:00Z'),
    Tags: [
      { Key: 'gpusched-node', Value: 'node-7' },
      { Key: 'gpusched-cluster', Value: 'prod' },
    ],
  };

  it('maps an EC2 instance to ours', () => {
    expect(toInstance('us-east-1', ec2, at, { interruptedAt: null, now: T0 })).toEqual({
      providerId: 'us-east-1/i-0abc',
      nodeId: 'node-7',
      cloud: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p4d.24xlarge',
      market: 'spot',
      state: 'running',
      launchedAt: '2026-11-28T11:00:00.000Z',
      interruptedAt: null,
    });
  });

  it('skips an instance without a node tag, and calls one without a state malformed', () => {
    expect(toInstance('us-east-1', { ...ec2, Tags: [] }, at, { interruptedAt: null, now: T0 })).toBeNull();
    expect(() =>
      toInstance('us-east-1', { ...ec2, State: {} }, at, { interruptedAt: null, now: T0 }),
    ).toThrow(/malformed answer: instance i-0abc/);
  });
});

describe('runInstancesInput', () => {
  it('asks for one spot instance, one-time, terminated on interruption, idempotent on the node id', () => {
    const input = runInstancesInput(request(), options());
    expect(input).toMatchObject({
      MinCount: 1,
      MaxCount: 1,
      ImageId: 'ami-1',
      InstanceType: 'p4d.24xlarge',
      Placement: { AvailabilityZone: 'us-east-1a' },
      ClientToken: 'node-1',
      InstanceMarketOptions: {
        MarketType: 'spot',
        SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
      },
    });
    expect(input.UserData).toBeUndefined();
    expect(input.SubnetId).toBeUndefined();
  });

  it('asks for on-demand without market options', () => {
    const input = runInstancesInput(request({ offer: offer({ market: 'on-demand' }) }), options());
    expect(input.InstanceMarketOptions).toBeUndefined();
  });

  it('tags instance and volumes; our tags win over the request’s', () => {
    const input = runInstancesInput(
      request({ tags: { team: 'research', 'gpusched-node': 'forged', 'gpusched-cluster': 'other' } }),
      options(),
    );
    const tags = Object.fromEntries((input.TagSpecifications?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({ team: 'research', 'gpusched-node': 'node-1', 'gpusched-cluster': 'prod' });
    expect(input.TagSpecifications?.map((s) => s.ResourceType)).toEqual(['instance', 'volume']);
  });

  it('encodes the bootstrap script as base64 user data, and refuses one over 16 KiB', () => {
    const input = runInstancesInput(request({ bootstrap: '#!/bin/sh\nexec gpusched agent\n' }), options());
    expect(Buffer.from(input.UserData ?? '', 'base64').toString()).toBe('#!/bin/sh\nexec gpusched agent\n');
    expect(() => runInstancesInput(request({ bootstrap: 'x'.repeat(16 * 1024 + 1) }), options())).toThrow(
      /16384/,
    );
  });

  it('uses per-region AMIs and security groups, and the subnet of the zone (by name or id)', () => {
    const opts = options({
      launch: {
        imageId: { 'us-east-1': 'ami-east', 'us-west-2': 'ami-west' },
        securityGroupIds: { 'us-east-1': ['sg-east'] },
        subnetIds: { 'use1-az4': 'subnet-by-id', 'us-east-1b': 'subnet-by-name' },
        keyName: 'ops',
        instanceProfileArn: 'arn:aws:iam::1:instance-profile/node',
      },
    });
    const a = runInstancesInput(request(), opts);
    expect(a).toMatchObject({
      ImageId: 'ami-east',
      SecurityGroupIds: ['sg-east'],
      SubnetId: 'subnet-by-id',
      KeyName: 'ops',
      IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/node' },
    });
    const b = runInstancesInput(request({ offer: offer({ zone: 'us-east-1b' }) }), opts);
    expect(b.SubnetId).toBe('subnet-by-name');
    let err: unknown;
    try {
      runInstancesInput(request({ offer: offer({ zone: 'us-east-1c' }) }), opts);
    } catch (e) {
      err = e;
    }
    expect(isCloudError(err, 'InsufficientCapacity')).toBe(true);
  });

  it('refuses offers of other clouds and of regions it does not manage', () => {
    expect(() => runInstancesInput(request({ offer: offer({ cloud: 'gcp' }) }), options())).toThrow(
      /gcp offer/,
    );
    expect(() => runInstancesInput(request({ offer: offer({ region: 'ap-south-1' }) }), options())).toThrow(
      /ap-south-1 is not configured/,
    );
  });

  it('hashes node ids EC2 would not take as a ClientToken', () => {
    expect(clientTokenFor('node-1')).toBe('node-1');
    const long = clientTokenFor('n'.repeat(65));
    expect(long).toMatch(/^[0-9a-f]{64}$/);
    expect(clientTokenFor('n'.repeat(65))).toBe(long);
  });
});

describe('resolveAwsOptions', () => {
  it('fills in the defaults', () => {
    expect(options()).toMatchObject({
      onDemandRefreshHours: 24,
      availabilityRefreshMinutes: 10,
      requestTimeoutMs: 30_000,
    });
  });

  it('names every problem at once', () => {
    expect(() =>
      resolveAwsOptions({
        regions: [],
        launch: { imageId: { 'us-east-1': 'ami-1' } },
        clusterTag: '',
        now: () => T0,
      }),
    ).toThrow('invalid AWS options: regions is empty; clusterTag is empty');
  });

  it('needs no AMI to build (the market works without one); a launch then says what is missing', () => {
    const opts = options({ launch: { imageId: '' } });
    expect(() => runInstancesInput(request(), opts)).toThrow(
      'no AMI configured for AWS region us-east-1 (launch.imageId)',
    );
    const perRegion = options({ launch: { imageId: { 'us-west-2': 'ami-w' } } });
    expect(() => runInstancesInput(request(), perRegion)).toThrow(
      /no AMI configured for AWS region us-east-1/,
    );
  });

  it('treats an empty subnet map as "use the default VPC"', () => {
    const input = runInstancesInput(
      request(),
      options({ launch: { imageId: 'ami-1', subnetIds: {}, securityGroupIds: [] } }),
    );
    expect(input.SubnetId).toBeUndefined();
    expect(input.SecurityGroupIds).toBeUndefined();
  });
});

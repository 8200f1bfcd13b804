// The AWS capacity provider with the real SDK against the wire-level fake: the shared conformance
// suite, then what is particular to EC2 (ClientToken, tags, user data, regions in providerId, spot
// interruptions, error classes).
import { afterEach, describe, expect, it } from 'vitest';
import { type AwsCloud, createAwsCloud } from '../../src/clouds/aws/index.js';
import type { AwsCloudOptions } from '../../src/clouds/aws/options.js';
import { type CloudError, isCloudError } from '../../src/clouds/errors.js';
import type { Offer } from '../../src/core/model.js';
import { capacityProviderConformance } from '../conformance/capacity-provider.js';
import { awsOptions, T0 } from '../fakes/aws/harness.js';
import { type AwsFake, startAwsFake } from '../fakes/aws/index.js';
import { offer as buildOffer } from '../helpers/builders.js';

function awsOffer(over: Partial<Offer> = {}): Offer {
  return buildOffer({
    cloud: 'aws',
    region: 'us-west-2',
    zone: 'us-west-2a',
    zoneId: 'usw2-az1',
    instanceType: 'g5.xlarge',
    gpu: { model: 'A10G', count: 1, memoryGiB: 24 },
    vcpus: 4,
    memoryGiB: 16,
    market: 'spot',
    pricePerHour: 0.41,
    source: 'live',
    ...over,
  });
}

capacityProviderConformance('aws (against the EC2 fake)', async () => {
  const fake = await startAwsFake({ now: () => T0 });
  const cloud = await createAwsCloud(awsOptions(fake, { maxAttempts: 1 }));
  const offer = awsOffer();
  return {
    provider: cloud.capacity,
    offer,
    failLaunchesForCapacity: () => {
      fake.faults.capacity({ region: offer.region, zone: offer.zone!, instanceType: offer.instanceType });
    },
    cleanup: async () => {
      cloud.close();
      await fake.close();
    },
  };
});

let fake: AwsFake | undefined;
let cloud: AwsCloud | undefined;
afterEach(async () => {
  cloud?.close();
  await fake?.close();
  fake = undefined;
  cloud = undefined;
});

async function setup(over: Partial<AwsCloudOptions> = {}) {
  fake = await startAwsFake({ now: () => T0 });
  cloud = await createAwsCloud(awsOptions(fake, { maxAttempts: 1, ...over }));
  return { fake, provider: cloud.capacity };
}

describe('AWS capacity: launching', () => {
  it('sends one idempotent, tagged RunInstances with spot options and base64 user data', async () => {
    const { fake, provider } = await setup({
      launch: {
        imageId: { 'us-west-2': 'ami-0west', 'us-east-1': 'ami-0east', 'eu-west-1': 'ami-0eu' },
        subnetIds: { 'usw2-az1': 'subnet-0a' },
        securityGroupIds: { 'us-west-2': ['sg-0a', 'sg-0b'] },
        keyName: 'ops',
        instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/gpusched-node',
      },
    });
    const inst = await provider.launch({
      nodeId: 'node-abc12345',
      offer: awsOffer(),
      tags: { team: 'research', 'gpusched-cluster': 'not-this-one' },
      bootstrap: '#!/bin/sh\necho "start the agent"\n',
    });
    expect(inst).toMatchObject({
      nodeId: 'node-abc12345',
      cloud: 'aws',
      region: 'us-west-2',
      zone: 'us-west-2a',
      instanceType: 'g5.xlarge',
      market: 'spot',
      state: 'pending',
      launchedAt: T0.toISOString(),
      interruptedAt: null,
    });
    expect(inst.providerId).toMatch(/^us-west-2\/i-[0-9a-f]{17}$/);
    const [ec2] = fake.instances.all;
    expect(ec2).toMatchObject({
      clientToken: 'node-abc12345',
      imageId: 'ami-0west',
      subnetId: 'subnet-0a',
      securityGroupIds: ['sg-0a', 'sg-0b'],
      keyName: 'ops',
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/gpusched-node',
      tags: { team: 'research', 'gpusched-node': 'node-abc12345', 'gpusched-cluster': 'test-cluster' },
    });
    expect(ec2?.tagSpecifications.map((s) => s.resourceType)).toEqual(['instance', 'volume']);
    expect(Buffer.from(ec2?.userData ?? '', 'base64').toString('utf8')).toBe(
      '#!/bin/sh\necho "start the agent"\n',
    );
    const call = fake.calls.find((c) => c.action === 'RunInstances');
    expect(call?.params).toMatchObject({
      MinCount: '1',
      MaxCount: '1',
      'InstanceMarketOptions.MarketType': 'spot',
      'InstanceMarketOptions.SpotOptions.SpotInstanceType': 'one-time',
      'InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior': 'terminate',
      'Placement.AvailabilityZone': 'us-west-2a',
    });
  });

  it('launches on-demand without market options', async () => {
    const { fake, provider } = await setup();
    const inst = await provider.launch({
      nodeId: 'node-od',
      offer: awsOffer({ market: 'on-demand' }),
      tags: {},
    });
    expect(inst.market).toBe('on-demand');
    const call = fake.calls.find((c) => c.action === 'RunInstances');
    expect(Object.keys(call?.params ?? {}).some((k) => k.startsWith('InstanceMarketOptions'))).toBe(false);
  });

  it('returns the first instance when a launch is retried with the same node id (ClientToken)', async () => {
    const { fake, provider } = await setup();
    const a = await provider.launch({ nodeId: 'node-retry', offer: awsOffer(), tags: {} });
    const b = await provider.launch({ nodeId: 'node-retry', offer: awsOffer(), tags: {} });
    expect(b.providerId).toBe(a.providerId);
    expect(fake.instances.all).toHaveLength(1);
    expect(fake.callCount('RunInstances')).toBe(2);
  });

  it('classifies EC2 refusals: capacity, AZ not supported, quota, auth', async () => {
    const { fake, provider } = await setup();
    const launch = (nodeId: string, offer = awsOffer()) =>
      provider.launch({ nodeId, offer, tags: {} }).then(
        () => {
          throw new Error(`launch ${nodeId} should have failed`);
        },
        (e: unknown) => e as CloudError,
      );

    fake.faults.capacity({ zone: 'us-west-2a', instanceType: 'g5.xlarge', market: 'spot' });
    const ice = await launch('n1');
    expect(ice.kind).toBe('InsufficientCapacity');
    expect((ice.cause as Error).name).toBe('InsufficientInstanceCapacity');
    expect(ice.message).toContain('RunInstances in us-west-2');
    fake.faults.clear();

    const notHere = fake.world.regions[1]!.zones.find(
      (z) => !fake.world.offered('us-west-2', z.name, 'p5.48xlarge'),
    );
    expect(notHere).toBeDefined();
    const unsupported = await launch('n2', awsOffer({ zone: notHere!.name, instanceType: 'p5.48xlarge' }));
    expect(unsupported.kind).toBe('InsufficientCapacity');
    expect((unsupported.cause as Error).name).toBe('Unsupported');

    fake.faults.error('VcpuLimitExceeded', 1, { action: 'RunInstances' });
    expect((await launch('n3')).kind).toBe('QuotaExceeded');
    fake.faults.error('UnauthorizedOperation', 1, { action: 'RunInstances' });
    expect((await launch('n4')).kind).toBe('AuthFailed');
    expect(fake.instances.all).toHaveLength(0);
  });

  it('refuses an offer in a region it does not manage (it could never list it)', async () => {
    const { provider } = await setup({ regions: ['us-west-2'] });
    const err = await provider
      .launch({ nodeId: 'n', offer: awsOffer({ region: 'eu-west-1', zone: 'eu-west-1a' }), tags: {} })
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('not configured');
  });
});

describe('AWS capacity: terminating and listing', () => {
  it('terminates, and terminating again or an unknown instance succeeds', async () => {
    const { fake, provider } = await setup();
    const inst = await provider.launch({ nodeId: 'node-t', offer: awsOffer(), tags: {} });
    await provider.terminate(inst.providerId);
    await provider.terminate(inst.providerId);
    await provider.terminate('us-west-2/i-0000000000000dead');
    expect(fake.instances.all[0]?.state).toBe('shutting-down');
    const listed = await provider.list();
    expect(listed.find((i) => i.providerId === inst.providerId)?.state).toBe('terminated');
    await expect(provider.terminate('i-0123')).rejects.toThrow(/region\/i-/);
  });

  it('lists only this cluster’s instances, across regions, with their states', async () => {
    const { fake, provider } = await setup();
    const other = await createAwsCloud(awsOptions(fake, { clusterTag: 'someone-else' }));
    await other.capacity.launch({ nodeId: 'theirs', offer: awsOffer(), tags: {} });
    other.close();
    const west = await provider.launch({ nodeId: 'mine-west', offer: awsOffer(), tags: {} });
    const east = await provider.launch({
      nodeId: 'mine-east',
      offer: awsOffer({ region: 'us-east-1', zone: 'us-east-1a', market: 'on-demand' }),
      tags: {},
    });
    const listed = await provider.list();
    expect(listed.map((i) => i.nodeId).sort()).toEqual(['mine-east', 'mine-west']);
    expect(listed.find((i) => i.nodeId === 'mine-west')).toMatchObject({
      providerId: west.providerId,
      state: 'running',
      market: 'spot',
    });
    expect(listed.find((i) => i.nodeId === 'mine-east')).toMatchObject({
      providerId: east.providerId,
      region: 'us-east-1',
      market: 'on-demand',
    });
    const filter = fake.calls.find((c) => c.action === 'DescribeInstances')?.params;
    expect(filter).toMatchObject({
      'Filter.1.Name': 'tag:gpusched-cluster',
      'Filter.1.Value.1': 'test-cluster',
    });
  });

  it('follows DescribeInstances pages', async () => {
    fake = await startAwsFake({ now: () => T0, pageSizes: { instances: 2 } });
    cloud = await createAwsCloud(awsOptions(fake, { maxAttempts: 1 }));
    for (let i = 0; i < 5; i++) await cloud.capacity.launch({ nodeId: `n${i}`, offer: awsOffer(), tags: {} });
    expect(await cloud.capacity.list()).toHaveLength(5);
    expect(fake.callCount('DescribeInstances', 'us-west-2')).toBe(3);
  });

  it('shows a spot instance EC2 reclaimed as terminated, with interruptedAt', async () => {
    const { fake, provider } = await setup();
    const spot = await provider.launch({ nodeId: 'node-spot', offer: awsOffer(), tags: {} });
    const od = await provider.launch({
      nodeId: 'node-od',
      offer: awsOffer({ market: 'on-demand' }),
      tags: {},
    });
    await provider.list();
    fake.interruptSpot(spot.providerId);
    await provider.terminate(od.providerId);
    const listed = await provider.list();
    expect(listed.find((i) => i.nodeId === 'node-spot')).toMatchObject({
      state: 'terminated',
      interruptedAt: T0.toISOString(),
    });
    expect(listed.find((i) => i.nodeId === 'node-od')).toMatchObject({
      state: 'terminated',
      interruptedAt: null,
    });
  });

  it('fails the whole list when one region cannot be asked', async () => {
    const { fake, provider } = await setup();
    await provider.launch({ nodeId: 'n', offer: awsOffer(), tags: {} });
    fake.faults.error('AuthFailure', 1, { action: 'DescribeInstances', region: 'eu-west-1' });
    const err = await provider.list().catch((e: unknown) => e);
    expect(isCloudError(err, 'AuthFailed')).toBe(true);
    expect((err as Error).message).toContain('DescribeInstances in eu-west-1');
  });

  it('bills wall-clock hours', async () => {
    const { provider } = await setup();
    expect(provider.billableHours(T0, new Date(T0.getTime() + 90 * 60_000))).toBe(1.5);
  });
});

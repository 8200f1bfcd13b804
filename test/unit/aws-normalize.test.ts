// EC2 answers → offers, through the real response bodies in test/fixtures/aws (JSON as the SDK returns
// it) and small hand-made cases for the rules the fixtures do not show.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildOffers,
  gpuShape,
  isLinuxSpotProduct,
  newestSpotPrices,
  offeredPairs,
  pairKey,
  type SpotRecord,
  shapesFrom,
  spotPlacementScores,
  zonesFrom,
} from '../../src/clouds/aws/normalize.js';
import { CloudError } from '../../src/clouds/errors.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), 'utf8'));
const at = { api: 'Test', region: 'us-east-1' };

describe('zones', () => {
  it('maps zone names to zone ids (us-east-2 fixture)', () => {
    const zones = zonesFrom(fixture('ec2.DescribeAvailabilityZones.us-east-2.json').AvailabilityZones, at);
    expect([...zones]).toEqual([
      ['us-east-2a', 'use2-az1'],
      ['us-east-2b', 'use2-az2'],
      ['us-east-2c', 'use2-az3'],
    ]);
  });

  it('leaves out Local Zones and zones that are not available', () => {
    const zones = zonesFrom(
      [
        { ZoneName: 'us-east-1a', ZoneId: 'use1-az4', State: 'available', ZoneType: 'availability-zone' },
        { ZoneName: 'us-east-1-bos-1a', ZoneId: 'use1-bos1-az1', State: 'available', ZoneType: 'local-zone' },
        { ZoneName: 'us-east-1e', ZoneId: 'use1-az3', State: 'impaired', ZoneType: 'availability-zone' },
      ],
      at,
    );
    expect([...zones.keys()]).toEqual(['us-east-1a']);
  });

  it('calls an answer without zones malformed', () => {
    expect(() => zonesFrom([], at)).toThrow(/malformed answer: the region has no availability zones/);
    expect(() => zonesFrom([{ ZoneName: 'x' }], at)).toThrow(CloudError);
  });
});

describe('GPU shapes', () => {
  it('reads 8 × V100 16 GiB from p3.16xlarge and drops t3.micro (no GPU)', () => {
    const shapes = shapesFrom(
      fixture('ec2.DescribeInstanceTypes.t3_micro_and_p3_16xlarge.json').InstanceTypes,
      at,
    );
    expect([...shapes.values()]).toEqual([
      {
        instanceType: 'p3.16xlarge',
        gpu: { model: 'V100', count: 8, memoryGiB: 16 },
        vcpus: 64,
        memoryGiB: 488,
      },
    ]);
  });

  it('drops g2.2xlarge: the K520 is not in the canonical table', () => {
    expect(shapesFrom(fixture('ec2.DescribeInstanceTypes.g2_2xlarge.json').InstanceTypes, at).size).toBe(0);
  });

  const gpuType = (name: string, mib: number, count = 1) => ({
    InstanceType: 'x.large',
    VCpuInfo: { DefaultVCpus: 4 },
    MemoryInfo: { SizeInMiB: 16384 },
    GpuInfo: { Gpus: [{ Name: name, Count: count, MemoryInfo: { SizeInMiB: mib } }] },
  });

  it.each([
    ['A100 with 40 GiB', 'A100', 40960, { model: 'A100', memoryGiB: 40 }],
    ['A100 with 80 GiB (p4de)', 'A100', 81920, { model: 'A100', memoryGiB: 80 }],
    ['L4 reported as 22888 MiB snaps to 24', 'L4', 22888, { model: 'L4', memoryGiB: 24 }],
    ['L40S reported as 45776 MiB snaps to 48', 'L40S', 45776, { model: 'L40S', memoryGiB: 48 }],
    ['H200 reported as 143771 MiB snaps to 141', 'H200', 143771, { model: 'H200', memoryGiB: 141 }],
    ['A10G', 'A10G', 24576, { model: 'A10G', memoryGiB: 24 }],
    ['V100 32 GiB (p3dn)', 'V100', 32768, { model: 'V100', memoryGiB: 32 }],
    ['a size far from every variant is kept as reported', 'T4', 8192, { model: 'T4', memoryGiB: 8 }],
  ])('%s', (_case, name, mib, want) => {
    expect(gpuShape(gpuType(name, mib), at)?.gpu).toEqual({ ...want, count: 1 });
  });

  it('drops GPUs the table does not know (AMD Radeon Pro V520, Graviton T4g)', () => {
    expect(gpuShape(gpuType('Radeon Pro V520', 8192), at)).toBeNull();
    expect(gpuShape(gpuType('T4g', 16384), at)).toBeNull();
  });

  it('calls a GPU type without vCPUs malformed', () => {
    const t = { ...gpuType('T4', 16384), VCpuInfo: undefined };
    expect(() => gpuShape(t, at)).toThrow(/x\.large lacks GPU count, vCPUs or memory/);
  });
});

describe('type offerings', () => {
  it('reads the us-east-2a fixture: every offering is in that AZ', () => {
    const pairs = offeredPairs(
      fixture('ec2.DescribeInstanceTypeOfferings.us-east-2a.json').InstanceTypeOfferings,
      at,
    );
    expect(pairs.size).toBe(228);
    expect(pairs.has(pairKey('us-east-2a', 'p3.16xlarge'))).toBe(true);
    expect(pairs.has(pairKey('us-east-2a', 'g4dn.xlarge'))).toBe(true);
  });

  it('reads the empty answer as no offerings', () => {
    expect(
      offeredPairs(fixture('ec2.DescribeInstanceTypeOfferings.empty.json').InstanceTypeOfferings, at).size,
    ).toBe(0);
  });
});

describe('spot prices: the newest record per (AZ, type) is the price in force', () => {
  const records: SpotRecord[] = fixture(
    'ec2.DescribeSpotPriceHistory.m5_large.us-east-1.json',
  ).SpotPriceHistory;
  const want = [
    ['us-east-1a', 0.0423, '2021-02-08T23:58:38.000Z'],
    ['us-east-1b', 0.0389, '2021-02-08T21:46:09.000Z'],
    ['us-east-1c', 0.0381, '2021-02-08T20:38:39.000Z'],
    ['us-east-1d', 0.0431, '2021-02-08T19:14:31.000Z'],
    ['us-east-1f', 0.0437, '2021-02-09T01:40:10.000Z'],
  ];
  const asRows = (m: ReturnType<typeof newestSpotPrices>) =>
    [...m.values()]
      .map((q) => [q.zone, q.pricePerHour, q.since])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

  it('picks it from the 250-record m5.large history (newest first, as AWS sends it)', () => {
    expect(records).toHaveLength(250);
    expect(asRows(newestSpotPrices(records, at))).toEqual(want);
  });

  it('picks the same whatever the order of the records', () => {
    expect(asRows(newestSpotPrices([...records].reverse(), at))).toEqual(want);
    const shuffled = [...records].sort((a, b) => String(a.SpotPrice).localeCompare(String(b.SpotPrice)));
    expect(asRows(newestSpotPrices(shuffled, at))).toEqual(want);
  });

  it('accepts the older "Linux/UNIX (Amazon VPC)" spelling (aws-cli example)', () => {
    const m = newestSpotPrices(
      fixture('ec2.DescribeSpotPriceHistory.awscli-example.json').SpotPriceHistory,
      at,
    );
    expect(asRows(m)).toEqual([
      ['us-west-1a', 0.08, '2014-01-06T04:32:53.000Z'],
      ['us-west-1c', 0.08, '2014-01-05T11:28:26.000Z'],
    ]);
  });

  it.each([
    ['Linux/UNIX', true],
    ['Linux/UNIX (Amazon VPC)', true],
    ['SUSE Linux', false],
    ['Red Hat Enterprise Linux', false],
    ['Windows', false],
    ['Linux/UNIXish', false],
    [undefined, false],
  ])('product %s counts as Linux: %s', (product, linux) => {
    expect(isLinuxSpotProduct(product)).toBe(linux);
  });

  it('ignores Windows and SUSE records even when they are newer', () => {
    const m = newestSpotPrices(
      [
        {
          AvailabilityZone: 'z',
          InstanceType: 'g5.xlarge',
          ProductDescription: 'Linux/UNIX',
          SpotPrice: '0.41',
          Timestamp: '2026-11-28T10:00:00Z',
        },
        {
          AvailabilityZone: 'z',
          InstanceType: 'g5.xlarge',
          ProductDescription: 'Windows',
          SpotPrice: '0.90',
          Timestamp: '2026-11-28T11:00:00Z',
        },
        {
          AvailabilityZone: 'z',
          InstanceType: 'g5.xlarge',
          ProductDescription: 'SUSE Linux',
          SpotPrice: '0.50',
          Timestamp: '2026-11-28T11:30:00Z',
        },
      ],
      at,
    );
    expect(m.get(pairKey('z', 'g5.xlarge'))?.pricePerHour).toBe(0.41);
  });

  it('calls a record without a readable price malformed', () => {
    const bad = [
      {
        AvailabilityZone: 'z',
        InstanceType: 'g5.xlarge',
        ProductDescription: 'Linux/UNIX',
        SpotPrice: 'n/a',
        Timestamp: '2026-11-28T10:00:00Z',
      },
    ];
    expect(() => newestSpotPrices(bad, at)).toThrow(/spot record 0 \(g5\.xlarge in z\) has price n\/a/);
  });
});

describe('spot placement scores', () => {
  it('reads per-AZ scores (1..10) as 0..1 by zone id', () => {
    const { byZoneId, byRegion } = spotPlacementScores(
      fixture('ec2.GetSpotPlacementScores.azs.partial.json').SpotPlacementScores,
    );
    expect(Object.fromEntries(byZoneId)).toEqual({ 'use1-az1': 0.8, 'usw2-az3': 0.6 });
    expect(byRegion.size).toBe(0);
  });

  it('reads per-region scores', () => {
    const { byRegion } = spotPlacementScores(
      fixture('ec2.GetSpotPlacementScores.regions.json').SpotPlacementScores,
    );
    expect(byRegion.size).toBe(10);
    expect(byRegion.get('us-east-1')).toBe(0.9);
    expect(byRegion.get('ap-south-1')).toBe(0.6);
  });
});

describe('offers from the fixtures', () => {
  const region = 'us-east-2';
  const zones = zonesFrom(fixture('ec2.DescribeAvailabilityZones.us-east-2.json').AvailabilityZones, {
    ...at,
    region,
  });
  const shapes = shapesFrom(
    fixture('ec2.DescribeInstanceTypes.t3_micro_and_p3_16xlarge.json').InstanceTypes,
    at,
  );
  const offered = offeredPairs(
    fixture('ec2.DescribeInstanceTypeOfferings.us-east-2a.json').InstanceTypeOfferings,
    at,
  );
  const spot = newestSpotPrices(
    [
      {
        AvailabilityZone: 'us-east-2a',
        InstanceType: 'p3.16xlarge',
        ProductDescription: 'Linux/UNIX',
        SpotPrice: '7.344000',
        Timestamp: '2026-11-28T09:00:00Z',
      },
    ],
    at,
  );
  const onDemand = new Map([
    ['p3.16xlarge', { pricePerHour: 24.48, observedAt: '2026-11-28T00:00:00.000Z' }],
  ]);

  it('makes one offer per market for the one GPU type offered in us-east-2a', () => {
    const offers = buildOffers({
      region,
      zones,
      shapes,
      offered,
      spot,
      onDemand,
      spotObservedAt: '2026-11-28T12:00:00.000Z',
    });
    expect(offers).toEqual([
      {
        cloud: 'aws',
        region: 'us-east-2',
        zone: 'us-east-2a',
        zoneId: 'use2-az1',
        instanceType: 'p3.16xlarge',
        gpu: { model: 'V100', count: 8, memoryGiB: 16 },
        vcpus: 64,
        memoryGiB: 488,
        market: 'on-demand',
        pricePerHour: 24.48,
        observedAt: '2026-11-28T00:00:00.000Z',
        availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
        source: 'live',
      },
      expect.objectContaining({
        market: 'spot',
        pricePerHour: 7.344,
        observedAt: '2026-11-28T12:00:00.000Z',
      }),
    ]);
  });

  it('offers nothing where there is no price, and only usable zones', () => {
    const none = buildOffers({
      region,
      zones,
      shapes,
      offered,
      spot: new Map(),
      onDemand: new Map(),
      spotObservedAt: '',
    });
    expect(none).toEqual([]);
    const noZone = buildOffers({
      region,
      zones,
      shapes,
      offered,
      spot,
      onDemand,
      spotObservedAt: '',
      zoneUsable: (_z, id) => id !== 'use2-az1',
    });
    expect(noZone).toEqual([]);
  });

  it('puts a placement score on spot offers of a scored zone', () => {
    const offers = buildOffers({
      region,
      zones,
      shapes,
      offered,
      spot,
      onDemand,
      spotObservedAt: '',
      spotScores: new Map([['use2-az1', 0.7]]),
    });
    expect(offers.find((o) => o.market === 'spot')?.availability.score).toBe(0.7);
    expect(offers.find((o) => o.market === 'on-demand')?.availability.score).toBeNull();
  });
});

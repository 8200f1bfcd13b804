// The AWS market source with the real SDK against the wire-level fake: a full poll, pagination, caching,
// throttling, failing regions, malformed answers, and the real XML bodies from test/fixtures/aws.
import { readFileSync } from 'node:fs';
import { DescribeSpotPriceHistoryCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { type AwsCloud, createAwsCloud } from '../../src/clouds/aws/index.js';
import { newestSpotPrices } from '../../src/clouds/aws/normalize.js';
import type { AwsCloudOptions } from '../../src/clouds/aws/options.js';
import { CloudError, isCloudError } from '../../src/clouds/errors.js';
import { canonicalGpu } from '../../src/core/gpus.js';
import type { Offer } from '../../src/core/model.js';
import { awsOptions, FAKE_CREDENTIALS, T0 } from '../fakes/aws/harness.js';
import { type AwsFake, type AwsFakeOptions, startAwsFake } from '../fakes/aws/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), 'utf8');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

let fake: AwsFake | undefined;
let cloud: AwsCloud | undefined;
afterEach(async () => {
  cloud?.close();
  await fake?.close();
  fake = undefined;
  cloud = undefined;
});

async function setup(fakeOpts: AwsFakeOptions = {}, over: Partial<AwsCloudOptions> = {}) {
  fake = await startAwsFake({ now: () => T0, ...fakeOpts });
  const warnings: string[] = [];
  cloud = await createAwsCloud(awsOptions(fake, over), { warn: (m) => warnings.push(m) });
  return { fake, market: cloud.market, warnings };
}

const key = (o: Pick<Offer, 'region' | 'zone' | 'instanceType' | 'market'>) =>
  `${o.region}/${o.zone}/${o.instanceType}/${o.market}`;

/** What a poll must return, computed from the fake's world rather than from the adapter. */
function expectedPrices(f: AwsFake): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of f.world.regions) {
    for (const z of r.zones.filter((z) => z.type === 'availability-zone')) {
      for (const t of f.world.types) {
        if (!t.gpu || !canonicalGpu(t.gpu.name) || !f.world.offered(r.name, z.name, t.instanceType)) continue;
        const base = { region: r.name, zone: z.name, instanceType: t.instanceType };
        out.set(key({ ...base, market: 'on-demand' }), f.world.onDemandPrice(r.name, t.instanceType)!);
        const spot = f.world.spotPrice(r.name, z.name, t.instanceType);
        if (spot !== null) out.set(key({ ...base, market: 'spot' }), spot);
      }
    }
  }
  return out;
}

const pricesOf = (offers: Offer[]) => new Map(offers.map((o) => [key(o), o.pricePerHour]));

describe('AWS market: a full poll against the fake', () => {
  it('returns one offer per (AZ, GPU type, market) with the price in force, and nothing else', async () => {
    const { fake, market } = await setup();
    const offers = await market.poll(T0);
    expect(market).toMatchObject({ cloud: 'aws', kind: 'live' });
    expect(pricesOf(offers)).toEqual(expectedPrices(fake));
    expect(offers.length).toBeGreaterThan(100);
    // No Local Zone, no GPU the table does not know, no non-GPU type.
    expect(offers.some((o) => o.zone === 'us-east-1-bos-1a')).toBe(false);
    expect(offers.some((o) => ['g4ad.xlarge', 'g2.2xlarge', 'm5.large'].includes(o.instanceType))).toBe(
      false,
    );
  });

  it('tells AZ names from AZ ids and normalises GPU shapes', async () => {
    const { market } = await setup();
    const offers = await market.poll(T0);
    const l4 = offers.find(
      (o) => o.instanceType === 'g6.xlarge' && o.zone === 'us-east-1a' && o.market === 'spot',
    );
    expect(l4).toMatchObject({
      cloud: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      zoneId: 'use1-az4',
      gpu: { model: 'L4', count: 1, memoryGiB: 24 },
      vcpus: 4,
      memoryGiB: 16,
      observedAt: T0.toISOString(),
      source: 'live',
      availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
    });
    const a100 = offers.find((o) => o.instanceType === 'p4de.24xlarge');
    expect(a100?.gpu).toEqual({ model: 'A100', count: 8, memoryGiB: 80 });
    expect(offers.some((o) => o.instanceType === 'p4de.24xlarge' && o.market === 'spot')).toBe(false);
  });

  it('offers only zones with a configured subnet, when subnets are configured', async () => {
    const imageId = 'ami-1';
    const { market } = await setup(
      {},
      { launch: { imageId, subnetIds: { 'us-east-1a': 'subnet-a', 'usw2-az2': 'subnet-b' } } },
    );
    const zones = new Set((await market.poll(T0)).map((o) => `${o.zone} ${o.zoneId}`));
    expect([...zones].sort()).toEqual(['us-east-1a use1-az4', 'us-west-2b usw2-az2']);
    cloud?.close();
    cloud = await createAwsCloud(awsOptions(fake!, { launch: { imageId, subnetIds: {} } }));
    expect(new Set((await cloud.market.poll(T0)).map((o) => o.zone)).size).toBe(6 + 4 + 3);
  });

  it('follows NextToken through small pages to the same answer', async () => {
    const { fake, market } = await setup({
      pageSizes: { spotPriceHistory: 7, instanceTypes: 3, instanceTypeOfferings: 5 },
    });
    const offers = await market.poll(T0);
    expect(pricesOf(offers)).toEqual(expectedPrices(fake));
    expect(fake.callCount('DescribeSpotPriceHistory', 'us-east-1')).toBeGreaterThan(10);
    expect(fake.callCount('DescribeInstanceTypes', 'us-east-1')).toBe(Math.ceil(16 / 3));
  });

  it('refetches spot every poll, availability after its TTL, on-demand after a day', async () => {
    const { fake, market } = await setup({}, { availabilityRefreshMinutes: 10, onDemandRefreshHours: 24 });
    await market.poll(T0);
    const count = () => ({
      spot: fake.callCount('DescribeSpotPriceHistory'),
      types: fake.callCount('DescribeInstanceTypes'),
      products: fake.callCount('GetProducts'),
    });
    const first = count();
    fake.setSpotPrice('us-east-1', 'us-east-1a', 'g5.xlarge', 0.3333, minutes(1));
    const second = await market.poll(minutes(2));
    expect(count()).toEqual({ ...first, spot: first.spot * 2 });
    const g5 = second.find((o) => key(o) === 'us-east-1/us-east-1a/g5.xlarge/spot');
    expect(g5?.pricePerHour).toBe(0.3333);
    await market.poll(minutes(11));
    expect(count().types).toBe(first.types * 2);
    expect(count().products).toBe(first.products);
    await market.poll(minutes(25 * 60));
    expect(count().products).toBe(first.products * 2);
  });

  it('retries throttled calls and then succeeds', async () => {
    const { fake, market } = await setup();
    fake.faults.throttle(2, { action: 'DescribeSpotPriceHistory', region: 'us-west-2' });
    const offers = await market.poll(T0);
    expect(pricesOf(offers)).toEqual(expectedPrices(fake));
    expect(fake.callCount('DescribeSpotPriceHistory', 'us-west-2')).toBe(3);
  });

  it('throws Throttled when throttling outlasts the retries', async () => {
    const { fake, market } = await setup({}, { maxAttempts: 2 });
    fake.faults.throttle(5, { action: 'DescribeInstanceTypes' });
    const err = await market.poll(T0).catch((e: unknown) => e);
    expect(isCloudError(err, 'Throttled')).toBe(true);
    expect((err as CloudError).message).toMatch(/DescribeInstanceTypes in .*RequestLimitExceeded/);
  });

  it('throws when one region fails, rather than answer for the others', async () => {
    const { fake, market } = await setup({}, { maxAttempts: 2 });
    fake.faults.serverError(Number.POSITIVE_INFINITY, { region: 'eu-west-1' });
    const err = await market.poll(T0).catch((e: unknown) => e);
    expect(isCloudError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toContain('in eu-west-1');
    expect((err as Error).message).toContain('Unavailable');
  });

  it('turns malformed XML into a clear Transient error naming the API and region', async () => {
    const { fake, market } = await setup();
    fake.faults.raw('<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item>', 1, {
      action: 'DescribeSpotPriceHistory',
      region: 'us-east-1',
    });
    const err = await market.poll(T0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect((err as CloudError).kind).toBe('Transient');
    expect((err as CloudError).message).toMatch(
      /^AWS DescribeSpotPriceHistory in us-east-1: malformed answer/,
    );
  });

  it('waits for a slow answer that comes within the timeout', async () => {
    const { fake, market } = await setup({}, { requestTimeoutMs: 2_000 });
    fake.faults.slow(300, 2, { action: 'DescribeSpotPriceHistory' });
    expect(pricesOf(await market.poll(T0))).toEqual(expectedPrices(fake));
  });

  it('fails a hung endpoint after the request timeout', async () => {
    const { fake, market } = await setup({}, { maxAttempts: 1, requestTimeoutMs: 300 });
    fake.faults.hang(1, { action: 'DescribeAvailabilityZones', region: 'us-west-2' });
    const err = await market.poll(T0).catch((e: unknown) => e);
    expect(isCloudError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toContain('DescribeAvailabilityZones in us-west-2');
  });

  it('keeps only plain Linux on-demand prices even when the Price List ignores the filters', async () => {
    const { fake, market } = await setup({ scale: { regions: 1, typesPerRegion: 16 } });
    fake.pricing.ignoreFilters = true;
    const offers = await market.poll(T0);
    expect(pricesOf(offers)).toEqual(expectedPrices(fake));
  });

  it('keeps yesterday’s on-demand prices when the refresh fails, and says so', async () => {
    const { fake, market, warnings } = await setup({}, { maxAttempts: 1 });
    const before = await market.poll(T0);
    fake.faults.serverError(10, { api: 'pricing' });
    const after = await market.poll(minutes(25 * 60));
    expect(pricesOf(after)).toEqual(pricesOf(before));
    expect(after.find((o) => o.market === 'on-demand')?.observedAt).toBe(T0.toISOString());
    expect(warnings[0]).toMatch(/on-demand prices for .* not refreshed/);
  });

  it('throws when on-demand prices were never fetched and the Pricing API fails', async () => {
    const { fake, market } = await setup({}, { maxAttempts: 1 });
    fake.faults.error('AccessDeniedException', 1, { api: 'pricing' });
    const err = await market.poll(T0).catch((e: unknown) => e);
    expect(isCloudError(err, 'AuthFailed')).toBe(true);
    expect((err as Error).message).toContain('Pricing GetProducts');
  });
});

describe('AWS market: the real XML bodies through the SDK', () => {
  it('parses the captured DescribeSpotPriceHistory answer and keeps only Linux/UNIX', async () => {
    fake = await startAwsFake({ now: () => T0 });
    fake.faults.raw(fixture('ec2.DescribeSpotPriceHistory.response.xml'), 1);
    const ec2 = new EC2Client({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
    });
    const out = await ec2.send(new DescribeSpotPriceHistoryCommand({}));
    ec2.destroy();
    expect(out.SpotPriceHistory?.map((r) => [r.InstanceType, r.ProductDescription, r.SpotPrice])).toEqual([
      ['t1.micro', 'SUSE Linux', '0.013000'],
      ['m1.large', 'Linux/UNIX', '0.119000'],
      ['t1.micro', 'Windows', '0.013000'],
    ]);
    expect(out.SpotPriceHistory?.[1]?.Timestamp?.toISOString()).toBe('2011-03-07T16:29:16.000Z');
    // The Linux record has no availabilityZone (EC2-Classic era): it cannot become an offer.
    expect(
      newestSpotPrices(out.SpotPriceHistory ?? [], { api: 'DescribeSpotPriceHistory', region: 'us-east-1' })
        .size,
    ).toBe(0);
  });

  it('stops at an empty <nextToken/> and then offers only on-demand in that region', async () => {
    const { fake, market } = await setup();
    fake.faults.raw(fixture('ec2.DescribeSpotPriceHistory.empty-nextToken.response.xml'), 1, {
      action: 'DescribeSpotPriceHistory',
      region: 'us-west-2',
    });
    const offers = await market.poll(T0);
    expect(fake.callCount('DescribeSpotPriceHistory', 'us-west-2')).toBe(1);
    const west = offers.filter((o) => o.region === 'us-west-2');
    expect(west.length).toBeGreaterThan(0);
    expect(west.every((o) => o.market === 'on-demand')).toBe(true);
    expect(offers.some((o) => o.region === 'us-east-1' && o.market === 'spot')).toBe(true);
  });
});

describe('AWS market: volume', () => {
  // The benchmark polls 30 × 50; here a third of that keeps the file fast while crossing into the
  // made-up type names past the real list.
  it('polls 10 regions × 50 types in one go', async () => {
    const { fake, market } = await setup({ scale: { regions: 10, typesPerRegion: 50 } });
    const offers = await market.poll(T0);
    expect(pricesOf(offers)).toEqual(expectedPrices(fake));
    expect(new Set(offers.map((o) => o.region)).size).toBe(10);
    expect(offers.some((o) => o.instanceType.startsWith('gx1.'))).toBe(true);
  });
});

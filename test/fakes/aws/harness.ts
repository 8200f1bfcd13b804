// Adapter options pointing at a running fake: static fake credentials, few attempts, short timeouts.
import type { AwsCloudOptions } from '../../../src/clouds/aws/options.js';
import type { AwsFake } from './index.js';

// The SDK warns about Node 20 when a client is built; tests have no use for the warning.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const T0 = new Date('2026-11-28T12:00:00Z');

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret' };

export const DEFAULT_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

export function awsOptions(fake: AwsFake, over: Partial<AwsCloudOptions> = {}): AwsCloudOptions {
  return {
    regions: fake.world.regions.map((r) => r.name),
    endpoint: fake.endpoint,
    pricingEndpoint: fake.pricingEndpoint,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 3,
    requestTimeoutMs: 2_000,
    launch: { imageId: 'ami-0fake0000000000000' },
    clusterTag: 'test-cluster',
    now: () => T0,
    ...over,
  };
}

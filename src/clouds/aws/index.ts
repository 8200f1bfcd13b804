// The AWS adapter's only entry. The daemon import()s this module when AWS is enabled, so the SDK
// (about a second and ~100 MB to load) stays out of a daemon that does not use AWS.
import type { CloudAdapter } from '../ports.js';
import { AwsCapacity } from './capacity.js';
import { AwsClients } from './clients.js';
import { AwsMarket } from './market.js';
import { type AwsCloudOptions, resolveAwsOptions } from './options.js';

export type { AwsCloudOptions, AwsLaunchOptions, AwsStaticCredentials } from './options.js';
export { AWS_DEFAULTS } from './options.js';

export interface AwsCloud extends CloudAdapter {
  market: AwsMarket;
  capacity: AwsCapacity;
  /** Closes the SDK clients' keep-alive sockets. */
  close(): void;
}

/**
 * Builds the AWS market source (kind 'live') and capacity provider (name 'aws'). Checks the options
 * (regions, cluster tag) and throws a plain Error naming every problem; contacts no endpoint, so
 * credentials are first used (and checked) by the first poll. The AMI is checked at launch, so that
 * `market fetch` works without launch settings.
 */
export async function createAwsCloud(
  options: AwsCloudOptions,
  hooks: { warn?: (message: string) => void } = {},
): Promise<AwsCloud> {
  const opts = resolveAwsOptions(options);
  const clients = new AwsClients(opts);
  return {
    market: new AwsMarket(clients, opts, hooks.warn),
    capacity: new AwsCapacity(clients, opts),
    close: () => clients.destroy(),
  };
}

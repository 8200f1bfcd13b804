// The GCP adapter's only entry: the daemon `import()`s this module when GCP is enabled, so neither SDK
// is loaded otherwise. See docs/clouds/gcp.md for what is called, IAM roles, caching and errors.
import type { CloudAdapter } from '../ports.js';
import { GcpCapacity } from './capacity.js';
import { GcpMarket } from './market.js';
import { type GcpCloudOptions, parseGcpEndpoint, resolveGcpOptions } from './options.js';
import { loadGcpApi } from './sdk.js';

export { classifyGcpError, GcpOperationError } from './errors.js';
export type { GcpAuthClient, GcpCloudOptions, GcpLaunchOptions } from './options.js';
export { parseGcpEndpoint } from './options.js';
export { GcpCapacity, GcpMarket };

export interface GcpCloudAdapter extends CloudAdapter {
  market: GcpMarket;
  capacity: GcpCapacity;
}

/** Loads the SDKs, builds the clients, and returns GCP's market source and capacity provider. */
export async function createGcpCloud(options: GcpCloudOptions): Promise<GcpCloudAdapter> {
  const opts = resolveGcpOptions(options);
  const api = await loadGcpApi({
    project: opts.project,
    endpoint: options.apiEndpoint ? parseGcpEndpoint(options.apiEndpoint) : null,
    ...(options.authClient ? { authClient: options.authClient } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    policy: { timeoutMs: opts.requestTimeoutMs, ...opts.retry },
  });
  return { market: new GcpMarket(api, opts), capacity: new GcpCapacity(api, opts) };
}

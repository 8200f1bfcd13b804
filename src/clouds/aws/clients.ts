// One EC2 client per region and one Pricing client, configured the same way: endpoint override,
// credentials (static or the SDK's default chain), attempts, and a request timeout that fails a hung
// connection instead of stalling the poll.
import { EC2Client } from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import type { ResolvedAwsOptions } from './options.js';

/** The Pricing API answers from us-east-1 (and two other regions); the price list covers every region. */
export const PRICING_REGION = 'us-east-1';

export class AwsClients {
  private readonly ec2ByRegion = new Map<string, EC2Client>();
  private pricingClient: PricingClient | undefined;

  constructor(private readonly opts: ResolvedAwsOptions) {}

  ec2(region: string): EC2Client {
    let c = this.ec2ByRegion.get(region);
    if (!c) {
      c = new EC2Client({
        ...this.common(),
        region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
      });
      this.ec2ByRegion.set(region, c);
    }
    return c;
  }

  pricing(): PricingClient {
    this.pricingClient ??= new PricingClient({
      ...this.common(),
      region: PRICING_REGION,
      ...(this.opts.pricingEndpoint ? { endpoint: this.opts.pricingEndpoint } : {}),
    });
    return this.pricingClient;
  }

  /** Closes the clients' sockets (keep-alive agents), so that a stopping daemon exits promptly. */
  destroy(): void {
    for (const c of this.ec2ByRegion.values()) c.destroy();
    this.pricingClient?.destroy();
    this.ec2ByRegion.clear();
    this.pricingClient = undefined;
  }

  private common() {
    return {
      ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      ...(this.opts.maxAttempts !== undefined ? { maxAttempts: this.opts.maxAttempts } : {}),
      requestHandler: {
        requestTimeout: this.opts.requestTimeoutMs,
        connectionTimeout: this.opts.requestTimeoutMs,
        // Without this the handler only logs a warning and keeps waiting.
        throwOnRequestTimeout: true,
      },
    };
  }
}

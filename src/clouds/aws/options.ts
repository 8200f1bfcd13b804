// What the daemon tells the AWS adapter. This module loads no SDK, so config code may import the type
// (and the defaults) without pulling in @aws-sdk/*.

/** Static credentials; omit them to use the SDK's default chain (environment, profile, SSO, IMDS, ...). */
export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How instances are launched. AMIs and security groups belong to one region, hence the per-region maps. */
export interface AwsLaunchOptions {
  /**
   * The AMI to boot: one id used in every region, or a map region → AMI id (AMIs are regional; a
   * multi-region daemon needs the map). Only launches need it: without one for a region (or with ''),
   * the market still works and a launch there fails with a plain Error saying so.
   */
  imageId: string | Readonly<Record<string, string>>;
  /**
   * Zone → subnet id (keys are zone names such as us-east-1a, or zone ids such as use1-az4). When it has
   * entries, instances go into the subnet of their zone and the market offers only zones that have one.
   * When absent or empty, EC2 uses the default subnet of the default VPC in the offer's zone.
   */
  subnetIds?: Readonly<Record<string, string>>;
  /** Security groups: one list for every region, or a map region → list (groups belong to a VPC). */
  securityGroupIds?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** EC2 key pair name (key pairs are regional; the same name must exist in every region used). */
  keyName?: string;
  /** Instance profile ARN the node runs as (needs iam:PassRole for the daemon). */
  instanceProfileArn?: string;
}

export interface AwsCloudOptions {
  /** Regions to poll and launch in, e.g. ['us-east-1', 'us-west-2']. */
  regions: readonly string[];
  /** EC2 endpoint used for every region (VPC endpoint, proxy, emulator); env GPUSCHED_AWS_ENDPOINT. */
  endpoint?: string;
  /** Pricing API endpoint (default: the us-east-1 Pricing endpoint); env GPUSCHED_AWS_PRICING_ENDPOINT. */
  pricingEndpoint?: string;
  /** Static credentials; omitted → the SDK's default credential chain. */
  credentials?: AwsStaticCredentials;
  /** Attempts per API call, retries included (SDK default 3). Throttling and 5xx are retried with backoff. */
  maxAttempts?: number;
  /** Per-request socket timeout in ms (default 30 000); a hung endpoint then fails the poll as Transient. */
  requestTimeoutMs?: number;
  launch: AwsLaunchOptions;
  /** Value of the `gpusched-cluster` tag put on every instance; `list` finds only instances carrying it. */
  clusterTag: string;
  /** How long on-demand prices (Pricing API) are kept before they are fetched again (default 24). */
  onDemandRefreshHours?: number;
  /** How long zones, GPU shapes and type offerings are kept before they are fetched again (default 10). */
  availabilityRefreshMinutes?: number;
  /** The clock; used for launch times the cloud does not report and for interruption first-seen times. */
  now: () => Date;
}

export const AWS_DEFAULTS = {
  onDemandRefreshHours: 24,
  availabilityRefreshMinutes: 10,
  requestTimeoutMs: 30_000,
  /**
   * A failed on-demand refresh falls back to the previous prices for at most this long: on-demand
   * prices change a few times a year, so yesterday's list beats failing every AWS poll.
   */
  onDemandMaxStaleHours: 7 * 24,
} as const;

/** Options with defaults filled in and checked once, at start-up. */
export interface ResolvedAwsOptions
  extends Required<Omit<AwsCloudOptions, 'endpoint' | 'pricingEndpoint' | 'credentials' | 'maxAttempts'>> {
  endpoint: string | undefined;
  pricingEndpoint: string | undefined;
  credentials: AwsStaticCredentials | undefined;
  maxAttempts: number | undefined;
}

export function resolveAwsOptions(o: AwsCloudOptions): ResolvedAwsOptions {
  const problems: string[] = [];
  if (o.regions.length === 0) problems.push('regions is empty');
  if (!o.clusterTag) problems.push('clusterTag is empty');
  if (problems.length > 0) throw new Error(`invalid AWS options: ${problems.join('; ')}`);
  return {
    regions: [...new Set(o.regions)],
    endpoint: o.endpoint,
    pricingEndpoint: o.pricingEndpoint,
    credentials: o.credentials,
    maxAttempts: o.maxAttempts,
    requestTimeoutMs: o.requestTimeoutMs ?? AWS_DEFAULTS.requestTimeoutMs,
    launch: o.launch,
    clusterTag: o.clusterTag,
    onDemandRefreshHours: o.onDemandRefreshHours ?? AWS_DEFAULTS.onDemandRefreshHours,
    availabilityRefreshMinutes: o.availabilityRefreshMinutes ?? AWS_DEFAULTS.availabilityRefreshMinutes,
    now: o.now,
  };
}

export function imageIdFor(launch: AwsLaunchOptions, region: string): string | undefined {
  const id = typeof launch.imageId === 'string' ? launch.imageId : launch.imageId[region];
  return id || undefined;
}

export function securityGroupsFor(launch: AwsLaunchOptions, region: string): string[] | undefined {
  const g = launch.securityGroupIds;
  if (g === undefined) return undefined;
  const list = isList(g) ? g : g[region];
  return list && list.length > 0 ? [...list] : undefined;
}

/** Subnets are configured (an empty map, a config default, means "use the default VPC"). */
export function usesSubnets(launch: AwsLaunchOptions): boolean {
  return launch.subnetIds !== undefined && Object.keys(launch.subnetIds).length > 0;
}

/** The subnet for a zone, looked up by zone name, then by zone id. */
export function subnetFor(
  launch: AwsLaunchOptions,
  zone: string | null,
  zoneId?: string,
): string | undefined {
  const s = launch.subnetIds;
  if (!s) return undefined;
  return (zone ? s[zone] : undefined) ?? (zoneId ? s[zoneId] : undefined);
}

function isList(g: readonly string[] | Readonly<Record<string, readonly string[]>>): g is readonly string[] {
  return Array.isArray(g);
}

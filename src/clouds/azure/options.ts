// The Azure adapter's options, their defaults and their checks. docs/clouds/azure.md documents each one.

export const DEFAULT_RETAIL_PRICES_URL = 'https://prices.azure.com/api/retail/prices';
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

/** Anything with getToken, as @azure/core-auth's TokenCredential (e.g. @azure/identity's credentials). */
export interface AzureTokenCredential {
  getToken(
    scopes: string | string[],
    options?: unknown,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export type AzureImageReference =
  | { publisher: string; offer: string; sku: string; version: string }
  | { id: string };

export interface AzureLaunchOptions {
  /** The OS image: a marketplace URN's parts, or the ARM id of a (gallery) image. */
  imageReference: AzureImageReference;
  /** ARM id of the subnet the VMs' NICs join; it must give the node outbound access to the daemon. */
  subnetId: string;
  /** Linux admin user (default 'gpusched'). */
  adminUsername?: string;
  /** OpenSSH public key for the admin user; without one, SSH login is disabled and a random password is never set. */
  sshPublicKey?: string;
  /** OS disk size in GiB (default: the image's). */
  osDiskSizeGB?: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff; doubles per retry. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** The longest Retry-After the Retail Prices client waits for; a longer one fails the poll as Throttled. */
  maxRetryAfterMs: number;
}

export interface AzureCloudOptions {
  subscriptionId: string;
  /** Resource group the VMs are created in. */
  resourceGroup: string;
  /** ARM region names (eastus, westeurope, ...) to poll and launch in. */
  regions: string[];
  /** ARM endpoint (GPUSCHED_AZURE_ENDPOINT); default https://management.azure.com. */
  endpoint?: string;
  /** Retail Prices API (GPUSCHED_AZURE_RETAIL_PRICES_URL); default https://prices.azure.com/api/retail/prices. */
  retailPricesUrl?: string;
  /** Token credential; default @azure/identity's DefaultAzureCredential (installed separately). */
  credential?: AzureTokenCredential;
  /** PEM CA bundle the ARM clients trust instead of the public roots (fakes, TLS-inspecting proxies). */
  tlsCa?: string;
  launch: AzureLaunchOptions;
  /** Value of the gpusched-cluster tag: which daemon owns a VM. */
  clusterTag: string;
  /** How long fetched prices are reused (default 24). */
  priceRefreshHours?: number;
  /** How long fetched SKU availability is reused (default 10). */
  availabilityRefreshMinutes?: number;
  /** The clock (default the system clock). */
  now?: () => Date;
  /** Retries of each request (SDK pipeline and Retail Prices). Defaults: 3 retries, 800 ms doubling to 30 s, Retry-After up to 60 s. */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout of Retail Prices and list calls (default 60 000 ms). */
  requestTimeoutMs?: number;
  /** Polling interval of long-running operations when the server gives no Retry-After (default: the SDK's, 2 s). */
  lroPollIntervalMs?: number;
  /** Regions fetched at once (default 4). */
  concurrency?: number;
}

export interface ResolvedAzureOptions
  extends Required<Omit<AzureCloudOptions, 'credential' | 'tlsCa' | 'lroPollIntervalMs'>> {
  credential: AzureTokenCredential | undefined;
  tlsCa: string | undefined;
  lroPollIntervalMs: number | undefined;
  retry: RetryPolicy;
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`azure: option ${name} must be a positive number, got ${v}`);
  return v;
}

function required(name: string, v: string | undefined): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`azure: option ${name} is required`);
  return v;
}

/** Defaults filled in and everything checked, so that a misconfiguration fails at startup with its name. */
export function resolveAzureOptions(o: AzureCloudOptions): ResolvedAzureOptions {
  required('subscriptionId', o.subscriptionId);
  required('resourceGroup', o.resourceGroup);
  required('clusterTag', o.clusterTag);
  required('launch.subnetId', o.launch?.subnetId);
  if (!o.launch.imageReference) throw new Error('azure: option launch.imageReference is required');
  if (!Array.isArray(o.regions) || o.regions.length === 0)
    throw new Error('azure: option regions must name at least one region');
  const retry: RetryPolicy = {
    maxRetries: o.retry?.maxRetries ?? 3,
    retryDelayMs: o.retry?.retryDelayMs ?? 800,
    maxRetryDelayMs: o.retry?.maxRetryDelayMs ?? 30_000,
    maxRetryAfterMs: o.retry?.maxRetryAfterMs ?? 60_000,
  };
  if (!Number.isInteger(retry.maxRetries) || retry.maxRetries < 0) {
    throw new Error(`azure: option retry.maxRetries must be a whole number >= 0, got ${retry.maxRetries}`);
  }
  return {
    subscriptionId: o.subscriptionId,
    resourceGroup: o.resourceGroup,
    regions: o.regions.map((r) => r.toLowerCase()),
    endpoint: (o.endpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, ''),
    retailPricesUrl: o.retailPricesUrl ?? DEFAULT_RETAIL_PRICES_URL,
    credential: o.credential,
    tlsCa: o.tlsCa,
    launch: o.launch,
    clusterTag: o.clusterTag,
    priceRefreshHours: positive('priceRefreshHours', o.priceRefreshHours ?? 24),
    availabilityRefreshMinutes: positive('availabilityRefreshMinutes', o.availabilityRefreshMinutes ?? 10),
    now: o.now ?? (() => new Date()),
    retry,
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs ?? 60_000),
    lroPollIntervalMs: o.lroPollIntervalMs,
    concurrency: positive('concurrency', o.concurrency ?? 4),
  };
}

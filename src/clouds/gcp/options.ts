// What the daemon's config maps onto the GCP adapter, with defaults and the endpoint parsing that both
// SDKs need. Types only from the SDKs: importing @google-cloud/compute costs ~1.2 s, so nothing here
// loads it.
import type { InstancesClient } from '@google-cloud/compute';

/** An AuthClient (google-auth-library) as the SDK constructors accept it. */
export type GcpAuthClient = NonNullable<ConstructorParameters<typeof InstancesClient>[0]>['authClient'];

export interface GcpLaunchOptions {
  /** Boot image for every node (needed to launch, not to poll), e.g. 'projects/deeplearning-platform-release/global/images/family/common-cu124'. */
  image: string;
  /** VPC network (URL or 'global/networks/NAME'); default: the project's 'default' network. */
  network?: string;
  /** Subnetwork ('regions/REGION/subnetworks/NAME'); needed for custom-mode networks. */
  subnetwork?: string;
  /** Service account email the VM runs as (cloud-platform scope); default: none attached. */
  serviceAccount?: string;
  /** Boot disk size in GB (pd-balanced); default 100, room for CUDA images. */
  diskSizeGb?: number;
  /**
   * Give the VM an ephemeral external IP so that the agent can reach the daemon and pull images;
   * default true. Set false where Cloud NAT or a private route exists.
   */
  externalIp?: boolean;
}

export interface GcpCloudOptions {
  /** Project that VMs are launched in and listed from. */
  project: string;
  /** Regions whose zones are offered (e.g. ['us-central1', 'europe-west4']); empty = every region. */
  regions: string[];
  /**
   * One URL (http or https, optionally with a port) that replaces both compute.googleapis.com and
   * cloudbilling.googleapis.com: a VPC endpoint, a proxy or an emulator (GPUSCHED_GCP_API_ENDPOINT).
   */
  apiEndpoint?: string;
  /** API key for the Cloud Billing catalog, which accepts keys instead of credentials (GPUSCHED_GCP_API_KEY). */
  apiKey?: string;
  /** Credentials for both SDKs (tests); default: application default credentials. */
  authClient?: GcpAuthClient;
  launch: GcpLaunchOptions;
  /** Value of the `gpusched-cluster` label on every VM; `list` returns only VMs that carry it. */
  clusterLabel: string;
  /** How long the billing catalog is reused (default 24 h: SKUs change rarely, spot SKUs at most daily). */
  priceRefreshHours?: number;
  /** How long zone GPU availability (accelerator and machine types) is reused (default 10 min). */
  availabilityRefreshMinutes?: number;
  /** Per-request timeout, default 60 s; a request that takes longer fails as Transient. */
  requestTimeoutMs?: number;
  /** Tries per request for Throttled/Transient errors (default 3), with jittered exponential backoff. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** How long a launch waits for its insert operation to finish (default 5 min). */
  operationTimeoutMs?: number;
  /** How far back `list` looks for preemption operations (default 24 h). */
  preemptionLookbackHours?: number;
  now?: () => Date;
}

export interface ResolvedGcpOptions {
  project: string;
  regions: ReadonlySet<string>;
  launch: Required<Pick<GcpLaunchOptions, 'image' | 'diskSizeGb' | 'externalIp'>> & GcpLaunchOptions;
  clusterLabel: string;
  priceRefreshMs: number;
  availabilityRefreshMs: number;
  requestTimeoutMs: number;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  operationTimeoutMs: number;
  preemptionLookbackMs: number;
  now: () => Date;
}

export interface GcpEndpoint {
  apiEndpoint: string;
  port: number;
  protocol: 'http' | 'https';
}

/**
 * 'http://127.0.0.1:8085' → {apiEndpoint: '127.0.0.1', port: 8085, protocol: 'http'}; 'https://host' →
 * port 443. The SDKs take host, port and protocol apart and cannot prefix a path, so a path is an error.
 */
export function parseGcpEndpoint(url: string): GcpEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`gcp apiEndpoint '${url}' is not a URL (expected http://host:port or https://host)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`gcp apiEndpoint '${url}' must use http or https`);
  }
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '') {
    throw new Error(`gcp apiEndpoint '${url}' must not have a path or query: the SDKs add their own paths`);
  }
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  const port = u.port === '' ? (protocol === 'http' ? 80 : 443) : Number(u.port);
  return { apiEndpoint: u.hostname, port, protocol };
}

function positive(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`gcp ${name} must be a positive number, got ${v}`);
  return v;
}

export function resolveGcpOptions(o: GcpCloudOptions): ResolvedGcpOptions {
  if (!o.project) throw new Error('gcp project is required');
  if (!o.clusterLabel) throw new Error('gcp clusterLabel is required');
  return {
    project: o.project,
    regions: new Set(o.regions ?? []),
    // launch.image is checked at launch: `market fetch` needs no launch settings.
    launch: { ...o.launch, diskSizeGb: o.launch.diskSizeGb ?? 100, externalIp: o.launch.externalIp ?? true },
    clusterLabel: o.clusterLabel,
    priceRefreshMs: positive('priceRefreshHours', o.priceRefreshHours, 24) * 3_600_000,
    availabilityRefreshMs: positive('availabilityRefreshMinutes', o.availabilityRefreshMinutes, 10) * 60_000,
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 60_000),
    retry: {
      attempts: Math.max(1, Math.floor(o.retry?.attempts ?? 3)),
      baseDelayMs: Math.max(0, o.retry?.baseDelayMs ?? 500),
      maxDelayMs: Math.max(0, o.retry?.maxDelayMs ?? 10_000),
    },
    operationTimeoutMs: positive('operationTimeoutMs', o.operationTimeoutMs, 300_000),
    preemptionLookbackMs: positive('preemptionLookbackHours', o.preemptionLookbackHours, 24) * 3_600_000,
    now: o.now ?? (() => new Date()),
  };
}

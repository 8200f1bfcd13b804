// The two narrow ports between the daemon and a cloud. Every cloud adapter (and the simulated cloud)
// implements them; services depend on nothing else. Contracts are written here, on the interface,
// because callers rely on them: idempotency, what is thrown when, what a list returns.
import type { CloudName, Market, Offer } from '../core/model.js';

/** Polls what can be bought. */
export interface MarketSource {
  readonly cloud: CloudName;
  /** What kind of source this is, shown in /v1/offers `sources`: 'simulated', 'live', 'catalog'. */
  readonly kind: string;
  /**
   * Every GPU offer this source knows now, spot and on-demand, with `observedAt` = when the cloud
   * reported the price. Throws a CloudError (Throttled, AuthFailed, Transient, ...) and never returns a
   * partial list as if it were complete: the caller keeps the previous poll on error.
   */
  poll(now: Date): Promise<Offer[]>;
}

export interface LaunchRequest {
  /**
   * The daemon's node id. Used as the cloud's idempotency token (EC2 ClientToken, GCP requestId, a tag
   * on Azure) and as a tag on the instance, so that a launch retried after a crash cannot start a
   * second instance, and `list` can tell our instances apart.
   */
  nodeId: string;
  offer: Offer;
  tags: Readonly<Record<string, string>>;
  /**
   * The boot script that installs and starts the node agent (EC2 user-data, GCE startup-script, Azure
   * customData), as text; the adapter encodes it as its cloud requires. Absent for the simulated cloud.
   */
  bootstrap?: string;
}

export type InstanceState = 'pending' | 'running' | 'terminated';

export interface Instance {
  providerId: string;
  /** The node id from the instance's tag. */
  nodeId: string;
  cloud: CloudName;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
  state: InstanceState;
  launchedAt: string;
  /** Set when the cloud reclaimed (or announced it will reclaim) a spot instance. */
  interruptedAt: string | null;
}

/** Launches and terminates capacity. */
export interface CapacityProvider {
  /** The name nodes record as their `provider` ('sim', 'aws', 'gcp', 'azure'). */
  readonly name: string;
  /**
   * Starts one instance for the offer. Idempotent on `nodeId`: a second call with the same id returns
   * the first call's instance. Resolves once the cloud accepted the request (the instance may still be
   * pending). Throws InsufficientCapacity, QuotaExceeded, Throttled, AuthFailed or Transient.
   */
  launch(req: LaunchRequest): Promise<Instance>;
  /** Terminates an instance. Terminating one that is already gone succeeds (NotFound is swallowed). */
  terminate(providerId: string): Promise<void>;
  /** Every instance this daemon launched (found by tag) that is not long gone, for reconciliation. */
  list(): Promise<Instance[]>;
  /**
   * Billable hours between two instants. Real clouds bill wall-clock time; the simulated cloud bills
   * its scaled time, which is why billing asks the provider instead of subtracting dates itself.
   */
  billableHours(from: Date, to: Date): number;
}

/** What an enabled cloud gives the daemon. Each cloud's `index.ts` exports an async factory returning one. */
export interface CloudAdapter {
  market: MarketSource;
  capacity: CapacityProvider;
  /** Closes the SDK clients' connections (shutdown). */
  close?(): void | Promise<void>;
}

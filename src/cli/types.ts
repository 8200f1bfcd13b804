// The daemon's HTTP answers as the CLI reads them. These mirror the /v1 API contract rather than the
// core's types, because the wire shape (placement, labels, events) is what the CLI actually receives.
import type { JobSpec } from '../core/jobspec.js';
import type { CloudName, JobState, Market, NodeState, Offer } from '../core/model.js';
import type { Issue } from '../core/validate.js';

export type { CloudName, Issue, JobState, Market, NodeState, Offer };

export interface Placement {
  cloud: CloudName;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
  pricePerHour: number;
  nodeIds: string[];
}

export interface ApiJob {
  id: string;
  name: string;
  team: string;
  kind: 'batch' | 'inference';
  state: JobState;
  reason: string | null;
  priority: number;
  labels: Record<string, string>;
  dependsOn: string[];
  submittedAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  costUsd: number;
  expectedCostUsd: number | null;
  placement: Placement | null;
  spec: JobSpec;
}

export interface ApiJobEvent {
  at: string;
  from: string | null;
  to: string;
  reason: string;
}

export interface JobDetail extends ApiJob {
  events: ApiJobEvent[];
}

export interface JobPage {
  items: ApiJob[];
  nextCursor: string | null;
}

export interface OfferSource {
  cloud: string;
  kind: string;
  /** Null when the source has never answered yet. */
  fetchedAt: string | null;
  stale: boolean;
  /** The last attempt's error while the source is failing (its last good offers are shown). */
  lastError?: string | null;
}

export interface OfferList {
  items: Offer[];
  sources: OfferSource[];
}

export interface ApiNode {
  id: string;
  cloud: CloudName;
  provider: string;
  region: string;
  zone: string | null;
  instanceType: string;
  market: Market;
  gpu: { model: string; count: number; memoryGiB: number };
  pricePerHour: number;
  state: NodeState;
  createdAt: string;
  readyAt: string | null;
  terminatedAt: string | null;
  costUsd: number;
  jobIds: string[];
}

export interface NodeList {
  items: ApiNode[];
}

export interface CreatedToken {
  id: string;
  team: string;
  name: string | null;
  /** The secret; the daemon stores only its hash, so this is the one time it is visible. */
  token: string;
  createdAt: string;
}

export interface InterruptResult {
  node: ApiNode;
  noticeSeconds: number;
}

/** Every non-2xx body of the API. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: Issue[];
}

// GCP: the Compute Engine metadata server.
//
//   GET /computeMetadata/v1/instance/preempted          Metadata-Flavor: Google  → FALSE | TRUE (text)
//   GET /computeMetadata/v1/instance/maintenance-event  Metadata-Flavor: Google
//       → NONE | MIGRATE_ON_HOST_MAINTENANCE | TERMINATE_ON_HOST_MAINTENANCE
//
// The server refuses requests without the header (403) and puts `Metadata-Flavor: Google` on its
// answers; an answer without it did not come from a metadata server (a captive proxy, a wrong DNS entry)
// and is an error, as Google's own client libraries treat it.
//
// `preempted` turns TRUE when GCE sends the ACPI soft-off; the VM is stopped about 30 s later. GCE
// states no time, so the notice's deadline is when this watcher first saw TRUE plus that window.
//
// Plain polling, not `?wait_for_change=true`: a hanging GET answers the moment a value changes, but it
// needs one held request per key (or the whole recursive instance document), a timeout longer than the
// hang (so a dead server is noticed late), and ETag bookkeeping. A poll every second costs at most one
// second of a 30-second window, keeps the three clouds on one loop, and lets a short timeout catch a
// stuck server at once.
import {
  DEFAULT_METADATA_ENDPOINTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MetadataError,
  metadataBase,
  metadataRequest,
  type Notice,
  type NoticeWatcher,
  unexpectedAnswer,
} from './notice.js';

export const GCP_PREEMPTED_PATH = '/computeMetadata/v1/instance/preempted';
export const GCP_MAINTENANCE_EVENT_PATH = '/computeMetadata/v1/instance/maintenance-event';
export const GCP_FLAVOR_HEADER = 'Metadata-Flavor';
/** How long a preempted spot (or preemptible) VM has between the notice and its stop. */
export const GCP_PREEMPTION_WINDOW_SECONDS = 30;

export interface GcpWatcherOptions {
  /** Base URL of the metadata server. Default http://metadata.google.internal. */
  endpoint?: string;
  timeoutMs?: number;
  /** The window assumed after `preempted` turns TRUE. Default 30 s. */
  preemptionWindowSeconds?: number;
  now?: () => Date;
}

export type GcpMaintenanceEvent = 'none' | 'migrate' | 'terminate';

export class GcpNoticeWatcher implements NoticeWatcher {
  readonly cloud = 'gcp' as const;
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly windowMs: number;
  private readonly now: () => Date;
  /** When TRUE was first seen: the deadline stays the same however often it is polled again. */
  private preemptedSince: Date | null = null;

  constructor(opts: GcpWatcherOptions = {}) {
    this.endpoint = metadataBase(opts.endpoint ?? DEFAULT_METADATA_ENDPOINTS.gcp);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.windowMs = (opts.preemptionWindowSeconds ?? GCP_PREEMPTION_WINDOW_SECONDS) * 1000;
    this.now = opts.now ?? (() => new Date());
  }

  async poll(signal?: AbortSignal): Promise<Notice | null> {
    const preempted = await this.get(GCP_PREEMPTED_PATH, signal);
    if (parsePreempted(preempted)) {
      this.preemptedSince ??= this.now();
      const deadline = new Date(this.preemptedSince.getTime() + this.windowMs);
      return { cloud: 'gcp', kind: 'preempt', deadline, raw: preempted };
    }
    this.preemptedSince = null;
    const event = await this.get(GCP_MAINTENANCE_EVENT_PATH, signal);
    if (parseMaintenanceEvent(event) !== 'terminate') return null;
    // GPU VMs cannot live-migrate; GCE gives them about an hour, but says so nowhere on this endpoint.
    return { cloud: 'gcp', kind: 'maintenance', deadline: null, raw: event };
  }

  private async get(path: string, signal?: AbortSignal): Promise<string> {
    const answer = await metadataRequest({
      cloud: 'gcp',
      method: 'GET',
      url: this.endpoint + path,
      headers: { [GCP_FLAVOR_HEADER]: 'Google' },
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (answer.status !== 200) throw unexpectedAnswer('gcp', `GET ${path}`, answer);
    if (answer.headers.get(GCP_FLAVOR_HEADER) !== 'Google') {
      throw new MetadataError(
        `GET ${path}: the answer lacks "${GCP_FLAVOR_HEADER}: Google"; this is not a GCE metadata server`,
        'gcp',
        answer.status,
      );
    }
    return answer.body;
  }
}

/** `instance/preempted`: TRUE or FALSE, nothing else. */
export function parsePreempted(body: string): boolean {
  const v = body.trim();
  if (v === 'TRUE') return true;
  if (v === 'FALSE') return false;
  throw new MetadataError(`instance/preempted: expected TRUE or FALSE, got ${JSON.stringify(v)}`, 'gcp');
}

/**
 * `instance/maintenance-event`. A live migration does not stop the job, so only a termination is a
 * notice; a value this code does not know is read as a termination, since a needless checkpoint costs
 * seconds and a missed one costs the work since the last.
 */
export function parseMaintenanceEvent(body: string): GcpMaintenanceEvent {
  const v = body.trim();
  if (v === '' || v === 'NONE') return 'none';
  if (v === 'MIGRATE_ON_HOST_MAINTENANCE') return 'migrate';
  return 'terminate';
}

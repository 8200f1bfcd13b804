// Azure: Scheduled Events, part of the instance metadata service (IMDS).
//
//   GET  /metadata/scheduledevents?api-version=2020-07-01    Metadata: true
//     → {"DocumentIncarnation": N, "Events": [{"EventId", "EventStatus": "Scheduled"|"Started",
//        "EventType": "Preempt"|"Terminate"|"Reboot"|"Redeploy"|"Freeze", "ResourceType": "VirtualMachine",
//        "Resources": [vm names], "NotBefore": "<RFC 1123>" or "" once started, "EventSource",
//        "DurationInSeconds", "Description"}]}
//   POST /metadata/scheduledevents?api-version=2020-07-01    Metadata: true
//        {"StartRequests": [{"EventId": "..."}]}   → the event starts now instead of at NotBefore.
//
// A spot VM's eviction is a Preempt event with at most 30 s of notice (often less). Terminate (the VM is
// being deleted, 5 to 15 minutes ahead) is as final. Reboot and Redeploy lose the GPU's memory and the
// processes: maintenance. Freeze pauses the VM for seconds and is not worth a checkpoint.
//
// Acknowledge only once the checkpoint is written: the acknowledgement lets Azure take the VM at once.
// The first request after boot switches Scheduled Events on for the VM and may take up to two minutes to
// be answered; polls time out meanwhile and the watcher keeps trying.
import {
  DEFAULT_METADATA_ENDPOINTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MetadataError,
  metadataBase,
  metadataRequest,
  type Notice,
  type NoticeKind,
  type NoticeWatcher,
  unexpectedAnswer,
} from './notice.js';

export const AZURE_SCHEDULED_EVENTS_PATH = '/metadata/scheduledevents';
export const AZURE_API_VERSION = '2020-07-01';

export interface AzureScheduledEvent {
  EventId: string;
  EventStatus: string;
  EventType: string;
  ResourceType?: string;
  Resources: string[];
  /** RFC 1123 ("Tue, 09 Aug 2022 17:07:32 GMT"); empty once the event has started. */
  NotBefore: string;
  Description?: string;
  EventSource?: string;
  DurationInSeconds?: number;
}

export interface AzureScheduledEvents {
  DocumentIncarnation: number;
  Events: AzureScheduledEvent[];
}

export interface AzureWatcherOptions {
  /** Base URL of IMDS. Default http://169.254.169.254. */
  endpoint?: string;
  timeoutMs?: number;
  apiVersion?: string;
  /**
   * This VM's name. Events list the VMs they affect, and VMs in one availability set or scale set see
   * each other's; with a name set, events for other VMs are ignored. Unset: every event counts.
   */
  vmName?: string;
}

const KIND_OF_EVENT: Readonly<Record<string, NoticeKind>> = {
  Preempt: 'preempt',
  Terminate: 'preempt',
  Reboot: 'maintenance',
  Redeploy: 'maintenance',
};

export class AzureNoticeWatcher implements NoticeWatcher {
  readonly cloud = 'azure' as const;
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly url: string;
  private readonly vmName: string | undefined;

  constructor(opts: AzureWatcherOptions = {}) {
    this.endpoint = metadataBase(opts.endpoint ?? DEFAULT_METADATA_ENDPOINTS.azure);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const version = encodeURIComponent(opts.apiVersion ?? AZURE_API_VERSION);
    this.url = `${this.endpoint}${AZURE_SCHEDULED_EVENTS_PATH}?api-version=${version}`;
    this.vmName = opts.vmName;
  }

  async poll(signal?: AbortSignal): Promise<Notice | null> {
    const answer = await metadataRequest({
      cloud: 'azure',
      method: 'GET',
      url: this.url,
      headers: { Metadata: 'true' },
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (answer.status !== 200) throw unexpectedAnswer('azure', `GET ${AZURE_SCHEDULED_EVENTS_PATH}`, answer);
    return noticeFromScheduledEvents(answer.body, this.vmName);
  }

  /**
   * Tells Azure the VM is ready for the event (the checkpoint is written): it may start it at once.
   * Throws MetadataError when IMDS does not take it.
   */
  async acknowledge(eventId: string, signal?: AbortSignal): Promise<void> {
    const answer = await metadataRequest({
      cloud: 'azure',
      method: 'POST',
      url: this.url,
      headers: { Metadata: 'true', 'Content-Type': 'application/json' },
      body: JSON.stringify({ StartRequests: [{ EventId: eventId }] }),
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (answer.status !== 200) {
      throw unexpectedAnswer('azure', `POST ${AZURE_SCHEDULED_EVENTS_PATH} (acknowledge ${eventId})`, answer);
    }
  }
}

/** Reads and checks a Scheduled Events document. */
export function parseScheduledEvents(body: string): AzureScheduledEvents {
  const what = 'scheduledevents';
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new MetadataError(`${what}: not JSON: ${JSON.stringify(body.slice(0, 200))}`, 'azure');
  }
  const d = doc as { DocumentIncarnation?: unknown; Events?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.DocumentIncarnation !== 'number' || !Array.isArray(d.Events)) {
    throw new MetadataError(`${what}: no DocumentIncarnation or Events`, 'azure');
  }
  for (const e of d.Events as Array<Partial<AzureScheduledEvent> | null>) {
    if (
      !e ||
      typeof e.EventId !== 'string' ||
      typeof e.EventType !== 'string' ||
      typeof e.EventStatus !== 'string' ||
      !Array.isArray(e.Resources) ||
      typeof e.NotBefore !== 'string'
    ) {
      throw new MetadataError(
        `${what}: an event lacks EventId, EventType, EventStatus, Resources or NotBefore`,
        'azure',
      );
    }
  }
  return d as AzureScheduledEvents;
}

/**
 * The most pressing event of a Scheduled Events body as a notice: preempt before maintenance, then the
 * earliest NotBefore (an event already started counts as now). Null when none concerns this VM.
 */
export function noticeFromScheduledEvents(body: string, vmName?: string): Notice | null {
  const doc = parseScheduledEvents(body);
  let best: { kind: NoticeKind; deadline: Date | null; id: string } | null = null;
  for (const e of doc.Events) {
    const kind = KIND_OF_EVENT[e.EventType];
    if (!kind) continue;
    if (vmName !== undefined && !e.Resources.includes(vmName)) continue;
    const candidate = { kind, deadline: parseNotBefore(e.NotBefore), id: e.EventId };
    if (!best || moreUrgent(candidate, best)) best = candidate;
  }
  if (!best) return null;
  return { cloud: 'azure', kind: best.kind, deadline: best.deadline, raw: body, eventId: best.id };
}

function moreUrgent(
  a: { kind: NoticeKind; deadline: Date | null },
  b: { kind: NoticeKind; deadline: Date | null },
): boolean {
  if (a.kind !== b.kind) return a.kind === 'preempt';
  // A started event (NotBefore blank) is as urgent as can be.
  const at = a.deadline?.getTime() ?? Number.NEGATIVE_INFINITY;
  const bt = b.deadline?.getTime() ?? Number.NEGATIVE_INFINITY;
  return at < bt;
}

function parseNotBefore(v: string): Date | null {
  if (v.trim() === '') return null;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new MetadataError(`scheduledevents: NotBefore is not a time: ${JSON.stringify(v)}`, 'azure');
  return new Date(t);
}

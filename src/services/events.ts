// The in-process event bus: what happened, as typed events, for whoever listens (GET /v1/events, metrics,
// the dashboard). Services never call it: the store tells it of job and node state changes once they commit
// (store/outbox.ts), and the alert service of each alert it raises, so there is one place each event comes from.
//
// Every event carries an `id`: the history cursor `JOBSEQ.ALERTID` (the newest job_events row and alert at the
// time), which a client sends back as Last-Event-ID to get, from the database, what it missed while away.
// Job state changes and alerts can be replayed that way; placements, node changes and notices are live only.

import type { StoredAlert } from '../alerts/notifier.js';
import type { CloudName, GpuShape, JobState, Market, NodeRecord, NodeState } from '../core/model.js';
import type { AlertRecord } from '../store/alerts.js';
import type { AlertRow, EventLog, HistoryCursor, JobEventRow } from '../store/event-log.js';
import type { CommittedJobEvent, CommittedNodeEvent } from '../store/outbox.js';
import type { Store } from '../store/store.js';

export const EVENT_TYPES = [
  'job.transition',
  'job.placement',
  'node.transition',
  'node.notice',
  'alert',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

interface Base {
  /** The history cursor after this event (see the header); the SSE `id:`. */
  readonly id: string;
  readonly at: string;
}

interface Where {
  readonly cloud: CloudName;
  readonly region: string;
  readonly zone: string | null;
  readonly instanceType: string;
  readonly market: Market;
}

/** A job changed state (every row of job_events, the submission included). */
export interface JobTransitionEvent extends Base {
  readonly type: 'job.transition';
  readonly jobId: string;
  readonly team: string;
  readonly name: string;
  readonly from: JobState | null;
  readonly to: JobState;
  readonly reason: string;
  /** Live events only (a replayed one has none): where it is, what it cost so far, what it was expected to. */
  readonly nodeIds?: readonly string[];
  readonly costUsd?: number;
  readonly expectedCostUsd?: number | null;
}

/** The scheduler placed a job (its move to `scheduled`): where, at what price, for what expected cost. */
export interface PlacementEvent extends Base, Where {
  readonly type: 'job.placement';
  readonly jobId: string;
  readonly team: string;
  readonly name: string;
  readonly nodeIds: readonly string[];
  readonly pricePerHour: number;
  readonly expectedCostUsd: number | null;
  readonly reason: string;
}

export interface NodeTransitionEvent extends Base, Where {
  readonly type: 'node.transition';
  readonly nodeId: string;
  readonly gpu: GpuShape;
  readonly pricePerHour: number;
  /** null: the node was just created (a launch). */
  readonly from: NodeState | null;
  readonly to: NodeState;
}

/** A reclaim notice: the node drains; its jobs checkpoint and move. */
export interface NoticeEvent extends Base, Where {
  readonly type: 'node.notice';
  readonly nodeId: string;
  readonly jobIds: readonly string[];
}

export interface AlertEvent extends Base {
  readonly type: 'alert';
  readonly alertId: number;
  readonly kind: StoredAlert['kind'];
  /** Who may read it besides admins (null: admins only), as in GET /v1/alerts. */
  readonly team: string | null;
  readonly policy: string;
  readonly summary: string;
  /** Jobs the alert is about (anomalies), for ?job= filters. */
  readonly jobIds: readonly string[];
}

export type BusEvent = JobTransitionEvent | PlacementEvent | NodeTransitionEvent | NoticeEvent | AlertEvent;
type WithoutId<E> = E extends BusEvent ? Omit<E, 'id'> : never;
export type EventInput = WithoutId<BusEvent>;

export function formatCursor(c: HistoryCursor): string {
  return `${c.jobSeq}.${c.alertId}`;
}

/** A Last-Event-ID this daemon handed out, or null for anything else (then nothing is replayed). */
export function parseCursor(text: string | undefined | null): HistoryCursor | null {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(text?.trim() ?? '');
  return m ? { jobSeq: Number(m[1]), alertId: Number(m[2]) } : null;
}

export type Subscriber = (event: BusEvent) => void;

export class EventBus {
  private position: HistoryCursor;
  private readonly subscribers = new Set<Subscriber>();

  constructor(start: HistoryCursor = { jobSeq: 0, alertId: 0 }) {
    this.position = start;
  }

  /** The cursor of the newest event published (the history's at start). */
  get cursor(): HistoryCursor {
    return this.position;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Hands the event to every subscriber, in the order they subscribed. `jobSeq`/`alertId` move the cursor (a
   * job_events row, an alert). A subscriber that throws is skipped; the others still hear the event.
   */
  publish(input: EventInput, moved: Partial<HistoryCursor> = {}): BusEvent {
    this.position = {
      jobSeq: Math.max(this.position.jobSeq, moved.jobSeq ?? 0),
      alertId: Math.max(this.position.alertId, moved.alertId ?? 0),
    };
    const event = { ...input, id: formatCursor(this.position) } as BusEvent;
    for (const s of this.subscribers) {
      try {
        s(event);
      } catch {
        // One listener's failure is not the publisher's problem, nor the other listeners'.
      }
    }
    return event;
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}

// ---------------------------------------------------------------------------------------------------------
// From what the store and the alert service say to events

const where = (n: NodeRecord): Where => ({
  cloud: n.cloud,
  region: n.region,
  zone: n.zone,
  instanceType: n.instanceType,
  market: n.market,
});

export function jobTransitionEvent(e: CommittedJobEvent): WithoutId<JobTransitionEvent> {
  return {
    type: 'job.transition',
    at: e.at,
    jobId: e.jobId,
    team: e.job.team,
    name: e.job.name,
    from: e.from,
    to: e.to,
    reason: e.reason,
    nodeIds: e.job.nodeIds,
    costUsd: e.job.costUsd,
    expectedCostUsd: e.job.expectedCostUsd,
  };
}

/** The placement behind a move to `scheduled`, given the job's first node. */
export function placementEvent(e: CommittedJobEvent, node: NodeRecord): WithoutId<PlacementEvent> {
  return {
    type: 'job.placement',
    at: e.at,
    jobId: e.jobId,
    team: e.job.team,
    name: e.job.name,
    nodeIds: e.job.nodeIds,
    ...where(node),
    pricePerHour: node.pricePerHour,
    expectedCostUsd: e.job.expectedCostUsd,
    reason: e.reason,
  };
}

/** A node's state change, and the notice it carries when it drains because its cloud reclaims it. */
export function nodeEvents(
  e: CommittedNodeEvent,
  at: string,
  jobsOnNode: () => readonly string[],
): EventInput[] {
  const n = e.node;
  const out: EventInput[] = [
    {
      type: 'node.transition',
      at,
      nodeId: n.id,
      ...where(n),
      gpu: n.gpu,
      pricePerHour: n.pricePerHour,
      from: e.from,
      to: e.to,
    },
  ];
  if (e.to === 'draining' && n.interruptedAt !== null) {
    out.push({ type: 'node.notice', at: n.interruptedAt, nodeId: n.id, ...where(n), jobIds: jobsOnNode() });
  }
  return out;
}

/** The jobs an alert is about (anomalies name them; budget alerts do not). */
export function alertJobIds(alert: StoredAlert): string[] {
  switch (alert.kind) {
    case 'gpu-idle':
      return [alert.jobId];
    case 'job-failing':
    case 'price-jump':
      return [...alert.jobIds];
    default:
      return [];
  }
}

export function alertEvent(
  r: Pick<AlertRecord, 'id' | 'kind' | 'team' | 'policy' | 'summary' | 'createdAt' | 'alert'>,
): WithoutId<AlertEvent> {
  return {
    type: 'alert',
    at: r.createdAt,
    alertId: r.id,
    kind: r.kind,
    team: r.team,
    policy: r.policy,
    summary: r.summary,
    jobIds: alertJobIds(r.alert),
  };
}

/**
 * Feeds the bus from the store: every committed job state change (and, for a move to `scheduled`, the
 * placement), every node state change (and a notice). Returns the way to stop.
 */
export function connectStore(bus: EventBus, store: Store, now: () => Date): () => void {
  return store.outbox.listen((e) => {
    if (e.kind === 'job') {
      bus.publish(jobTransitionEvent(e), { jobSeq: e.seq });
      if (e.to === 'scheduled') {
        const node = e.job.nodeIds.length > 0 ? store.nodes.get(e.job.nodeIds[0]!) : null;
        if (node) bus.publish(placementEvent(e, node));
      }
      return;
    }
    const at = now().toISOString();
    for (const input of nodeEvents(e, at, () => store.jobs.onNode(e.node.id).map((j) => j.id))) {
      bus.publish(input);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Who sees what, and the wire format

export interface EventFilter {
  /** Only this team's job events and alerts (a team caller always; an admin with ?team=); absent: all. */
  readonly team?: string | undefined;
  /** Only these types; absent: all. */
  readonly types?: ReadonlySet<EventType> | undefined;
  /** Only events about this job (its state changes and placement, notices and alerts naming it). */
  readonly jobId?: string | undefined;
}

/**
 * Whether the event passes the filter. Job events and alerts are a team's own (alerts for admins only when
 * they name no team); node events are everyone's, as GET /v1/nodes is.
 */
export function visible(event: BusEvent, f: EventFilter): boolean {
  if (f.types && !f.types.has(event.type)) return false;
  switch (event.type) {
    case 'job.transition':
    case 'job.placement':
      return (
        (f.jobId === undefined || event.jobId === f.jobId) && (f.team === undefined || event.team === f.team)
      );
    case 'alert':
      return (
        (f.jobId === undefined || event.jobIds.includes(f.jobId)) &&
        (f.team === undefined || event.team === f.team)
      );
    case 'node.notice':
      return f.jobId === undefined || event.jobIds.includes(f.jobId);
    case 'node.transition':
      return f.jobId === undefined;
  }
}

/** One Server-Sent Events frame. JSON has no raw newlines, so `data:` is one line. */
export function sseFrame(name: string, id: string | null, data: unknown): string {
  return `${id === null ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function eventFrame(event: BusEvent): string {
  return sseFrame(event.type, event.id, event);
}

export interface Replay {
  readonly events: BusEvent[];
  /** More was missed than is replayed: the client should reload what it shows (a `gap` frame says so). */
  readonly gap: boolean;
}

/**
 * What a client that last saw `from` missed, from the database: job state changes and alerts, oldest first,
 * each with the cursor after it. More than `limit` of either: nothing is replayed and `gap` is set.
 */
export function replay(log: EventLog, from: HistoryCursor, f: EventFilter, limit: number): Replay {
  const wantJobs = !f.types || f.types.has('job.transition');
  const wantAlerts = !f.types || f.types.has('alert');
  const jobs: JobEventRow[] = wantJobs
    ? log.jobEventsAfter(from.jobSeq, { team: f.team, jobId: f.jobId, limit: limit + 1 })
    : [];
  const alerts: AlertRow[] = wantAlerts
    ? log.alertsAfter(from.alertId, { team: f.team, limit: limit + 1 })
    : [];
  if (jobs.length > limit || alerts.length > limit) return { events: [], gap: true };
  // Each list keeps its own order (its cursor only grows); between them, the earlier event goes first.
  const events: BusEvent[] = [];
  let cursor = from;
  let i = 0;
  let k = 0;
  while (i < jobs.length || k < alerts.length) {
    const job = jobs[i];
    const alert = alerts[k];
    let event: BusEvent;
    if (job !== undefined && (alert === undefined || job.at <= alert.createdAt)) {
      i++;
      cursor = { ...cursor, jobSeq: Math.max(cursor.jobSeq, job.seq) };
      event = {
        type: 'job.transition',
        id: formatCursor(cursor),
        at: job.at,
        jobId: job.jobId,
        team: job.team,
        name: job.name,
        from: job.from,
        to: job.to,
        reason: job.reason,
      };
    } else {
      const a = alert!;
      k++;
      cursor = { ...cursor, alertId: Math.max(cursor.alertId, a.id) };
      event = { ...alertEvent(a), id: formatCursor(cursor) };
    }
    if (visible(event, f)) events.push(event);
  }
  return { events, gap: false };
}

// The event bus and what it hands on: cursors, who sees what, the SSE frame, node notices, alert subjects.
import { describe, expect, it } from 'vitest';
import type { StoredAlert } from '../../src/alerts/notifier.js';
import type { NodeRecord } from '../../src/core/model.js';
import {
  alertJobIds,
  type BusEvent,
  EventBus,
  type EventFilter,
  eventFrame,
  formatCursor,
  jobTransitionEvent,
  nodeEvents,
  parseCursor,
  placementEvent,
  sseFrame,
  visible,
} from '../../src/services/events.js';
import { job, T0 } from '../helpers/builders.js';

const AT = T0.toISOString();

const NODE: NodeRecord = {
  id: 'node-1',
  cloud: 'aws',
  provider: 'sim',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'g5.xlarge',
  market: 'spot',
  gpu: { model: 'A10G', count: 1, memoryGiB: 24 },
  pricePerHour: 0.5,
  state: 'ready',
  providerId: 'i-1',
  createdAt: AT,
  readyAt: AT,
  lastBusyAt: AT,
  terminatedAt: null,
  interruptedAt: null,
  costUsd: 0,
};

const transition = (over: Partial<BusEvent> = {}): BusEvent =>
  ({
    type: 'job.transition',
    id: '1.0',
    at: AT,
    jobId: 'job-a',
    team: 'research',
    name: 'train',
    from: 'queued',
    to: 'scheduled',
    reason: 'placed',
    ...over,
  }) as BusEvent;

const alert = (over: Partial<BusEvent> = {}): BusEvent =>
  ({
    type: 'alert',
    id: '1.1',
    at: AT,
    alertId: 1,
    kind: 'gpu-idle',
    team: 'research',
    policy: 'job:job-a',
    summary: 'idle',
    jobIds: ['job-a'],
    ...over,
  }) as BusEvent;

const nodeEvent = (type: 'node.transition' | 'node.notice', over: Partial<BusEvent> = {}): BusEvent =>
  ({
    type,
    id: '1.1',
    at: AT,
    nodeId: 'node-1',
    cloud: 'aws',
    region: 'us-east-1',
    zone: null,
    instanceType: 'g5.xlarge',
    market: 'spot',
    gpu: NODE.gpu,
    pricePerHour: 1,
    from: 'ready',
    to: 'draining',
    jobIds: ['job-a'],
    ...over,
  }) as BusEvent;

describe('cursors: JOBSEQ.ALERTID', () => {
  it.each([
    ['12.3', { jobSeq: 12, alertId: 3 }],
    [' 0.0 ', { jobSeq: 0, alertId: 0 }],
  ])('reads %j', (text, cursor) => {
    expect(parseCursor(text)).toEqual(cursor);
    expect(parseCursor(formatCursor(cursor))).toEqual(cursor);
  });

  it.each([undefined, null, '', '12', 'a.b', '1.2.3', '-1.0', '1e3.0'])(
    'refuses %j (nothing is replayed)',
    (text) => {
      expect(parseCursor(text)).toBeNull();
    },
  );
});

describe('the bus', () => {
  it('hands each event to every subscriber in order, with the cursor after it as its id', () => {
    const bus = new EventBus({ jobSeq: 10, alertId: 2 });
    const a: string[] = [];
    const b: string[] = [];
    bus.subscribe((e) => a.push(`${e.type}@${e.id}`));
    bus.subscribe((e) => b.push(e.id));
    const { id: _id, ...input } = transition();
    bus.publish(input as never, { jobSeq: 11 });
    const { id: _id2, ...alertInput } = alert();
    bus.publish(alertInput as never, { alertId: 3 });
    bus.publish(nodeEvent('node.transition') as never);
    expect(a).toEqual(['job.transition@11.2', 'alert@11.3', 'node.transition@11.3']);
    expect(b).toEqual(['11.2', '11.3', '11.3']);
    expect(bus.cursor).toEqual({ jobSeq: 11, alertId: 3 });
  });

  it('never moves the cursor back', () => {
    const bus = new EventBus({ jobSeq: 10, alertId: 2 });
    bus.publish(transition() as never, { jobSeq: 4, alertId: 1 });
    expect(bus.cursor).toEqual({ jobSeq: 10, alertId: 2 });
  });

  it('keeps going when a subscriber throws, and stops a subscriber that unsubscribed', () => {
    const bus = new EventBus();
    const heard: string[] = [];
    bus.subscribe(() => {
      throw new Error('boom');
    });
    const stop = bus.subscribe((e) => heard.push(e.type));
    bus.publish(transition() as never);
    stop();
    bus.publish(transition() as never);
    expect(heard).toEqual(['job.transition']);
    expect(bus.subscriberCount).toBe(1);
  });
});

describe('who sees what', () => {
  const cases: [string, BusEvent, EventFilter, boolean][] = [
    ['a team sees its own job', transition(), { team: 'research' }, true],
    [
      "a team does not see another team's job",
      transition({ team: 'vision' } as never),
      { team: 'research' },
      false,
    ],
    ['an admin (no team filter) sees every job', transition({ team: 'vision' } as never), {}, true],
    ['a team sees its alerts', alert(), { team: 'research' }, true],
    ['an alert for admins only is not a team’s', alert({ team: null } as never), { team: 'research' }, false],
    ['an admin sees alerts for admins', alert({ team: null } as never), {}, true],
    ['the fleet is everyone’s', nodeEvent('node.transition'), { team: 'research' }, true],
    ['a notice is everyone’s', nodeEvent('node.notice'), { team: 'vision' }, true],
    ['a type filter keeps its types', transition(), { types: new Set(['alert']) }, false],
    ['a job filter keeps the job', transition(), { jobId: 'job-a' }, true],
    ['a job filter drops other jobs', transition(), { jobId: 'job-b' }, false],
    ['a job filter keeps a notice naming it', nodeEvent('node.notice'), { jobId: 'job-a' }, true],
    ['a job filter drops node transitions', nodeEvent('node.transition'), { jobId: 'job-a' }, false],
    ['a job filter keeps an alert about it', alert(), { jobId: 'job-a' }, true],
    ['a job filter drops a budget alert', alert({ jobIds: [] } as never), { jobId: 'job-a' }, false],
  ];
  it.each(cases)('%s', (_what, event, filter, expected) => {
    expect(visible(event, filter)).toBe(expected);
  });
});

describe('the wire format', () => {
  it('is one frame per event: id, event name, one data line of JSON, a blank line', () => {
    const e = transition({ reason: 'line one\nline two' } as never);
    const frame = eventFrame(e);
    expect(frame.split('\n')).toEqual([
      'id: 1.0',
      'event: job.transition',
      `data: ${JSON.stringify(e)}`,
      '',
      '',
    ]);
  });

  it('a control frame may have no id', () => {
    expect(sseFrame('gap', null, { reason: 'x' })).toBe('event: gap\ndata: {"reason":"x"}\n\n');
  });
});

describe('from the store to events', () => {
  it('a job event carries the job’s team, name, nodes and money', () => {
    const j = job({ id: 'job-a', state: 'scheduled', nodeIds: ['node-1'], expectedCostUsd: 3, costUsd: 1 });
    const e = jobTransitionEvent({
      kind: 'job',
      seq: 5,
      jobId: 'job-a',
      at: AT,
      from: 'queued',
      to: 'scheduled',
      reason: 'placed',
      job: j,
    });
    expect(e).toMatchObject({ type: 'job.transition', team: 'research', name: 'train', nodeIds: ['node-1'] });
    expect(e).toMatchObject({ costUsd: 1, expectedCostUsd: 3 });
    const p = placementEvent(
      {
        kind: 'job',
        seq: 5,
        jobId: 'job-a',
        at: AT,
        from: 'queued',
        to: 'scheduled',
        reason: 'placed',
        job: j,
      },
      NODE,
    );
    expect(p).toMatchObject({
      type: 'job.placement',
      cloud: 'aws',
      region: 'us-east-1',
      market: 'spot',
      pricePerHour: 0.5,
      expectedCostUsd: 3,
    });
  });

  it('a node draining with interruptedAt set is a notice, with the jobs on it', () => {
    const at = '2026-11-28T12:00:05.000Z';
    const events = nodeEvents(
      {
        kind: 'node',
        from: 'ready',
        to: 'draining',
        node: { ...NODE, state: 'draining', interruptedAt: AT },
      },
      at,
      () => ['job-a', 'job-b'],
    );
    expect(events.map((e) => e.type)).toEqual(['node.transition', 'node.notice']);
    expect(events[1]).toMatchObject({ at: AT, nodeId: 'node-1', jobIds: ['job-a', 'job-b'] });
  });

  it('a node drained by consolidation (no interruptedAt) is no notice', () => {
    const events = nodeEvents(
      { kind: 'node', from: 'ready', to: 'draining', node: { ...NODE, state: 'draining' } },
      AT,
      () => [],
    );
    expect(events.map((e) => e.type)).toEqual(['node.transition']);
  });

  it.each<[string, Partial<StoredAlert>, string[]]>([
    ['gpu-idle names its job', { kind: 'gpu-idle', jobId: 'job-a' }, ['job-a']],
    ['job-failing names the failed jobs', { kind: 'job-failing', jobIds: ['j1', 'j2'] }, ['j1', 'j2']],
    ['price-jump names the jobs on the node', { kind: 'price-jump', jobIds: ['j3'] }, ['j3']],
    ['a budget alert names none', { kind: 'limit' }, []],
  ])('%s', (_what, a, ids) => {
    expect(alertJobIds(a as StoredAlert)).toEqual(ids);
  });
});

// The notice watchers' pure parse functions on the real metadata bodies in test/fixtures/metadata (copied
// from the shared data set, byte for byte), then on the bodies the fixtures do not show: the other
// actions and event types, and what a broken or impostor server may send.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInstanceAction, parseRebalance, parseScheduledEvents } from '../../src/agent/watchers/aws.js';
import {
  noticeFromScheduledEvents,
  parseScheduledEvents as parseAzureScheduledEvents,
} from '../../src/agent/watchers/azure.js';
import { parseMaintenanceEvent, parsePreempted } from '../../src/agent/watchers/gcp.js';
import {
  DEFAULT_METADATA_ENDPOINTS,
  MetadataError,
  metadataBase,
  type Notice,
  noticeKey,
} from '../../src/agent/watchers/notice.js';

const fixture = (path: string) =>
  readFileSync(new URL(`../fixtures/metadata/${path}`, import.meta.url), 'utf8');

describe('AWS IMDS bodies', () => {
  it('reads the real spot/instance-action as a preempt notice due at its time', () => {
    const body = fixture('aws/imds.spot.instance-action.json');
    expect(parseInstanceAction(body)).toEqual({
      cloud: 'aws',
      kind: 'preempt',
      deadline: new Date('2020-04-24T17:11:44Z'),
      raw: body,
    });
  });

  it.each(['terminate', 'stop', 'hibernate'])(
    'takes action "%s" as a preempt: the GPU goes either way',
    (action) => {
      const n = parseInstanceAction(JSON.stringify({ action, time: '2026-01-01T00:02:00Z' }));
      expect(n.kind).toBe('preempt');
      expect(n.deadline?.toISOString()).toBe('2026-01-01T00:02:00.000Z');
    },
  );

  it('reads the real rebalance recommendation as a rebalance with no deadline', () => {
    const body = fixture('aws/imds.events.recommendations.rebalance.json');
    expect(parseRebalance(body)).toEqual({ cloud: 'aws', kind: 'rebalance', deadline: null, raw: body });
  });

  it('ignores the real scheduled event: it is completed', () => {
    expect(parseScheduledEvents(fixture('aws/imds.events.maintenance.scheduled.json'))).toBeNull();
  });

  it('reads an active scheduled event (the real one, made active) with its odd time format', () => {
    const event = JSON.parse(fixture('aws/imds.events.maintenance.scheduled.json'));
    const body = JSON.stringify([{ ...event, State: 'active' }]);
    expect(parseScheduledEvents(body)).toEqual({
      cloud: 'aws',
      kind: 'maintenance',
      deadline: new Date('2020-01-01T01:03:47Z'),
      raw: body,
      eventId: 'instance-event-1234567890abcdef0',
    });
  });

  it('picks the earliest active event of several, and nothing from an empty list', () => {
    const body = JSON.stringify([
      { EventId: 'late', State: 'active', NotBefore: '9 Jan 2020 00:00:00 GMT' },
      { EventId: 'gone', State: 'canceled', NotBefore: '1 Jan 2020 00:00:00 GMT' },
      { EventId: 'early', State: 'active', NotBefore: '5 Jan 2020 00:00:00 GMT' },
    ]);
    expect(parseScheduledEvents(body)?.eventId).toBe('early');
    expect(parseScheduledEvents('[]')).toBeNull();
    expect(parseScheduledEvents('')).toBeNull();
  });

  it.each([
    ['not JSON (an HTML error page)', parseInstanceAction, '<html>500</html>', /not JSON/],
    ['no action', parseInstanceAction, '{"time":"2020-04-24T17:11:44Z"}', /no action/],
    ['a time that is no time', parseInstanceAction, '{"action":"terminate","time":"soon"}', /not a time/],
    ['a rebalance without noticeTime', parseRebalance, '{}', /not a time/],
    ['a scheduled event without NotBefore', parseScheduledEvents, '[{"State":"active"}]', /not a time/],
  ] as const)('calls %s malformed', (_case, parse, body, message) => {
    expect(() => parse(body)).toThrow(MetadataError);
    expect(() => parse(body)).toThrow(message);
  });
});

describe('GCP metadata bodies', () => {
  it.each([
    ['metadata.instance.preempted.TRUE.txt', true],
    ['metadata.instance.preempted.FALSE.txt', false],
  ])('reads the real %s', (file, preempted) => {
    expect(parsePreempted(fixture(`gcp/${file}`))).toBe(preempted);
  });

  it.each([
    ['metadata.instance.maintenance-event.NONE.txt', 'none'],
    ['metadata.instance.maintenance-event.TERMINATE_ON_HOST_MAINTENANCE.txt', 'terminate'],
  ])('reads the real %s', (file, event) => {
    expect(parseMaintenanceEvent(fixture(`gcp/${file}`))).toBe(event);
  });

  it('takes a live migration as no notice (the job keeps running) and an unknown value as a termination', () => {
    expect(parseMaintenanceEvent('MIGRATE_ON_HOST_MAINTENANCE')).toBe('migrate');
    // A needless checkpoint costs seconds; a missed one costs the work since the last.
    expect(parseMaintenanceEvent('SOMETHING_NEW_ON_HOST_MAINTENANCE')).toBe('terminate');
  });

  it('tolerates a trailing newline but nothing else in preempted', () => {
    expect(parsePreempted('TRUE\n')).toBe(true);
    expect(() => parsePreempted('true')).toThrow(/expected TRUE or FALSE/);
    expect(() => parsePreempted('<html>')).toThrow(MetadataError);
  });
});

describe('Azure Scheduled Events bodies', () => {
  const preempt = fixture('azure/imds.scheduledevents.preempt.json');

  it('reads the real Preempt document (from az vm simulate-eviction)', () => {
    expect(noticeFromScheduledEvents(preempt)).toEqual({
      cloud: 'azure',
      kind: 'preempt',
      deadline: new Date('2022-08-09T17:07:32Z'),
      raw: preempt,
      eventId: 'C1BF8322-4CBF-4FC4-9C45-B40CF3106D0E',
    });
    expect(parseAzureScheduledEvents(preempt).DocumentIncarnation).toBe(1);
  });

  it('keeps the event for this VM and ignores events for its neighbours', () => {
    expect(noticeFromScheduledEvents(preempt, 'vm-spot')?.kind).toBe('preempt');
    expect(noticeFromScheduledEvents(preempt, 'some-other-vm')).toBeNull();
  });

  const doc = (...events: Array<Record<string, unknown>>) =>
    JSON.stringify({
      DocumentIncarnation: 3,
      Events: events.map((e, i) => ({
        EventId: `E${i}`,
        EventStatus: 'Scheduled',
        ResourceType: 'VirtualMachine',
        Resources: ['vm-a'],
        NotBefore: 'Tue, 09 Aug 2022 17:07:32 GMT',
        ...e,
      })),
    });

  it.each([
    ['Preempt', 'preempt'],
    ['Terminate', 'preempt'],
    ['Reboot', 'maintenance'],
    ['Redeploy', 'maintenance'],
    ['Freeze', null],
  ])('maps a %s event to %s', (type, kind) => {
    expect(noticeFromScheduledEvents(doc({ EventType: type }))?.kind ?? null).toBe(kind);
  });

  it('prefers a preemption to an earlier reboot, and the earlier of two reboots', () => {
    const body = doc(
      { EventType: 'Reboot', NotBefore: 'Tue, 09 Aug 2022 17:00:00 GMT' },
      { EventType: 'Preempt', NotBefore: 'Tue, 09 Aug 2022 17:07:32 GMT' },
    );
    expect(noticeFromScheduledEvents(body)?.eventId).toBe('E1');
    const reboots = doc(
      { EventType: 'Reboot', NotBefore: 'Tue, 09 Aug 2022 18:00:00 GMT' },
      { EventType: 'Reboot', NotBefore: 'Tue, 09 Aug 2022 17:00:00 GMT' },
    );
    expect(noticeFromScheduledEvents(reboots)?.eventId).toBe('E1');
  });

  it('gives an acknowledged (Started) event, whose NotBefore is blank, no deadline', () => {
    const n = noticeFromScheduledEvents(doc({ EventType: 'Preempt', EventStatus: 'Started', NotBefore: '' }));
    expect(n).toMatchObject({ kind: 'preempt', deadline: null, eventId: 'E0' });
  });

  it('reads an empty document as no notice', () => {
    expect(noticeFromScheduledEvents('{"DocumentIncarnation":0,"Events":[]}')).toBeNull();
  });

  it.each([
    ['not JSON', '<html>'],
    ['no Events', '{"DocumentIncarnation":1}'],
    ['an event without EventId', '{"DocumentIncarnation":1,"Events":[{"EventType":"Preempt"}]}'],
    ['a NotBefore that is no time', doc({ EventType: 'Preempt', NotBefore: 'later' })],
  ])('calls %s malformed', (_case, body) => {
    expect(() => noticeFromScheduledEvents(body)).toThrow(MetadataError);
  });
});

describe('notice identity', () => {
  const n = (over: Partial<Notice>): Notice => ({
    cloud: 'aws',
    kind: 'preempt',
    deadline: new Date('2026-01-01T00:02:00Z'),
    raw: '{}',
    ...over,
  });

  it('names an event by its id, whatever its body and deadline do later', () => {
    const scheduled = n({ cloud: 'azure', eventId: 'E1', raw: 'a' });
    const started = n({ cloud: 'azure', eventId: 'E1', raw: 'b', deadline: null });
    expect(noticeKey(scheduled)).toBe(noticeKey(started));
  });

  it('tells notices without an id apart by kind and deadline', () => {
    expect(noticeKey(n({}))).toBe(noticeKey(n({ raw: 'same notice, polled again' })));
    expect(noticeKey(n({}))).not.toBe(noticeKey(n({ deadline: new Date('2026-01-01T00:05:00Z') })));
    expect(noticeKey(n({ kind: 'rebalance', deadline: null }))).not.toBe(noticeKey(n({})));
  });
});

describe('metadata endpoints', () => {
  it.each([
    ['http://169.254.169.254', 'http://169.254.169.254'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    // GCE_METADATA_HOST is written without a scheme.
    ['127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('takes %s as %s', (given, base) => {
    expect(metadataBase(given)).toBe(base);
  });

  it('refuses a scheme other than http(s)', () => {
    expect(() => metadataBase('file:///etc/passwd')).toThrow(/http/);
  });

  it('defaults to each cloud link-local server', () => {
    expect(DEFAULT_METADATA_ENDPOINTS).toEqual({
      aws: 'http://169.254.169.254',
      gcp: 'http://metadata.google.internal',
      azure: 'http://169.254.169.254',
    });
  });
});

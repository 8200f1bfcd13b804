// The store tells of job and node changes only once they commit (store/outbox.ts): the event bus never hears
// of a write that was rolled back, and hears of a transaction's changes together, after it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queuedJob } from '../../src/core/model.js';
import type { CommittedEvent } from '../../src/store/outbox.js';
import { openStore, type Store } from '../../src/store/store.js';
import { spec, T0 } from '../helpers/builders.js';

let store: Store;
let heard: string[];

const later = (s: number) => new Date(T0.getTime() + s * 1000);
const describeEvent = (e: CommittedEvent) =>
  e.kind === 'job'
    ? `job ${e.jobId} ${e.from ?? '-'}→${e.to} #${e.seq}`
    : `node ${e.node.id} ${e.from ?? '-'}→${e.to}`;

function submit(id: string): void {
  store.jobs.insert(queuedJob({ id, team: 'research', spec: spec(), submittedAt: T0.toISOString() }));
}

beforeEach(() => {
  store = openStore(':memory:');
  heard = [];
  store.outbox.listen((e) => heard.push(describeEvent(e)));
});
afterEach(() => store.close());

describe('the outbox', () => {
  it('tells of a transition outside a transaction at once, with its job_events sequence number', () => {
    submit('job-a');
    store.jobs.transition('job-a', 'held', 'waiting', later(1));
    expect(heard).toEqual(['job job-a -→queued #1', 'job job-a queued→held #2']);
  });

  it('tells of a transaction’s changes after it commits, in order', () => {
    const during: number[] = [];
    store.tx(() => {
      submit('job-a');
      store.jobs.transition('job-a', 'held', 'waiting', later(1));
      during.push(heard.length);
    });
    expect(during).toEqual([0]);
    expect(heard).toEqual(['job job-a -→queued #1', 'job job-a queued→held #2']);
  });

  it('forgets what a rolled-back transaction did', () => {
    expect(() =>
      store.tx(() => {
        submit('job-a');
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(heard).toEqual([]);
    expect(store.jobs.get('job-a')).toBeNull();
  });

  it('forgets a nested transaction that rolled back while the outer one goes on', () => {
    store.tx(() => {
      submit('job-a');
      try {
        store.tx(() => {
          store.jobs.transition('job-a', 'held', 'waiting', later(1));
          throw new Error('inner');
        });
      } catch {
        // the outer transaction carries on
      }
      store.jobs.transition('job-a', 'cancelled', 'by test', later(2));
    });
    expect(heard).toEqual(['job job-a -→queued #1', 'job job-a queued→cancelled #2']);
  });

  it('a refused transition tells nothing', () => {
    submit('job-a');
    expect(() => store.jobs.transition('job-a', 'succeeded', 'no', later(1))).toThrow();
    expect(heard).toEqual(['job job-a -→queued #1']);
  });

  it('tells of nodes created and their transitions too', () => {
    const at = T0.toISOString();
    store.nodes.insert({
      id: 'node-1',
      cloud: 'aws',
      provider: 'sim',
      region: 'us-east-1',
      zone: null,
      instanceType: 'g5.xlarge',
      market: 'spot',
      gpu: { model: 'A10G', count: 1, memoryGiB: 24 },
      pricePerHour: 1,
      state: 'provisioning',
      providerId: null,
      createdAt: at,
      readyAt: null,
      lastBusyAt: at,
      terminatedAt: null,
      interruptedAt: null,
      costUsd: 0,
    });
    store.nodes.transition('node-1', 'ready', { readyAt: at });
    store.nodes.transition('node-1', 'draining', { interruptedAt: at });
    expect(heard).toEqual([
      'node node-1 -→provisioning',
      'node node-1 provisioning→ready',
      'node node-1 ready→draining',
    ]);
  });

  it('a listener that throws breaks neither the write nor the other listeners', () => {
    store.outbox.listen(() => {
      throw new Error('listener');
    });
    const after: string[] = [];
    store.outbox.listen((e) => after.push(e.kind));
    submit('job-a');
    expect(store.jobs.get('job-a')?.state).toBe('queued');
    expect(after).toEqual(['job']);
  });
});

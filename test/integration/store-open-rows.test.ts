// Open jobs and live nodes are read from memory (store/jobs.ts, store/nodes.ts): what a read returns must always
// be what the database holds, after writes, after rolled-back transactions (nested ones too), and in the order
// the SQL reads promise. Each case compares the in-memory answer with a second store that reads the same
// database without a copy in memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPEN_JOB_STATES } from '../../src/core/lifecycle.js';
import { poolKey, queuedJob } from '../../src/core/model.js';
import { openStore, Store } from '../../src/store/store.js';
import { node, offer, spec, T0 } from '../helpers/builders.js';

let store: Store;
/** Reads the same connection afresh: every read of a new Store loads its copies from the database. */
const fresh = () => new Store(store.db);
const later = (s: number) => new Date(T0.getTime() + s * 1000);

function submit(id: string): void {
  store.jobs.insert(queuedJob({ id, team: 'research', spec: spec(), submittedAt: T0.toISOString() }));
}

function launch(id: string, createdAtSeconds: number): void {
  const { jobIds: _, ...record } = node({
    id,
    state: 'provisioning',
    createdAt: later(createdAtSeconds).toISOString(),
  });
  store.nodes.insert(record);
}

function expectSameAsDatabase(): void {
  const db = fresh();
  expect(store.jobs.inStates(OPEN_JOB_STATES)).toEqual(db.jobs.inStates(OPEN_JOB_STATES));
  expect(store.nodes.list(['provisioning', 'ready', 'draining'])).toEqual(
    db.nodes.list(['provisioning', 'ready', 'draining']),
  );
  for (const j of db.jobs.list({ limit: 100 }).jobs) expect(store.jobs.get(j.id)).toEqual(j);
  // A limit makes the list a query of the database.
  expect(store.offers.list()).toEqual(db.offers.list({ limit: 1000 }));
  expect(store.slots.byNode()).toEqual(db.slots.byNode());
}

beforeEach(() => {
  store = openStore(':memory:');
  // Load the copies before anything is written, so that every write below has to keep them true.
  store.jobs.inStates(['queued']);
  store.nodes.list(['ready']);
  store.slots.byNode();
});
afterEach(() => store.close());

describe('jobs and nodes read from memory', () => {
  it('follow every write: insert, transition, update, and a job that finishes', () => {
    submit('job-a');
    submit('job-b');
    store.jobs.transition('job-a', 'held', 'waiting', later(1));
    store.jobs.update('job-b', later(2), { reason: 'no capacity', addCostUsd: 1.5 });
    store.jobs.transition('job-b', 'cancelled', 'by user', later(3));
    expectSameAsDatabase();
    expect(store.jobs.inStates(['queued', 'held']).map((j) => j.id)).toEqual(['job-a']);
    expect(store.jobs.get('job-b')?.state).toBe('cancelled');
  });

  it('follow every field a write can set, through a job’s life', () => {
    submit('job-a');
    const steps: [Parameters<Store['jobs']['transition']>[1], object][] = [
      ['scheduled', { nodeIds: ['node-1', 'node-2'], expectedCostUsd: 12.5 }],
      ['provisioning', {}],
      ['running', { startedAt: later(10).toISOString() }],
      ['checkpointing', { safetyNet: true }],
      [
        'migrating',
        {
          checkpoint: {
            path: 'step-3',
            step: 3,
            at: later(20).toISOString(),
            bytes: 1024,
            region: 'aws:us-east-1',
          },
          progress: 0.25,
        },
      ],
      ['queued', { nodeIds: [], startedAt: null, addCostUsd: 0.1 }],
      ['scheduled', { nodeIds: ['node-3'], addCostUsd: 0.2 }],
      ['provisioning', {}],
      ['running', { startedAt: later(40).toISOString() }],
      ['succeeded', { finishedAt: later(50).toISOString(), addCostUsd: 1 / 3 }],
    ];
    steps.forEach(([to, patch], i) => {
      store.jobs.transition('job-a', to, `step ${i}`, later(i + 1), patch);
      expectSameAsDatabase();
      expect(store.jobs.get('job-a')).toEqual(fresh().jobs.get('job-a'));
    });
  });

  it('follow every field a write can set, through a node’s life', () => {
    launch('node-1', 0);
    const steps: [() => void, string][] = [
      [() => store.nodes.update('node-1', { providerId: 'sim-1' }), 'launched'],
      [
        () =>
          store.nodes.transition('node-1', 'ready', {
            readyAt: later(60).toISOString(),
            lastBusyAt: later(60).toISOString(),
          }),
        'ready',
      ],
      [() => store.nodes.update('node-1', { lastBusyAt: later(90).toISOString() }), 'busy'],
      [
        () => store.nodes.transition('node-1', 'draining', { interruptedAt: later(100).toISOString() }),
        'notice',
      ],
      [() => store.nodes.transition('node-1', 'terminating'), 'terminating'],
      [
        () =>
          store.nodes.transition('node-1', 'terminated', {
            terminatedAt: later(120).toISOString(),
            costUsd: 0.7,
          }),
        'gone',
      ],
    ];
    for (const [step] of steps) {
      step();
      expectSameAsDatabase();
      expect(store.nodes.get('node-1')).toEqual(fresh().nodes.get('node-1'));
    }
  });

  it('forget a rolled-back transaction', () => {
    submit('job-a');
    launch('node-1', 0);
    expect(() =>
      store.tx(() => {
        store.jobs.transition('job-a', 'held', 'waiting', later(1));
        store.nodes.transition('node-1', 'ready', { readyAt: later(1).toISOString() });
        submit('job-b');
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.jobs.get('job-a')?.state).toBe('queued');
    expect(store.jobs.get('job-b')).toBeNull();
    expect(store.nodes.get('node-1')?.state).toBe('provisioning');
    expectSameAsDatabase();
  });

  it('forget a nested transaction that rolled back while the outer one commits', () => {
    submit('job-a');
    store.tx(() => {
      store.jobs.transition('job-a', 'held', 'waiting', later(1));
      expect(() =>
        store.tx(() => {
          store.jobs.transition('job-a', 'queued', 'released', later(2));
          throw new Error('inner');
        }),
      ).toThrow('inner');
      expect(store.jobs.get('job-a')?.state).toBe('held');
    });
    expect(store.jobs.get('job-a')?.state).toBe('held');
    expectSameAsDatabase();
  });

  it('keep slots by node as they are placed, given back with the job, and rolled back', () => {
    launch('node-1', 0);
    for (const id of ['job-b', 'job-a']) {
      submit(id);
      store.jobs.transition(id, 'scheduled', 'placed', later(1), { nodeIds: ['node-1'] });
    }
    const slot = (jobId: string, unit: number, gpu: number) => ({
      jobId,
      unit,
      nodeId: 'node-1',
      team: 'research',
      slot: { kind: 'whole' as const, gpuIndices: [gpu] },
      assignedAt: later(1).toISOString(),
    });
    store.slots.put(slot('job-b', 0, 0));
    store.slots.put(slot('job-a', 1, 1));
    store.slots.put(slot('job-a', 0, 2));
    expect(
      store.slots
        .byNode()
        .get('node-1')
        ?.map((r) => `${r.jobId}/${r.unit}`),
    ).toEqual(['job-a/0', 'job-a/1', 'job-b/0']);
    expectSameAsDatabase();
    store.jobs.transition('job-a', 'queued', 'requeued', later(2), { nodeIds: [] });
    expect(
      store.slots
        .byNode()
        .get('node-1')
        ?.map((r) => r.jobId),
    ).toEqual(['job-b']);
    expect(() =>
      store.tx(() => {
        store.slots.put(slot('job-b', 1, 3));
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.slots.byNode().get('node-1')).toHaveLength(1);
    expectSameAsDatabase();
  });

  it('list nodes in creation order, a node launched with an earlier time included', () => {
    launch('node-b', 10);
    launch('node-c', 20);
    launch('node-a', 5);
    store.nodes.transition('node-c', 'terminated', { terminatedAt: later(30).toISOString() });
    expect(store.nodes.list(['provisioning']).map((n) => n.id)).toEqual(['node-a', 'node-b']);
    expectSameAsDatabase();
  });

  it('keep the offers as polled: new, repriced, confirmed (observedAt alone moves), and gone', () => {
    const a = offer({ instanceType: 'a', pricePerHour: 3, observedAt: T0.toISOString() });
    const b = offer({ instanceType: 'b', pricePerHour: 2, observedAt: T0.toISOString() });
    const c = offer({ instanceType: 'c', pricePerHour: 1, observedAt: T0.toISOString() });
    store.offers.list();
    store.offers.replace('aws', 'simulated', [a, b, c], T0.toISOString());
    expectSameAsDatabase();
    const t1 = later(300).toISOString();
    const { changed } = store.offers.replace(
      'aws',
      'simulated',
      [
        { ...a, observedAt: t1 },
        { ...b, pricePerHour: 0.5, observedAt: t1 },
      ],
      t1,
    );
    expect(changed).toBe(1);
    expect(store.offers.list().map((o) => [o.instanceType, o.pricePerHour, o.observedAt])).toEqual([
      ['b', 0.5, t1],
      ['a', 3, t1],
    ]);
    expectSameAsDatabase();
  });

  it('know a frozen offer polled again as the same object to be unchanged, and keep the same list', () => {
    const a = Object.freeze(offer({ instanceType: 'a', pricePerHour: 3, observedAt: T0.toISOString() }));
    const b = Object.freeze(offer({ instanceType: 'b', pricePerHour: 2, observedAt: T0.toISOString() }));
    store.offers.replace('aws', 'simulated', [a, b], T0.toISOString());
    const listed = store.offers.list();
    const t1 = later(300).toISOString();
    expect(store.offers.replace('aws', 'simulated', [a, b], t1)).toEqual({ changed: 0 });
    expect(store.offers.list()).toBe(listed);
    // A new object for a pool is compared as ever: here its price moved.
    const cheaper = Object.freeze({ ...b, pricePerHour: 1, observedAt: t1 });
    expect(store.offers.replace('aws', 'simulated', [a, cheaper], t1)).toEqual({ changed: 1 });
    expect(store.offers.list().map((o) => o.pricePerHour)).toEqual([1, 3]);
    expect(store.offers.sources()[0]?.fetchedAt).toBe(t1);
    expectSameAsDatabase();
  });

  it('fold pool blocks into the offers, never shorten one, and forget one rolled back', () => {
    const a = offer({ instanceType: 'a' });
    store.offers.replace('aws', 'simulated', [a], T0.toISOString());
    const key = poolKey(a);
    store.offers.blockPool(key, later(600).toISOString(), 'interrupted');
    store.offers.blockPool(key, later(60).toISOString(), 'launch failed');
    expect(store.offers.list()[0]?.availability.blockedUntil).toBe(later(600).toISOString());
    expect(() =>
      store.tx(() => {
        store.offers.blockPool(key, later(900).toISOString(), 'interrupted');
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.offers.list()[0]?.availability.blockedUntil).toBe(later(600).toISOString());
    expectSameAsDatabase();
  });

  it('hand out frozen jobs and nodes: a caller cannot change what the next one reads', () => {
    submit('job-a');
    launch('node-1', 0);
    const job = store.jobs.get('job-a')!;
    expect(() => {
      (job as { state: string }).state = 'running';
    }).toThrow(TypeError);
    expect(() => job.nodeIds.push('node-1')).toThrow(TypeError);
    expect(() => {
      (store.nodes.get('node-1')!.gpu as { count: number }).count = 1;
    }).toThrow(TypeError);
    expectSameAsDatabase();
  });
});

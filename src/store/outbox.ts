// What the store tells the rest of the daemon after a write commits: a job changed state (with its job_events
// row), a node changed state. Repositories queue an entry inside their transaction; the entries are handed to
// the listener only once the outermost transaction has committed, and dropped when it rolls back, so nobody
// hears of a change that did not happen. The listener (the event bus, services/events.ts) must not throw; if it
// does, the error is swallowed: a listener can never undo or break a write.
import type { Job, JobEvent, NodeRecord, NodeState } from '../core/model.js';
import type { Db } from './db.js';

/** A job's state change as written: the job_events row (with its sequence number) and the job after it. */
export interface CommittedJobEvent extends JobEvent {
  readonly kind: 'job';
  /** job_events.seq: the event's place in the history, the cursor of GET /v1/events. */
  readonly seq: number;
  readonly job: Job;
}

/**
 * A node's state change as written (`from` null: the node was just created, for a launch); `interruptedAt` set
 * on a move to draining marks a reclaim notice.
 */
export interface CommittedNodeEvent {
  readonly kind: 'node';
  readonly from: NodeState | null;
  readonly to: NodeState;
  readonly node: NodeRecord;
}

export type CommittedEvent = CommittedJobEvent | CommittedNodeEvent;
export type CommitListener = (event: CommittedEvent) => void;

export class Outbox {
  private readonly queued: CommittedEvent[] = [];
  private readonly listeners = new Set<CommitListener>();
  private readonly rollbackListeners: (() => void)[] = [];
  /**
   * One transaction function for every write, made once: better-sqlite3 builds four wrappers for each function it
   * is given, which cost more than a small write itself. It begins (or, nested, takes a savepoint), runs the write
   * it is handed, and commits or rolls back.
   */
  private readonly transaction: (write: () => unknown) => unknown;

  constructor(private readonly db: Db) {
    this.transaction = db.transaction((write: () => unknown) => write());
  }

  /** Hears every change after it commits; returns the way to stop. */
  listen(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hears every rollback (of a nested transaction too): the repositories' in-memory copies of open rows forget
   * what they hold then, and read it again from the database, which is the record.
   */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  /** Queues a change made in the current transaction (or just now, outside one); see `settle`. */
  push(event: CommittedEvent): void {
    this.queued.push(event);
  }

  /** Where the queue stands: `drop(mark)` forgets what a rolled-back (nested) transaction queued after it. */
  mark(): number {
    return this.queued.length;
  }

  drop(mark: number): void {
    this.queued.length = Math.min(this.queued.length, mark);
  }

  /** After a write: outside every transaction, what is queued has committed and is handed on. */
  settle(): void {
    if (this.db.inTransaction || this.queued.length === 0) return;
    const ready = this.queued.splice(0);
    for (const event of ready) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own (see the header): the write stands.
        }
      }
    }
  }

  /**
   * Runs `write` in a transaction (a savepoint inside an outer one): what it queued is dropped if it throws,
   * and handed on once the outermost transaction commits.
   */
  run<T>(write: () => T): T {
    const mark = this.mark();
    let result: T;
    try {
      result = this.transaction(write) as T;
    } catch (err) {
      this.drop(mark);
      for (const listener of this.rollbackListeners) listener();
      throw err;
    }
    this.settle();
    return result;
  }
}

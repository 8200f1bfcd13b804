// The store: one database, its repositories, and transactions across them.
import { AlertRepo } from './alerts.js';
import { type Db, migrate, openDb } from './db.js';
import { JobRepo } from './jobs.js';
import { NodeRepo } from './nodes.js';
import { OfferRepo } from './offers.js';
import { SlotRepo } from './slots.js';
import { IdempotencyRepo, TokenRepo } from './tokens.js';

export class Store {
  readonly jobs: JobRepo;
  readonly nodes: NodeRepo;
  readonly offers: OfferRepo;
  readonly slots: SlotRepo;
  readonly tokens: TokenRepo;
  readonly idempotency: IdempotencyRepo;
  readonly alerts: AlertRepo;

  constructor(readonly db: Db) {
    this.jobs = new JobRepo(db);
    this.nodes = new NodeRepo(db);
    this.offers = new OfferRepo(db);
    this.slots = new SlotRepo(db);
    this.tokens = new TokenRepo(db);
    this.idempotency = new IdempotencyRepo(db);
    this.alerts = new AlertRepo(db);
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStore(file: string): Store {
  const db = openDb(file);
  migrate(db);
  return new Store(db);
}

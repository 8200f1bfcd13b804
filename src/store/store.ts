// The store: one database, its repositories, and transactions across them.
import { AgentRepo } from './agents.js';
import { AlertRepo } from './alerts.js';
import { BudgetRepo } from './budgets.js';
import { type Db, migrate, openDb } from './db.js';
import { JobRepo } from './jobs.js';
import { NodeRepo } from './nodes.js';
import { OfferRepo } from './offers.js';
import { Outbox } from './outbox.js';
import { OutputRepo } from './output.js';
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
  /** The budget ledger: spend rows, budget facts of jobs, drift against cloud billing. */
  readonly budgets: BudgetRepo;
  readonly agents: AgentRepo;
  readonly output: OutputRepo;
  /** Job and node state changes, told after they commit (services/events.ts listens). */
  readonly outbox: Outbox;

  constructor(readonly db: Db) {
    this.outbox = new Outbox(db);
    this.slots = new SlotRepo(db, this.outbox);
    this.jobs = new JobRepo(db, this.outbox, this.slots);
    this.nodes = new NodeRepo(db, this.outbox);
    this.offers = new OfferRepo(db, this.outbox);
    this.tokens = new TokenRepo(db);
    this.idempotency = new IdempotencyRepo(db);
    this.alerts = new AlertRepo(db);
    this.budgets = new BudgetRepo(db);
    this.agents = new AgentRepo(db);
    this.output = new OutputRepo(db);
  }

  /** Runs fn in one transaction (nested calls join the outer one); the outbox hears its changes on commit. */
  tx<T>(fn: () => T): T {
    return this.outbox.run(fn);
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

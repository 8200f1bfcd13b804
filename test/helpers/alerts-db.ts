// A migrated database (the alerts table comes with migration 0004_budgets_alerts.sql).
import { type Db, migrate, openDb } from '../../src/store/db.js';

export function openAlertsDb(file = ':memory:'): Db {
  const db = openDb(file);
  migrate(db);
  return db;
}

// Opening the database and bringing its schema up to date. Migrations are forward-only numbered SQL
// files; each runs in one transaction together with its version row, so a crash mid-migration leaves
// the database at the previous version, never in between.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../migrations', import.meta.url));
}

export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the API read while a service writes; NORMAL sync is durable across process crashes
  // (kill -9), which is what we need; only an OS crash may lose the last transactions.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((name) => {
    const m = /^(\d+)_[\w-]+\.sql$/.exec(name);
    if (!m) throw new Error(`migration file ${name} must be named NNNN_name.sql`);
    return { version: Number(m[1]), name, sql: readFileSync(join(dir, name), 'utf8') };
  });
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migrations must be numbered 1, 2, 3…: found ${m.name} at position ${i + 1}`);
  });
  return migrations;
}

/** Applies the migrations not yet applied; returns the versions it applied (none on a second run). */
export function migrate(db: Db, dir = defaultMigrationsDir()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const done: number[] = [];
  for (const m of readMigrations(dir)) {
    if (applied.has(m.version)) continue;
    // IMMEDIATE takes the write lock first, so two daemons starting at once cannot both apply it.
    const ran = db
      .transaction(() => {
        // Checked again under the lock: another process may have applied it since we looked.
        if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        );
        return true;
      })
      .immediate();
    if (ran) done.push(m.version);
  }
  return done;
}

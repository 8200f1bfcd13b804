import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, openDb, readMigrations } from '../../src/store/db.js';

function tables(db: ReturnType<typeof openDb>): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((n) => !n.startsWith('sqlite_'));
}

describe('migrations', () => {
  it('build the whole schema from an empty database, each with its version row', () => {
    const db = openDb(':memory:');
    const applied = migrate(db);
    expect(applied).toEqual(readMigrations(defaultMigrationsDir()).map((m) => m.version));
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'jobs',
        'job_events',
        'nodes',
        'offers',
        'price_history',
        'tokens',
        'idempotency_keys',
        'sim_instances',
      ]),
    );
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    expect(versions).toHaveLength(applied.length);
  });

  it('do nothing on a second run', () => {
    const db = openDb(':memory:');
    migrate(db);
    const before = tables(db);
    expect(migrate(db)).toEqual([]);
    expect(tables(db)).toEqual(before);
  });

  it('open a file database in WAL mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-db-'));
    const db = openDb(join(dir, 'sub', 'x.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('roll a failing migration back whole, version row included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-mig-'));
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = openDb(':memory:');
    expect(() => migrate(db, dir)).toThrow(/nowhere/);
    expect(tables(db)).toContain('a');
    expect(tables(db)).not.toContain('b');
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }]);
  });

  it.each([
    [['0001_a.sql', '0003_c.sql'], /numbered 1, 2, 3/],
    [['first.sql'], /must be named NNNN_name.sql/],
  ])('refuse a badly numbered set %j', (files, error) => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-mig-'));
    for (const f of files) writeFileSync(join(dir, f), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(error);
  });
});

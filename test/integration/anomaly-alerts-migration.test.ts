// Migration 0007 widens the alert kinds (a CHECK constraint: the table is rebuilt), keeping every row and the
// id sequence, and runs whether 0005 and 0006 are the reserved placeholders or real.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, openDb, readMigrations } from '../../src/store/db.js';

const ROW = `INSERT INTO alerts (kind, policy, period_key, threshold, team, slack, summary, payload, created_at, status)
  VALUES (?, ?, ?, ?, 'research', NULL, 's', '{}', '2026-03-01T00:00:00Z', 'delivered')`;

function folder(placeholders: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpusched-migrations-'));
  for (const m of readMigrations(defaultMigrationsDir())) {
    if (m.version > 7) continue;
    if (placeholders && (m.version === 5 || m.version === 6)) writeFileSync(join(dir, m.name), 'SELECT 1;\n');
    else copyFileSync(join(defaultMigrationsDir(), m.name), join(dir, m.name));
  }
  return dir;
}

describe('migration 0007: anomaly alert kinds', () => {
  it.each([
    ['with 0005 and 0006 as placeholders', true],
    ['with the real 0005 and 0006', false],
  ])(
    '%s: keeps the rows and their ids, takes the new kinds, still refuses unknown ones',
    (_what, placeholders) => {
      const dir = folder(placeholders);
      const db = openDb(':memory:');
      // Up to 0006 first, with alerts in the old table.
      const upTo6 = mkdtempSync(join(tmpdir(), 'gpusched-migrations-'));
      for (const m of readMigrations(dir)) if (m.version <= 6) writeFileSync(join(upTo6, m.name), m.sql);
      migrate(db, upTo6);
      db.prepare(ROW).run('threshold', 'research-monthly', '2026-03', 50);
      db.prepare(ROW).run('limit', 'research-monthly', '2026-03', 100);
      expect(() => db.prepare(ROW).run('gpu-idle', 'job:x', 'run', 30)).toThrow(/CHECK/);

      expect(migrate(db, dir)).toEqual([7]);
      const rows = db.prepare('SELECT id, kind, threshold FROM alerts ORDER BY id').all();
      expect(rows).toEqual([
        { id: 1, kind: 'threshold', threshold: 50 },
        { id: 2, kind: 'limit', threshold: 100 },
      ]);
      for (const kind of ['gpu-idle', 'job-failing', 'price-jump'])
        db.prepare(ROW).run(kind, `x:${kind}`, 'p', 1);
      expect((db.prepare('SELECT MAX(id) AS id FROM alerts').get() as { id: number }).id).toBe(5);
      expect(() => db.prepare(ROW).run('bogus', 'x', 'p', 1)).toThrow(/CHECK/);
      // The unique key and the indexes came back with the table.
      expect(() => db.prepare(ROW).run('threshold', 'research-monthly', '2026-03', 50)).toThrow(/UNIQUE/);
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL",
        )
        .all()
        .map((r) => (r as { name: string }).name)
        .sort();
      expect(indexes).toEqual(['alerts_pending', 'alerts_team']);
    },
  );
});

// API tokens, stored as SHA-256 hashes: a leaked database does not leak working tokens. Tokens are
// 32 random bytes, so a plain hash (no salt, no slow KDF) is enough: they cannot be guessed.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './db.js';

export type Role = 'team' | 'admin';

export interface TokenRecord {
  id: string;
  team: string;
  name: string | null;
  role: Role;
  createdAt: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newTokenSecret(): string {
  return `gs_${randomBytes(32).toString('base64url')}`;
}

export class TokenRepo {
  constructor(private readonly db: Db) {}

  create(team: string, role: Role, name: string | null, now: Date): { record: TokenRecord; token: string } {
    const token = newTokenSecret();
    const record: TokenRecord = {
      id: `tok-${randomUUID().slice(0, 8)}`,
      team,
      name,
      role,
      createdAt: now.toISOString(),
    };
    this.db
      .prepare('INSERT INTO tokens (id, team, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, team, name, role, hashToken(token), record.createdAt);
    return { record, token };
  }

  findByToken(token: string): TokenRecord | null {
    const r = this.db
      .prepare('SELECT id, team, name, role, created_at FROM tokens WHERE hash = ? AND revoked_at IS NULL')
      .get(hashToken(token)) as
      | { id: string; team: string; name: string | null; role: Role; created_at: string }
      | undefined;
    return r ? { id: r.id, team: r.team, name: r.name, role: r.role, createdAt: r.created_at } : null;
  }

  list(): TokenRecord[] {
    return (
      this.db
        .prepare(
          'SELECT id, team, name, role, created_at FROM tokens WHERE revoked_at IS NULL ORDER BY created_at',
        )
        .all() as {
        id: string;
        team: string;
        name: string | null;
        role: Role;
        created_at: string;
      }[]
    ).map((r) => ({ id: r.id, team: r.team, name: r.name, role: r.role, createdAt: r.created_at }));
  }
}

/** Idempotency keys per team, kept for a window: a retried submission returns the job it created. */
export class IdempotencyRepo {
  constructor(private readonly db: Db) {}

  find(team: string, key: string, notBefore: string): { bodyHash: string; jobId: string } | null {
    const r = this.db
      .prepare(
        'SELECT body_hash, job_id FROM idempotency_keys WHERE team = ? AND key = ? AND created_at >= ?',
      )
      .get(team, key, notBefore) as { body_hash: string; job_id: string } | undefined;
    return r ? { bodyHash: r.body_hash, jobId: r.job_id } : null;
  }

  /** Inserted in the same transaction as the job, so a key never points at a job that was not stored. */
  put(team: string, key: string, bodyHash: string, jobId: string, now: Date): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO idempotency_keys (team, key, body_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(team, key, bodyHash, jobId, now.toISOString());
  }

  purge(notBefore: string): number {
    return this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(notBefore).changes;
  }
}

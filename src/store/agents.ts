// What the agent protocol keeps: node tokens (bootstrap and session, hashed), the agents' reports on their
// nodes (last heartbeat, telemetry) and the notices they relayed.

import type { Db } from './db.js';
import { hashToken, newTokenSecret } from './tokens.js';

export type NodeTokenKind = 'bootstrap' | 'session';

export interface NoticeRecord {
  nodeId: string;
  cloud: string;
  kind: string;
  deadline: string | null;
  receivedAt: string;
}

export class AgentRepo {
  constructor(private readonly db: Db) {}

  /** A new token for the node; only its hash is kept. */
  issue(nodeId: string, kind: NodeTokenKind, now: Date, expiresAt: Date | null): string {
    const token = newTokenSecret();
    this.db
      .prepare('INSERT INTO node_tokens (hash, node_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(hashToken(token), nodeId, kind, now.toISOString(), expiresAt?.toISOString() ?? null);
    return token;
  }

  /** The node a token of this kind speaks for, if it is valid now (not expired, a bootstrap token not spent). */
  nodeOf(token: string, kind: NodeTokenKind, now: Date): string | null {
    const r = this.db
      .prepare('SELECT node_id, expires_at, used_at FROM node_tokens WHERE hash = ? AND kind = ?')
      .get(hashToken(token), kind) as
      | { node_id: string; expires_at: string | null; used_at: string | null }
      | undefined;
    if (!r || r.used_at !== null) return null;
    if (r.expires_at !== null && r.expires_at <= now.toISOString()) return null;
    return r.node_id;
  }

  /** Spends a bootstrap token; false when it was spent already (two registrations racing). */
  spend(token: string, now: Date): boolean {
    return (
      this.db
        .prepare(
          "UPDATE node_tokens SET used_at = ? WHERE hash = ? AND kind = 'bootstrap' AND used_at IS NULL",
        )
        .run(now.toISOString(), hashToken(token)).changes === 1
    );
  }

  /** A node that is gone takes its tokens with it. */
  revokeNode(nodeId: string, now: Date): void {
    this.db
      .prepare('UPDATE node_tokens SET used_at = COALESCE(used_at, ?), expires_at = ? WHERE node_id = ?')
      .run(now.toISOString(), now.toISOString(), nodeId);
  }

  seen(nodeId: string, now: Date, telemetry: unknown, agentVersion?: string): void {
    this.db
      .prepare(
        `UPDATE nodes SET last_seen_at = ?, telemetry = COALESCE(?, telemetry),
           agent_version = COALESCE(?, agent_version) WHERE id = ?`,
      )
      .run(
        now.toISOString(),
        telemetry === undefined ? null : JSON.stringify(telemetry),
        agentVersion ?? null,
        nodeId,
      );
  }

  /** When the node's agent last reported, and what it said of its GPUs; null before it registered. */
  lastSeen(nodeId: string): { at: string; telemetry: unknown } | null {
    const r = this.db.prepare('SELECT last_seen_at, telemetry FROM nodes WHERE id = ?').get(nodeId) as
      | { last_seen_at: string | null; telemetry: string | null }
      | undefined;
    if (!r?.last_seen_at) return null;
    return { at: r.last_seen_at, telemetry: r.telemetry ? JSON.parse(r.telemetry) : null };
  }

  /** Nodes whose agent registered and then went silent before `before`. */
  silentSince(before: Date): string[] {
    return (
      this.db
        .prepare(
          `SELECT id FROM nodes WHERE last_seen_at IS NOT NULL AND last_seen_at < ?
             AND state IN ('provisioning', 'ready', 'draining')`,
        )
        .all(before.toISOString()) as { id: string }[]
    ).map((r) => r.id);
  }

  recordNotice(n: NoticeRecord & { raw?: string }): void {
    this.db
      .prepare(
        'INSERT INTO node_notices (node_id, cloud, kind, deadline, received_at, raw) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(n.nodeId, n.cloud, n.kind, n.deadline, n.receivedAt, n.raw ?? null);
  }

  notices(nodeId?: string): NoticeRecord[] {
    const rows = (
      nodeId
        ? this.db.prepare('SELECT * FROM node_notices WHERE node_id = ? ORDER BY seq').all(nodeId)
        : this.db.prepare('SELECT * FROM node_notices ORDER BY seq').all()
    ) as { node_id: string; cloud: string; kind: string; deadline: string | null; received_at: string }[];
    return rows.map((r) => ({
      nodeId: r.node_id,
      cloud: r.cloud,
      kind: r.kind,
      deadline: r.deadline,
      receivedAt: r.received_at,
    }));
  }
}

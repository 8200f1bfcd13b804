// Bearer tokens: the admin token (from config or the data directory) and per-team tokens stored hashed.
// The caller's team comes from the token, never from the request body.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type Caller } from '../services/jobs.js';
import type { Store } from '../store/store.js';
import { hashToken } from '../store/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

export function makeAuthenticate(store: Store, adminTokenHash: string) {
  const admin = Buffer.from(adminTokenHash, 'hex');
  return async function authenticate(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearer(req);
    if (!token)
      throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    const hash = Buffer.from(hashToken(token), 'hex');
    if (hash.length === admin.length && timingSafeEqual(hash, admin)) {
      req.caller = { team: 'admin', admin: true };
      return;
    }
    const rec = store.tokens.findByToken(token);
    if (!rec) throw new ApiError(401, 'unauthorized', 'unknown or revoked token');
    req.caller = { team: rec.team, admin: rec.role === 'admin' };
  };
}

export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return req.caller;
}

export function requireAdmin(req: FastifyRequest): Caller {
  const c = callerOf(req);
  if (!c.admin) throw new ApiError(403, 'forbidden', 'this needs the admin token');
  return c;
}

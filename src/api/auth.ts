// Bearer tokens: the admin token (from config or the data directory) and per-team tokens stored hashed.
// The caller's team comes from the token, never from the request body.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type Caller } from '../services/jobs.js';
import type { Store } from '../store/store.js';
import { hashToken } from '../store/tokens.js';
import { cookieValue, SESSION_COOKIE, type Sessions } from './sessions.js';

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

/** Who a token speaks for (the admin token, or a team token not revoked); null for anything else. */
export function callerForToken(store: Store, adminTokenHash: string, token: string): Caller | null {
  const admin = Buffer.from(adminTokenHash, 'hex');
  const hash = Buffer.from(hashToken(token), 'hex');
  if (hash.length === admin.length && timingSafeEqual(hash, admin)) return { team: 'admin', admin: true };
  const rec = store.tokens.findByToken(token);
  return rec ? { team: rec.team, admin: rec.role === 'admin' } : null;
}

/**
 * The /v1 token check: `Authorization: Bearer`, or, for reads only (GET, HEAD), the dashboard's session cookie
 * (api/sessions.ts) when `sessions` is given.
 */
export function makeAuthenticate(
  store: Store,
  adminTokenHash: string,
  sessions?: { readonly sessions: Sessions; readonly now: () => Date },
) {
  return async function authenticate(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    let token = bearer(req);
    if (!token && sessions && (req.method === 'GET' || req.method === 'HEAD')) {
      const id = cookieValue(req, SESSION_COOKIE);
      if (id !== null) {
        token = sessions.sessions.token(id, sessions.now());
        if (!token) throw new ApiError(401, 'unauthorized', 'the dashboard session has ended; log in again');
      }
    }
    if (!token)
      throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    const caller = callerForToken(store, adminTokenHash, token);
    if (!caller) throw new ApiError(401, 'unauthorized', 'unknown or revoked token');
    req.caller = caller;
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

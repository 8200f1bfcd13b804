// Dashboard sessions: a browser trades a bearer token for an HttpOnly cookie (EventSource cannot send an
// Authorization header, and a token in page script is a token any injected script can read). A session is a
// random id kept in memory with the token it was opened with, so every request is checked against the token
// as it stands (a revoked team token ends its sessions at once) and a restart ends them all. The cookie is
// accepted for reads only (GET and HEAD): the dashboard changes nothing, and no cross-site form can act with it.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'gpusched_session';

interface Session {
  readonly token: string;
  readonly expiresAt: number;
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    /** How long a session lasts from login. */
    readonly ttlMs: number,
    /** Sessions kept at most; the oldest go first beyond it. */
    private readonly max = 10_000,
  ) {}

  open(token: string, now: Date): { id: string; expiresAt: Date } {
    this.prune(now);
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const expiresAt = now.getTime() + this.ttlMs;
    this.sessions.set(id, { token, expiresAt });
    return { id, expiresAt: new Date(expiresAt) };
  }

  /** The token behind a live session, or null. */
  token(id: string, now: Date): string | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= now.getTime()) {
      this.sessions.delete(id);
      return null;
    }
    return s.token;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(now: Date): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now.getTime()) this.sessions.delete(id);
  }
}

/** The value of one cookie in the request's Cookie header, or null. */
export function cookieValue(req: Pick<FastifyRequest, 'headers'>, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** The Set-Cookie value of a session (or of its removal, with maxAgeSeconds 0). */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${id}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

// The dashboard at /ui: static files from the package's ui/ folder (plain ES modules, no build step) and uPlot
// from node_modules, a login that trades a token for an HttpOnly session cookie (api/sessions.ts), and the
// session's who-am-I. The pages read the /v1 API with that cookie (reads only) and follow GET /v1/events.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../services/jobs.js';
import type { Store } from '../../store/store.js';
import { callerForToken } from '../auth.js';
import type { ObservabilityDeps } from '../observability.js';
import { cookieValue, SESSION_COOKIE, sessionCookie } from '../sessions.js';

/** The package's ui/ folder: src/api/routes and dist/api/routes are both three levels below it. */
export function defaultUiDir(): string {
  return fileURLToPath(new URL('../../../ui', import.meta.url));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** Every servable file under dir, by its URL path ("pages/jobs.js"): nothing else is ever read. */
function listFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  // A package without its ui/ folder serves no dashboard (404s), rather than failing to start.
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (TYPES[extname(name)]) out.set(relative(dir, full).split(sep).join('/'), full);
    }
  };
  walk(dir);
  return out;
}

/** uPlot's browser build and stylesheet, served as /ui/vendor/… */
function uplotFiles(): Map<string, string> {
  const dist = dirname(createRequire(import.meta.url).resolve('uplot'));
  return new Map([
    ['vendor/uPlot.esm.js', join(dist, 'uPlot.esm.js')],
    ['vendor/uPlot.min.css', join(dist, 'uPlot.min.css')],
  ]);
}

// Scripts and styles from this origin only; uPlot sets element styles from script, which CSP allows.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const LoginBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export interface UiRouteOptions {
  readonly obs: ObservabilityDeps;
  readonly store: Store;
  readonly adminTokenHash: string;
  readonly now: () => Date;
}

export const uiRoutes: FastifyPluginAsync<UiRouteOptions> = async (
  app,
  { obs, store, adminTokenHash, now },
) => {
  const files = new Map([...listFiles(obs.uiDir), ...uplotFiles()]);
  const secure = (req: FastifyRequest) => req.protocol === 'https';

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });

  const sendFile = async (reply: FastifyReply, path: string) => {
    const file = files.get(path);
    if (!file) throw new ApiError(404, 'not_found', `no such file: /ui/${path}`);
    const body = await readFile(file);
    return reply
      .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .send(body);
  };

  app.get('/ui', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/', { schema: { hide: true } }, async (_req, reply) => sendFile(reply, 'index.html'));
  app.get('/ui/*', { schema: { hide: true } }, async (req, reply) =>
    sendFile(reply, (req.params as { '*': string })['*']),
  );

  app.post(
    '/ui/login',
    {
      schema: {
        summary: 'Dashboard login: trade a bearer token for an HttpOnly session cookie',
        body: LoginBody,
        security: [],
      },
    },
    async (req, reply) => {
      const { token } = req.body as { token: string };
      const caller = callerForToken(store, adminTokenHash, token.trim());
      if (!caller) throw new ApiError(401, 'unauthorized', 'unknown or revoked token');
      const session = obs.sessions.open(token.trim(), now());
      return reply
        .header('set-cookie', sessionCookie(session.id, obs.sessions.ttlMs / 1000, secure(req)))
        .header('cache-control', 'no-store')
        .send({ team: caller.team, admin: caller.admin, expiresAt: session.expiresAt.toISOString() });
    },
  );

  app.post('/ui/logout', { schema: { summary: 'Dashboard logout', security: [] } }, async (req, reply) => {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id !== null) obs.sessions.close(id);
    return reply
      .header('set-cookie', sessionCookie('', 0, secure(req)))
      .code(204)
      .send();
  });

  app.get(
    '/ui/session',
    { schema: { summary: 'Who the dashboard session is', security: [] } },
    async (req) => {
      const id = cookieValue(req, SESSION_COOKIE);
      const token = id === null ? null : obs.sessions.token(id, now());
      const caller = token === null ? null : callerForToken(store, adminTokenHash, token);
      // 200 either way: the page asks before it knows, and a 401 would show as an error in the browser's console.
      return caller ? { loggedIn: true, team: caller.team, admin: caller.admin } : { loggedIn: false };
    },
  );
};

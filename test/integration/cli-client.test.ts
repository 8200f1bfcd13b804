// Drives the real CLI entry point (main) against a loopback HTTP server that plays the daemon's /v1 API
// and records every request, so each test checks what went over the wire and what the user saw.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/cli/client.js';
import { main } from '../../src/cli/main.js';
import { ago, aJob, aJobDetail, aNode, anOffer, NOW } from '../fixtures/jobs/api.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'jobs');

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The query string exactly as sent, '?' included. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
}

type Handler = (req: Recorded) => Reply;

/** The fake daemon: one handler per test (set in the test), every request recorded. */
class FakeDaemon {
  requests: Recorded[] = [];
  handler: Handler = () => ({ status: 500, body: { error: 'internal', message: 'no handler set' } });
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const text = Buffer.concat(chunks).toString('utf8');
        const rec: Recorded = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          rawQuery: url.search,
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
        };
        this.requests.push(rec);
        const reply = this.handler(rec);
        res.writeHead(reply.status, {
          'content-type': reply.raw === undefined ? 'application/json' : 'text/html',
        });
        res.end(reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** A port nothing listens on: bind one, remember it, close it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const daemon = new FakeDaemon();
let dataDir = '';

interface Result {
  code: number | string | undefined;
  out: string;
  err: string;
}

/** `gpusched ...args` through main(), with the fake daemon's URL and an empty data dir unless env says otherwise. */
async function gpusched(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin = '',
): Promise<Result> {
  let out = '';
  let err = '';
  await main(['node', 'gpusched', ...args], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    env: { GPUSCHED_URL: daemon.url, GPUSCHED_DATA_DIR: dataDir, ...env },
    readStdin: async () => stdin,
    now: () => NOW,
  });
  return { code: process.exitCode, out, err };
}

beforeAll(async () => {
  await daemon.start();
});

afterAll(async () => {
  await daemon.stop();
});

beforeEach(() => {
  daemon.requests = [];
  dataDir = mkdtempSync(join(tmpdir(), 'gpusched-cli-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  // main sets the exit code of the test worker's process; leave it clean.
  process.exitCode = undefined;
});

describe('finding the daemon and authenticating', () => {
  beforeEach(() => {
    daemon.handler = () => ({ status: 200, body: { items: [], nextCursor: null } });
  });

  it('sends GPUSCHED_TOKEN as a bearer token', async () => {
    const r = await gpusched(['jobs'], { GPUSCHED_TOKEN: 'team-token' });
    expect(r.code).toBe(0);
    expect(daemon.requests[0]?.headers.authorization).toBe('Bearer team-token');
  });

  it('lets --token and --url override the environment, before or after the command', async () => {
    await gpusched(['--token', 'flag-token', 'jobs'], { GPUSCHED_TOKEN: 'env-token' });
    await gpusched(['jobs', '--url', daemon.url, '--token', 'flag-token-2'], {
      GPUSCHED_URL: 'http://127.0.0.1:1',
      GPUSCHED_TOKEN: 'env-token',
    });
    expect(daemon.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer flag-token',
      'Bearer flag-token-2',
    ]);
  });

  it("reads a local daemon's admin token file (trimmed) when no token is set", async () => {
    writeFileSync(join(dataDir, 'admin.token'), '  admin-secret\n');
    const r = await gpusched(['jobs']);
    expect(r.code).toBe(0);
    expect(daemon.requests[0]?.headers.authorization).toBe('Bearer admin-secret');
  });

  it('sends no Authorization header when there is no token anywhere', async () => {
    await gpusched(['jobs']);
    expect(daemon.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps a path prefix in GPUSCHED_URL (a daemon behind a reverse proxy)', async () => {
    await gpusched(['jobs'], { GPUSCHED_URL: `${daemon.url}/gpusched/`, GPUSCHED_TOKEN: 't' });
    expect(daemon.requests[0]?.path).toBe('/gpusched/v1/jobs');
  });

  it.each([
    { case: 'the default port', env: {}, url: 'http://127.0.0.1:7878' },
    { case: 'GPUSCHED_PORT', env: { GPUSCHED_PORT: '9000' }, url: 'http://127.0.0.1:9000' },
    {
      case: 'GPUSCHED_URL over GPUSCHED_PORT',
      env: { GPUSCHED_URL: 'https://sched.example/', GPUSCHED_PORT: '9000' },
      url: 'https://sched.example',
    },
  ])('resolves the URL from $case', ({ env, url }) => {
    expect(resolveConnection({}, env, () => undefined).url).toBe(url);
  });

  it('never sends the local admin token file to a daemon on another host', () => {
    const read = (): string => 'admin-secret';
    expect(resolveConnection({}, { GPUSCHED_URL: 'https://sched.example' }, read).token).toBeUndefined();
    expect(resolveConnection({}, { GPUSCHED_URL: 'http://localhost:7878' }, read).token).toBe('admin-secret');
  });

  it('refuses a daemon URL that is not http(s) as invalid input (exit 2) without sending anything', async () => {
    const r = await gpusched(['jobs'], { GPUSCHED_URL: 'ftp://127.0.0.1' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/GPUSCHED_URL must be http:\/\/ or https:\/\//);
    expect(daemon.requests).toHaveLength(0);
  });

  it('explains a 401: the token is missing or wrong, and how to set it (exit 1)', async () => {
    daemon.handler = () => ({
      status: 401,
      body: { error: 'unauthorized', message: 'missing bearer token' },
    });
    const r = await gpusched(['jobs']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'the daemon says the token is missing or wrong (no token was sent: missing bearer token)',
    );
    expect(r.err).toContain('set GPUSCHED_TOKEN or pass --token');
    expect(r.err).toContain(join(dataDir, 'admin.token'));
  });
});

describe('submit', () => {
  const created = aJob({ id: 'job-42', state: 'queued' });

  it('validates, POSTs the parsed file as JSON with the Idempotency-Key, and prints the id and state', async () => {
    daemon.handler = () => ({ status: 201, body: created });
    const r = await gpusched(
      ['submit', join(FIXTURES, 'llama-finetune.yaml'), '--idempotency-key', 'run-7'],
      { GPUSCHED_TOKEN: 't' },
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('submitted job job-42 llama-8b-finetune: queued\n');
    const req = daemon.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/jobs');
    expect(req.headers['idempotency-key']).toBe('run-7');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toMatchObject({ name: 'llama-8b-finetune', deadline: '2030-12-03T09:00:00Z' });
  });

  it('sends no Idempotency-Key unless asked', async () => {
    daemon.handler = () => ({ status: 201, body: created });
    await gpusched(['submit', join(FIXTURES, 'llama-finetune.json')], { GPUSCHED_TOKEN: 't' });
    expect(daemon.requests[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('says when a 200 answer is a replay of an earlier submission with the same key', async () => {
    daemon.handler = () => ({ status: 200, body: created });
    const r = await gpusched(['submit', join(FIXTURES, 'llama-finetune.yaml'), '--idempotency-key', 'k']);
    expect(r.out).toBe('already submitted (same idempotency key): job job-42 llama-8b-finetune: queued\n');
  });

  it('reads the job from standard input for "-"', async () => {
    daemon.handler = () => ({ status: 201, body: created });
    const stdin =
      'name: from-stdin\ncommand: [a]\nresources: { gpu: { count: 1 } }\nruntime: { estimateHours: 1 }\n';
    const r = await gpusched(['submit', '-', '--json'], {}, stdin);
    expect(r.code).toBe(0);
    expect(daemon.requests[0]?.body).toMatchObject({ name: 'from-stdin' });
    expect(JSON.parse(r.out)).toEqual(created);
  });

  it.each([
    { file: 'bad-schema.yaml', first: /^.*bad-schema\.yaml:3: name: /, count: 6 },
    {
      file: 'bad-rules.yaml',
      first: /^.*bad-rules\.yaml:5: resources\.gpu\.memoryGiB: is required with fraction$/,
      count: 6,
    },
  ])(
    'rejects $file locally: every issue as FILE:LINE, exit 2, nothing sent',
    async ({ file, first, count }) => {
      const r = await gpusched(['submit', join(FIXTURES, file)]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines[0]).toMatch(first);
      expect(lines).toHaveLength(count + 1);
      expect(lines.at(-1)).toMatch(/nothing was submitted$/);
      expect(daemon.requests).toHaveLength(0);
    },
  );

  it('rejects a YAML syntax error as FILE:LINE: message, exit 2, nothing sent', async () => {
    const file = join(dataDir, 'broken.yaml');
    writeFileSync(file, 'name: broken\nresources:\n  gpu: { count: 8\nruntime:\n  estimateHours: 1\n');
    const r = await gpusched(['submit', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(
        `^${file}:4: \\S.*\ngpusched: .* is not valid YAML/JSON \\(1 problem\\); nothing was submitted\n$`,
      ),
    );
    expect(daemon.requests).toHaveLength(0);
  });

  it('--dry-run validates and sends nothing', async () => {
    const r = await gpusched(['submit', join(FIXTURES, 'llama-finetune.yaml'), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid job spec "llama-8b-finetune"; nothing was submitted/);
    expect(daemon.requests).toHaveLength(0);
  });

  it("maps the daemon's 400 issues to lines of the file and exits 1", async () => {
    daemon.handler = () => ({
      status: 400,
      body: {
        error: 'invalid',
        message: 'the job spec is invalid',
        issues: [{ path: 'dependsOn.0', message: 'no job named prepare-data in team research' }],
      },
    });
    const file = join(FIXTURES, 'llama-finetune.yaml');
    const r = await gpusched(['submit', file]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `gpusched: the job spec is invalid\n  ${file}:23: dependsOn.0: no job named prepare-data in team research\n`,
    );
  });

  it('reports a reused idempotency key (422) with the server message', async () => {
    daemon.handler = () => ({
      status: 422,
      body: { error: 'idempotency_conflict', message: 'Idempotency-Key k was used with another body' },
    });
    const r = await gpusched(['submit', join(FIXTURES, 'llama-finetune.yaml'), '--idempotency-key', 'k']);
    expect(r).toMatchObject({ code: 1, err: 'gpusched: Idempotency-Key k was used with another body\n' });
  });

  it('treats an unreadable file as invalid input (exit 2)', async () => {
    const r = await gpusched(['submit', join(FIXTURES, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read .*missing\.yaml \(ENOENT\)/);
  });
});

describe('jobs, job, cancel', () => {
  it('passes --state, each --label and --limit in the query string', async () => {
    daemon.handler = () => ({ status: 200, body: { items: [aJob()], nextCursor: null } });
    const r = await gpusched([
      'jobs',
      '--state',
      'running',
      '--label',
      'project=llm',
      '--label',
      'tier=a',
      '--limit',
      '5',
    ]);
    expect(r.code).toBe(0);
    const req = daemon.requests[0]!;
    expect(req.path).toBe('/v1/jobs');
    expect(req.query.get('state')).toBe('running');
    expect(req.query.getAll('label')).toEqual(['project=llm', 'tier=a']);
    expect(req.query.get('limit')).toBe('5');
    expect(r.out).toMatch(/^ID\s+NAME/);
    expect(r.out).toContain('llama-8b-finetune');
  });

  it('encodes a label selector as label=k%3Dv', async () => {
    daemon.handler = () => ({ status: 200, body: { items: [], nextCursor: null } });
    await gpusched(['jobs', '--label', 'project=llm', '--state', 'held']);
    expect(daemon.requests[0]?.rawQuery).toBe('?state=held&label=project%3Dllm');
  });

  it('--all follows nextCursor until it is null and lists every page', async () => {
    const pages: Record<string, { items: ReturnType<typeof aJob>[]; nextCursor: string | null }> = {
      '': { items: [aJob({ id: 'job-a' }), aJob({ id: 'job-b' })], nextCursor: 'c2' },
      c2: { items: [aJob({ id: 'job-c' }), aJob({ id: 'job-d' })], nextCursor: 'c3' },
      c3: { items: [aJob({ id: 'job-e' })], nextCursor: null },
    };
    daemon.handler = (req) => ({ status: 200, body: pages[req.query.get('cursor') ?? ''] });
    const r = await gpusched(['jobs', '--all', '--limit', '2', '--json']);
    expect(r.code).toBe(0);
    expect(daemon.requests.map((q) => [q.query.get('cursor'), q.query.get('limit')])).toEqual([
      [null, '2'],
      ['c2', '2'],
      ['c3', '2'],
    ]);
    expect(JSON.parse(r.out)).toMatchObject({ nextCursor: null });
    expect((JSON.parse(r.out) as { items: { id: string }[] }).items.map((j) => j.id)).toEqual([
      'job-a',
      'job-b',
      'job-c',
      'job-d',
      'job-e',
    ]);
  });

  it('stops with an error when the daemon repeats a cursor instead of looping forever', async () => {
    daemon.handler = () => ({ status: 200, body: { items: [aJob()], nextCursor: 'same' } });
    const r = await gpusched(['jobs', '--all']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/returned the cursor "same" twice/);
    expect(daemon.requests).toHaveLength(2);
  });

  it('without --all, prints one page and says how to get the next', async () => {
    daemon.handler = () => ({ status: 200, body: { items: [aJob()], nextCursor: 'next-1' } });
    const r = await gpusched(['jobs']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('more jobs: add --all, or --cursor next-1 for the next page\n');
    expect(daemon.requests).toHaveLength(1);
  });

  it('job ID shows the details and the events table', async () => {
    daemon.handler = () => ({ status: 200, body: aJobDetail() });
    const r = await gpusched(['job', 'job-1']);
    expect(r.code).toBe(0);
    expect(daemon.requests[0]).toMatchObject({ method: 'GET', path: '/v1/jobs/job-1' });
    expect(r.out).toMatch(/State\s+running/);
    expect(r.out).toMatch(/Events:\nAT\s+FROM\s+TO\s+REASON/);
  });

  it('job ID of an unknown job prints the server message and exits 1', async () => {
    daemon.handler = () => ({ status: 404, body: { error: 'not_found', message: 'no job nope' } });
    const r = await gpusched(['job', 'nope']);
    expect(r).toEqual({ code: 1, out: '', err: 'gpusched: no job nope\n' });
  });

  it('escapes the job id in the path', async () => {
    daemon.handler = () => ({ status: 404, body: { error: 'not_found', message: 'no such job' } });
    await gpusched(['job', 'a/b?c']);
    expect(daemon.requests[0]?.path).toBe('/v1/jobs/a%2Fb%3Fc');
  });

  it('cancel sends DELETE and prints the new state', async () => {
    daemon.handler = () => ({ status: 200, body: aJob({ state: 'cancelled' }) });
    const r = await gpusched(['cancel', 'job-1']);
    expect(daemon.requests[0]).toMatchObject({ method: 'DELETE', path: '/v1/jobs/job-1' });
    expect(r).toMatchObject({ code: 0, out: 'cancelled job job-1 llama-8b-finetune: cancelled\n' });
  });

  it('cancel of a finished job reports the 409 and exits 1', async () => {
    daemon.handler = () => ({
      status: 409,
      body: { error: 'conflict', message: 'job job-1 already succeeded' },
    });
    const r = await gpusched(['cancel', 'job-1']);
    expect(r).toMatchObject({ code: 1, err: 'gpusched: job job-1 already succeeded\n' });
  });

  it('prints a 400 with its issues as path: message lines', async () => {
    daemon.handler = () => ({
      status: 400,
      body: {
        error: 'invalid',
        message: 'bad query',
        issues: [{ path: 'limit', message: 'must be <= 500' }],
      },
    });
    const r = await gpusched(['jobs', '--limit', '900']);
    expect(r).toMatchObject({ code: 1, out: '', err: 'gpusched: bad query\n  limit: must be <= 500\n' });
  });
});

describe('offers, nodes, tokens, sim', () => {
  it('offers passes its filters, lists cheapest first and prints the sources line', async () => {
    daemon.handler = () => ({
      status: 200,
      body: {
        items: [anOffer({ pricePerHour: 9.83 }), anOffer({ instanceType: 'p3.2xlarge', pricePerHour: 0.92 })],
        sources: [{ cloud: 'aws', kind: 'spot', fetchedAt: ago(1), stale: false }],
      },
    });
    const r = await gpusched([
      'offers',
      '--gpu',
      'A100',
      '--cloud',
      'aws',
      '--market',
      'spot',
      '--region',
      'us-east-1',
      '--limit',
      '10',
    ]);
    expect(r.code).toBe(0);
    expect(Object.fromEntries(daemon.requests[0]!.query)).toEqual({
      gpu: 'A100',
      cloud: 'aws',
      market: 'spot',
      region: 'us-east-1',
      limit: '10',
    });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[1]).toContain('p3.2xlarge');
    expect(lines[2]).toContain('p4d.24xlarge');
    expect(lines.at(-1)).toBe('sources: aws spot 1m ago');
  });

  it('nodes passes --state and lists the nodes', async () => {
    daemon.handler = () => ({ status: 200, body: { items: [aNode()] } });
    const r = await gpusched(['nodes', '--state', 'ready']);
    expect(daemon.requests[0]?.query.get('state')).toBe('ready');
    expect(r.out).toMatch(/node-1\s+aws/);
  });

  it('token create POSTs the team and name, prints the token alone on stdout and the warning on stderr', async () => {
    daemon.handler = () => ({
      status: 201,
      body: { id: 'tok-1', team: 'research', name: 'ci', token: 'gst_secret', createdAt: ago(0) },
    });
    const r = await gpusched(['token', 'create', '--team', 'research', '--name', 'ci']);
    expect(daemon.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/tokens',
      body: { team: 'research', name: 'ci' },
    });
    expect(r.out).toBe('gst_secret\n');
    expect(r.err).toMatch(/created token tok-1 for team research \(ci\)\nstore it now/);
  });

  it('token create requires --team (usage error, exit 2)', async () => {
    const r = await gpusched(['token', 'create']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/required option '--team <team>' not specified/);
    expect(daemon.requests).toHaveLength(0);
  });

  it('sim interrupt POSTs to the node with the chosen notice format', async () => {
    daemon.handler = () => ({
      status: 202,
      body: { node: aNode({ cloud: 'gcp', zone: 'us-central1-a' }), noticeSeconds: 30 },
    });
    const r = await gpusched(['sim', 'interrupt', 'node-1', '--cloud', 'gcp']);
    expect(daemon.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/sim/nodes/node-1/interrupt',
      body: { cloud: 'gcp' },
    });
    expect(r.out).toMatch(/sent a gcp interruption notice to node node-1 .*reclaimed in 30 s/);
  });

  it('sim interrupt without --cloud sends an empty body (the node keeps its own cloud)', async () => {
    daemon.handler = () => ({ status: 202, body: { node: aNode(), noticeSeconds: 120 } });
    await gpusched(['sim', 'interrupt', 'node-1']);
    expect(daemon.requests[0]?.body).toEqual({});
  });
});

describe('failures and exit codes', () => {
  it('an unreachable daemon: one line naming the URL and the cause, no stack trace, exit 3', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await gpusched(['jobs'], { GPUSCHED_URL: url });
    expect(r).toEqual({
      code: 3,
      out: '',
      err: `gpusched: cannot reach the daemon at ${url} (ECONNREFUSED) — is it running? start it with "npm start" or set GPUSCHED_URL\n`,
    });
  });

  it('an answer that is not the API (a proxy error page) is shown briefly, exit 1', async () => {
    daemon.handler = () => ({ status: 502, raw: '<html>Bad Gateway</html>' });
    const r = await gpusched(['nodes']);
    expect(r).toMatchObject({ code: 1, err: 'gpusched: HTTP 502 Bad Gateway: <html>Bad Gateway</html>\n' });
  });

  it.each([
    { case: 'an unknown command', args: ['frobnicate'] },
    { case: 'a non-numeric --limit', args: ['jobs', '--limit', 'ten'] },
    { case: 'a zero --limit', args: ['offers', '--limit', '0'] },
    { case: 'an unknown market', args: ['offers', '--market', 'cheap'] },
    { case: 'an unknown job state', args: ['jobs', '--state', 'sleeping'] },
    { case: 'a label without =', args: ['jobs', '--label', 'project'] },
    { case: 'a missing argument', args: ['job'] },
    { case: 'an unknown option', args: ['nodes', '--colour'] },
  ])('$case is a usage error: exit 2, nothing sent', async ({ args }) => {
    const r = await gpusched(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error: /);
    expect(daemon.requests).toHaveLength(0);
  });

  it('catalog build with a source folder lacking the CSV is invalid input (exit 2), one line, nothing written', async () => {
    const out = join(dataDir, 'catalog.json');
    const r = await gpusched(['catalog', 'build', '--source', dataDir, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^gpusched: catalog build failed: .*multicloud_gpu_catalog\.normalized\.csv.*\n$/);
    expect(daemon.requests).toHaveLength(0);
  });

  it('--help prints usage on stdout and exits 0', async () => {
    const r = await gpusched(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of [
      'submit',
      'jobs',
      'job',
      'cancel',
      'offers',
      'nodes',
      'token',
      'sim',
      'catalog',
      'daemon',
    ]) {
      expect(r.out).toMatch(new RegExp(`\\n\\s+${cmd}\\b`));
    }
  });
});

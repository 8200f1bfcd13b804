// A Slack-compatible incoming-webhook server on loopback: POST /services/T…/B…/<token> with a JSON body,
// answered `200 ok` the way Slack answers, `404 no_service` for a token it does not know, and whatever faults a
// test queues (429 with Retry-After, 5xx, 4xx with Slack's error bodies, a dropped connection). Every request is
// recorded with its parsed body and the time it arrived, so tests assert exact Block Kit payloads and the gaps
// between retries.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly body: unknown;
  readonly raw: string;
  /** performance.now() when the request had arrived in full. */
  readonly at: number;
}

export type FakeAnswer =
  | { readonly status: number; readonly body?: string; readonly retryAfter?: string }
  /** Close the connection without an answer (the client sees a network error). */
  | { readonly drop: true };

export class FakeSlack {
  readonly requests: SlackRequest[] = [];
  private readonly queued: FakeAnswer[] = [];
  private readonly tokens = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => fake?.handle(req.method ?? 'GET', req.url ?? '/', req.headers, chunks, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlack(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** A webhook URL this server accepts; `name` makes the token (and so the URL) distinct. */
  webhookUrl(name = 'default'): string {
    const token = `${name.replace(/[^A-Za-z0-9]/g, '')}Xq7Lr9Tz2Wm4Kp8Ns3Vb`.slice(0, 24);
    this.tokens.add(token);
    return `${this.baseUrl}/services/T0FAKE000/B0FAKE000/${token}`;
  }

  /** The next requests get these answers, in order; after them, normal service. */
  answerNext(...answers: FakeAnswer[]): void {
    this.queued.push(...answers);
  }

  /** Bodies of the requests to one webhook URL (or all). */
  bodies(url?: string): unknown[] {
    const path = url === undefined ? undefined : new URL(url).pathname;
    return this.requests.filter((r) => path === undefined || r.path === path).map((r) => r.body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    res: ServerResponse,
  ): void {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    this.requests.push({ method, path, headers, body, raw, at: performance.now() });

    const answer = this.queued.shift();
    if (answer !== undefined && 'drop' in answer) {
      res.socket?.destroy();
      return;
    }
    if (answer !== undefined) {
      const extra = answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter };
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...extra });
      res.end(answer.body ?? defaultBody(answer.status));
      return;
    }
    const match = /^\/services\/[^/]+\/[^/]+\/([^/]+)$/.exec(path);
    if (method !== 'POST' || match === null || !this.tokens.has(match[1] ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no_service');
      return;
    }
    if (body === undefined || typeof body !== 'object') {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('invalid_payload');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  }
}

function defaultBody(status: number): string {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'internal_error';
  if (status === 404) return 'no_service';
  if (status === 403) return 'invalid_token';
  if (status === 410) return 'channel_is_archived';
  return 'invalid_payload';
}

// Fault injection shared by the Azure fakes: the next N matching requests are throttled, fail, answer
// slowly or answer garbage. Faults match on "METHOD /path" (a substring or a RegExp).
import type { IncomingMessage, ServerResponse } from 'node:http';

type Match = string | RegExp | undefined;

interface Fault {
  kind: 'throttle' | 'status' | 'slow' | 'malformed' | 'wrong-shape';
  remaining: number;
  match: Match;
  status?: number;
  code?: string;
  retryAfter?: string;
  delayMs?: number;
}

export interface FaultOptions {
  /** Only requests whose "METHOD /path" contains this (or matches it). */
  match?: string | RegExp;
}

export class Faults {
  private list: Fault[] = [];

  /** 429 TooManyRequests with Retry-After (seconds, default 0) on the next n matching requests. */
  throttle(n: number, opts: FaultOptions & { retryAfterSeconds?: number } = {}): this {
    this.list.push({
      kind: 'throttle',
      remaining: n,
      match: opts.match,
      retryAfter: String(opts.retryAfterSeconds ?? 0),
    });
    return this;
  }

  /** An error status (default 500 InternalServerError) on the next n matching requests. */
  fail(n: number, opts: FaultOptions & { status?: number; code?: string } = {}): this {
    this.list.push({
      kind: 'status',
      remaining: n,
      match: opts.match,
      status: opts.status ?? 500,
      code: opts.code,
    });
    return this;
  }

  /** Delays the next n matching answers by ms. */
  slow(ms: number, n = 1, opts: FaultOptions = {}): this {
    this.list.push({ kind: 'slow', remaining: n, match: opts.match, delayMs: ms });
    return this;
  }

  /** 200 with a body that is not JSON on the next n matching requests. */
  malformed(n: number, opts: FaultOptions = {}): this {
    this.list.push({ kind: 'malformed', remaining: n, match: opts.match });
    return this;
  }

  /** 200 with valid JSON of the wrong shape ({"Items": "oops", "value": "oops"}). */
  wrongShape(n: number, opts: FaultOptions = {}): this {
    this.list.push({ kind: 'wrong-shape', remaining: n, match: opts.match });
    return this;
  }

  clear(): void {
    this.list = [];
  }

  private take(what: string): Fault | null {
    for (const f of this.list) {
      if (f.remaining <= 0) continue;
      const m = f.match;
      if (m !== undefined && !(typeof m === 'string' ? what.includes(m) : m.test(what))) continue;
      f.remaining--;
      return f;
    }
    return null;
  }

  /** Applies a pending fault; true when it answered the request (the handler must not). */
  async apply(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const what = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
    const f = this.take(what);
    if (!f) return false;
    switch (f.kind) {
      case 'slow':
        await new Promise((r) => setTimeout(r, f.delayMs));
        return false;
      case 'throttle':
        sendJson(
          res,
          429,
          { error: { code: 'TooManyRequests', message: 'Rate limit exceeded (fake).' } },
          {
            'retry-after': f.retryAfter ?? '0',
          },
        );
        return true;
      case 'status':
        sendJson(res, f.status ?? 500, {
          error: { code: f.code ?? 'InternalServerError', message: `Injected failure ${f.status} (fake).` },
        });
        return true;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"value": [ {"name": "Standard_NC4as_T4_v3", ');
        return true;
      case 'wrong-shape':
        sendJson(res, 200, { Items: 'oops', value: 'oops' });
        return true;
    }
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

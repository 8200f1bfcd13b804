// Reading Server-Sent Events (the HTML standard's event-stream format) from a byte stream: what `gpusched watch`
// does with GET /v1/events. The parser is incremental and pure (chunks in, messages out); `readEvents` runs it
// over a fetch body.

export interface SseMessage {
  /** The `event:` name; "message" when the frame has none. */
  readonly event: string;
  /** The `data:` lines joined with newlines. */
  readonly data: string;
  /** The last `id:` seen so far (the stream's Last-Event-ID), or null. */
  readonly id: string | null;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private lastId: string | null = null;
  /** A `retry:` the server asked for, in ms. */
  retryMs: number | null = null;

  get lastEventId(): string | null {
    return this.lastId;
  }

  /** Feeds text; returns the messages it completed (a frame ends at a blank line). */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      const width = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[nl] === '\r' && width === 1 && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + width);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId };
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return null; // a comment: the server's heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return null;
  }
}

/** Every message of a fetch body, as it arrives; ends when the body does (a frame cut off by the end is dropped). */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  parser = new SseParser(),
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let done = false;
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      for (const m of parser.push(text)) yield m;
    }
  } finally {
    // The caller stopped early (a count reached, an error): close the stream rather than leave it open.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

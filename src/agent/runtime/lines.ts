// Bytes from a pipe → lines. UTF-8 characters split across chunks are put back together; `\r\n` and `\n` both end
// a line. A line longer than `maxLineChars` is cut into pieces of that length, so a job that prints megabytes
// without a newline (a progress bar with `\r`, a binary dump) cannot grow one string without bound.
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_MAX_LINE_CHARS = 64 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS) {}

  /** The complete lines in `chunk` (and what was left over before it). */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    const lines: string[] = [];
    for (const part of parts) lines.push(...this.cut(part.endsWith('\r') ? part.slice(0, -1) : part));
    // A long line without an end: give out its full pieces now, keep the rest.
    while (this.partial.length > this.maxLineChars) {
      lines.push(this.partial.slice(0, this.maxLineChars));
      this.partial = this.partial.slice(this.maxLineChars);
    }
    return lines;
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : this.cut(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  private cut(line: string): string[] {
    if (line.length <= this.maxLineChars) return [line];
    const pieces: string[] = [];
    for (let i = 0; i < line.length; i += this.maxLineChars)
      pieces.push(line.slice(i, i + this.maxLineChars));
    return pieces;
  }
}

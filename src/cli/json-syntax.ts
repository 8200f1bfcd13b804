// Where a JSON text first breaks the grammar. JSON.parse on Node 20 often says only `Unexpected token ','`
// with no position, and the YAML parser (which reads our JSON files for the line map) accepts things JSON
// does not (trailing commas, missing values, comments). A `.json` job file must be JSON, and its
// author needs the line of the mistake, so this small recursive-descent checker finds it.

export interface JsonSyntaxError {
  /** Offset into the text (UTF-16 units) of the first character that breaks the grammar. */
  offset: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Null when `text` is one valid JSON value (surrounded by whitespace, with an optional BOM). */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const describe = (at: number): string =>
    at >= n ? 'end of input' : `character ${JSON.stringify(text[at])}`;

  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            fail('bad \\u escape: expected 4 hex digits');
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) {
          i += 2;
        } else {
          fail(`bad escape ${JSON.stringify(`\\${e ?? ''}`)} in a string`);
        }
      } else if (c.charCodeAt(0) < 0x20) {
        fail('control character in a string (write it as \\n, \\t, ...)');
      } else {
        i++;
      }
    }
  };

  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) fail('bad number');
      i += m![0].length;
    } else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      if (word === undefined) fail(`expected a value, found ${describe(i)}`);
      i += word!.length;
    }
  };

  const object = (): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ':' after the property name, found ${describe(i)}`);
      i++;
      value();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      if (text[i] !== ',') fail(`expected ',' or '}' after a property value, found ${describe(i)}`);
      i++;
      ws();
      if (text[i] === '}') fail("trailing comma before '}'");
    }
  };

  const array = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      if (text[i] !== ',') fail(`expected ',' or ']' after an array item, found ${describe(i)}`);
      i++;
      ws();
      if (text[i] === ']') fail("trailing comma before ']'");
    }
  };

  try {
    value();
    ws();
    if (i < n) fail(`unexpected ${describe(i)} after the JSON value`);
    return null;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    // Nesting deep enough to overflow the stack: leave the verdict to the YAML parser.
    return null;
  }
}

/** 1-based line of an offset; an error at the end of input is put on the last line that has text. */
export function lineAtOffset(text: string, offset: number): number {
  let at = Math.min(offset, text.length);
  if (at >= text.length) at = text.trimEnd().length - 1;
  let line = 1;
  for (let k = 0; k < at; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

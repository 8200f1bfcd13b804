// Reading a job file the way a compiler reads source: every problem is reported as `FILE:LINE: ...` so
// that editors and CI annotate the right line. JSON is parsed by the same YAML parser (YAML 1.2 reads
// JSON), so both formats get one line map; a `.json` file is first held to strict JSON, because YAML
// would quietly accept a trailing comma or a missing value.
import { readFile } from 'node:fs/promises';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { type JobSpec, validateJobSpec } from '../core/jobspec.js';
import type { Issue } from '../core/validate.js';
import { CliError, EXIT } from './errors.js';
import { findJsonSyntaxError, lineAtOffset } from './json-syntax.js';

/** The name used for standard input in messages. */
export const STDIN_NAME = '<stdin>';

export interface FileIssue {
  file: string;
  line: number;
  /** Dotted path into the document; absent for syntax errors, which have no path. */
  path?: string;
  message: string;
}

export interface ParsedJobFile {
  /** The document as plain data: what gets validated and sent. */
  value: unknown;
  /** Line (1-based) of the node at a dotted path, or of its nearest ancestor that exists. */
  lineOf: (path: string) => number;
}

export type ParseResult = { ok: true; parsed: ParsedJobFile } | { ok: false; issues: FileIssue[] };

export type CheckResult =
  | { ok: true; spec: JobSpec; parsed: ParsedJobFile }
  | { ok: false; stage: 'syntax' | 'invalid'; issues: FileIssue[] };

function lineAt(lc: LineCounter, node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] | null } | null)?.range;
  const start = range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

/**
 * Walks a dotted path down the YAML tree. Keys may themselves contain dots (labels such as
 * `app.kubernetes.io/name`), so at each mapping the longest run of segments that names a key wins.
 * A map entry reports its key's line (the line a person edits, also for a block value below it);
 * a missing node reports the last node found, i.e. the nearest existing parent.
 */
function locate(doc: Document.Parsed, lc: LineCounter, path: string): number {
  const segments = path === '' ? [] : path.split('.');
  let node: unknown = doc.contents;
  let line = lineAt(lc, node) ?? 1;
  let i = 0;
  while (i < segments.length) {
    const current: unknown = isAlias(node) ? node.resolve(doc) : node;
    if (isMap<unknown, unknown>(current)) {
      let found = false;
      for (let n = segments.length - i; n >= 1 && !found; n--) {
        const key = segments.slice(i, i + n).join('.');
        const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
        if (pair) {
          line = lineAt(lc, pair.key) ?? lineAt(lc, pair.value) ?? line;
          node = pair.value;
          i += n;
          found = true;
        }
      }
      if (!found) break;
    } else if (isSeq<unknown>(current)) {
      const index = Number(segments[i]);
      const item = Number.isInteger(index) ? current.items[index] : undefined;
      if (item === undefined) break;
      line = lineAt(lc, item) ?? line;
      node = item;
      i += 1;
    } else {
      break;
    }
  }
  return line;
}

/** `.json` files must be strict JSON; everything else (stdin included) is YAML, which also reads JSON. */
export type JobFileFormat = 'json' | 'yaml';

export function formatOf(file: string): JobFileFormat {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}

export function parseJobText(
  text: string,
  file: string,
  format: JobFileFormat = formatOf(file),
): ParseResult {
  if (format === 'json') {
    const bad = findJsonSyntaxError(text);
    if (bad)
      return { ok: false, issues: [{ file, line: lineAtOffset(text, bad.offset), message: bad.message }] };
  }
  const lc = new LineCounter();
  // prettyErrors off: we want the bare message on one line; the position comes from the line counter.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({ file, line: lc.linePos(e.pos[0]).line, message: e.message }));
    return { ok: false, issues };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // toJS refuses alias bombs ("Excessive alias count"); that is a property of the text, so a syntax error.
    return {
      ok: false,
      issues: [{ file, line: 1, message: err instanceof Error ? err.message : String(err) }],
    };
  }
  return { ok: true, parsed: { value, lineOf: (path) => locate(doc, lc, path) } };
}

/** Issues with their lines, in file order (stable, so issues on one line keep the validator's order). */
export function issuesAtLines(
  issues: readonly Issue[],
  file: string,
  lineOf: (path: string) => number,
): FileIssue[] {
  return issues
    .map((i) => ({ file, line: lineOf(i.path), path: i.path, message: i.message }))
    .sort((a, b) => a.line - b.line);
}

/** Parse, then validate with the same rules as the daemon, at `now` (deadlines must be in the future). */
export function checkJobText(text: string, file: string, now: Date): CheckResult {
  const parsed = parseJobText(text, file);
  if (!parsed.ok) return { ok: false, stage: 'syntax', issues: parsed.issues };
  const result = validateJobSpec(parsed.parsed.value, now);
  if (!result.ok) {
    return { ok: false, stage: 'invalid', issues: issuesAtLines(result.issues, file, parsed.parsed.lineOf) };
  }
  return { ok: true, spec: result.spec, parsed: parsed.parsed };
}

/** `FILE:LINE: path: message`, or `FILE:LINE: message` for a syntax error. */
export function formatFileIssue(i: FileIssue): string {
  if (i.path === undefined) return `${i.file}:${i.line}: ${i.message}`;
  return `${i.file}:${i.line}: ${i.path === '' ? '(root)' : i.path}: ${i.message}`;
}

/** The text of FILE, or of standard input for `-`; an unreadable file is invalid input (exit 2). */
export async function readJobFile(
  file: string,
  readStdin: () => Promise<string>,
): Promise<{ name: string; text: string }> {
  if (file === '-') return { name: STDIN_NAME, text: await readStdin() };
  try {
    return { name: file, text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`gpusched: cannot read ${file} (${code})`, EXIT.invalid);
  }
}

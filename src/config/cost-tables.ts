// Reads the cost model's tables (config/gpu-speed.yaml and config/egress.yaml) from disk, validates them with
// the core's schemas and rules, and returns them frozen. Every problem of both files is collected before
// anything is thrown, each with `file:line` where the file has the key, so one run shows everything to fix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { buildCostTables, type CostTables } from '../core/cost-tables.js';
import type { PathIssue } from '../core/validate.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { lineOfPath } from './yaml-lines.js';

export const SPEED_FILE = 'gpu-speed.yaml';
export const EGRESS_FILE = 'egress.yaml';

/** The package's `config/` folder; the same path from src/config and dist/config. */
export function defaultCostTablesDir(): string {
  return fileURLToPath(new URL('../../config/', import.meta.url));
}

/** Throws `ConfigError` listing every problem of both files; returns both tables deep-frozen. */
export function loadCostTables(dir: string = defaultCostTablesDir()): CostTables {
  const issues: ConfigIssue[] = [];
  const speed = readTable(join(dir, SPEED_FILE), issues);
  const egress = readTable(join(dir, EGRESS_FILE), issues);
  if (speed && egress) {
    const built = buildCostTables(speed.value, egress.value);
    if (built.ok) return built.tables;
    for (const { table, issue } of built.issues)
      issues.push(attribute(table === 'speed' ? speed : egress, issue));
  }
  throw new ConfigError(byLine(issues));
}

interface YamlFile {
  readonly name: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

function readTable(name: string, issues: ConfigIssue[]): YamlFile | undefined {
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (error) {
    issues.push({ path: '', message: `cannot read: ${errorText(error)}`, source: name });
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const message = error.message.split('\n')[0] ?? error.message;
      issues.push({ path: '', message, source: `${name}:${lines.linePos(error.pos[0]).line}` });
    }
    return undefined;
  }
  try {
    return { name, doc, lines, value: doc.toJS() };
  } catch (error) {
    // e.g. an alias that expands past yaml's alias limit.
    issues.push({ path: '', message: errorText(error), source: name });
    return undefined;
  }
}

function attribute(file: YamlFile, issue: PathIssue): ConfigIssue {
  const path = issue.path.join('.');
  const line = lineOf(file, issue.path);
  return { path, message: issue.message, source: line === undefined ? file.name : `${file.name}:${line}` };
}

function lineOf(file: YamlFile, path: readonly string[]): number | undefined {
  return lineOfPath(file.doc, file.lines, path);
}

// Within each file (the speed table's first, as collected), problems in line order: the order a person reads
// and fixes them. A problem without a line keeps its place at the top of its file's.
function byLine(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const where = (issue: ConfigIssue) => {
    const match = /^(.*):(\d+)$/.exec(issue.source ?? '');
    return { file: match?.[1] ?? issue.source ?? '', line: Number(match?.[2] ?? 0) };
  };
  const files = [...new Set(issues.map((issue) => where(issue).file))];
  return issues
    .map((issue) => ({ issue, ...where(issue) }))
    .sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line)
    .map(({ issue }) => issue);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Loads the configuration: schema defaults ← YAML file ← environment, validated as a whole and frozen.
// Every problem is collected before anything is thrown, each with the file line or the variable it came from,
// so one run of the daemon shows the user everything to fix. Nothing on disk is resolved here except reading
// the file: turning dataDir and friends into absolute paths is the daemon's business.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { type Document, LineCounter, parseDocument } from 'yaml';
import {
  deepFreeze,
  type PathIssue,
  schemaField,
  schemaIssuePaths,
  show,
  typeName,
} from '../core/validate.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { configRuleIssues } from './rules.js';
import { CONFIG_FILE_ENV, type Config, ConfigSchema, envBindings } from './schema.js';
import { lineOfPath } from './yaml-lines.js';

export interface LoadConfigOptions {
  /** YAML file to load; when absent, `GPUSCHED_CONFIG` names it; with neither, schema defaults only. */
  readonly file?: string;
  /** Environment to read overrides from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The embedded default, `config/default.yaml` in the package; the same path from src/config and dist/config. */
export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../config/default.yaml', import.meta.url));
}

/** Throws `ConfigError` listing every problem; returns a deep-frozen configuration. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const named = nonEmpty(env[CONFIG_FILE_ENV]);
  const file = options.file ?? named;
  const issues: ConfigIssue[] = [];

  let raw: Record<string, unknown> = {};
  let yaml: YamlFile | undefined;
  if (file !== undefined) {
    const read = readYaml(file, options.file === undefined);
    issues.push(...read.issues);
    if (read.file !== undefined) {
      yaml = read.file;
      raw = read.file.value;
    }
  }

  const fromEnv = applyEnv(raw, env);
  issues.push(...fromEnv.issues);

  // A file that does not parse has no values to check; its syntax errors (and any bad variables) are the report.
  if (file === undefined || yaml !== undefined) {
    const value = Value.Default(ConfigSchema, emptyGroups(ConfigSchema, raw));
    const shapeIssues = schemaIssuePaths(ConfigSchema, value);
    // Cross-field rules only make sense on a value of the right shape.
    const ruleIssues = shapeIssues.length === 0 ? configRuleIssues(value as Config) : [];
    for (const issue of [...shapeIssues, ...ruleIssues]) {
      issues.push(attribute(issue, fromEnv.setBy, yaml));
    }
    if (issues.length === 0 && Value.Check(ConfigSchema, value)) return deepFreeze(value);
  }
  throw new ConfigError(
    issues.length > 0 ? byPlace(issues) : [{ path: '', message: 'does not match the schema' }],
  );
}

// File problems first, in line order (the order the user reads and fixes them), then the variables'.
function byPlace(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = ({ source }: ConfigIssue): [number, number] => {
    if (source === undefined) return [2, 0];
    if (source.startsWith('env ')) return [1, 0];
    const line = /:(\d+)$/.exec(source)?.[1];
    return [0, line === undefined ? 0 : Number(line)];
  };
  return issues
    .map((issue) => ({ issue, rank: rank(issue) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1])
    .map(({ issue }) => issue);
}

// ---------------------------------------------------------------------------------------------------------
// The file

interface YamlFile {
  readonly name: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: Record<string, unknown>;
}

function readYaml(name: string, namedByEnv: boolean): { file?: YamlFile; issues: ConfigIssue[] } {
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const which = namedByEnv ? `the config file named by ${CONFIG_FILE_ENV}` : 'the config file';
    return { issues: [{ path: '', message: `cannot read ${which}: ${why}`, source: name }] };
  }

  const lines = new LineCounter();
  // prettyErrors off: its messages embed a multi-line excerpt; we want one line and give the position ourselves.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((error) => ({
        path: '',
        message: error.message.split('\n')[0] ?? error.message,
        source: `${name}:${lines.linePos(error.pos[0]).line}`,
      })),
    };
  }

  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // e.g. an alias that expands past yaml's alias limit (the "billion laughs" guard).
    return {
      issues: [{ path: '', message: error instanceof Error ? error.message : String(error), source: name }],
    };
  }
  // An empty file, or one with only comments, is an empty configuration.
  if (value === null || value === undefined) value = {};
  if (!isPlainObject(value)) {
    const where = doc.contents?.range ? `${name}:${lines.linePos(doc.contents.range[0]).line}` : name;
    const message = `the top level must be a mapping of keys, got ${show(value, false)}`;
    return { issues: [{ path: '', message, source: where }] };
  }
  return { file: { name, doc, lines, value }, issues: [] };
}

function lineOf(file: YamlFile, path: readonly string[]): number | undefined {
  return lineOfPath(file.doc, file.lines, path);
}

// ---------------------------------------------------------------------------------------------------------
// The environment

// `VAR=` is how shells and compose files usually clear a variable, so an empty value counts as unset.
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Sets every bound variable's value into `raw`; returns the problems and which paths each variable set. */
function applyEnv(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { issues: ConfigIssue[]; setBy: Map<string, string> } {
  const issues: ConfigIssue[] = [];
  const setBy = new Map<string, string>();
  for (const binding of envBindings()) {
    const text = nonEmpty(env[binding.env]);
    if (text === undefined) continue;
    const path = binding.path.join('.');
    const coerced = coerceEnv(binding.schema, text);
    if (!coerced.ok) {
      issues.push({ path, message: coerced.message, source: `env ${binding.env}` });
    } else if (setAt(raw, binding.path, coerced.value)) {
      setBy.set(path, binding.env);
    }
    // else: the file has a non-mapping where the key's parent should be; validation reports that.
  }
  return { issues, setBy };
}

export type Coerced =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

/**
 * Reads an environment variable's text as the type its key's schema wants. Only the type is checked here;
 * ranges and enums are the validator's, so their wording is the same as for the file.
 */
export function coerceEnv(schema: TSchema, text: string): Coerced {
  const type = scalarType(schema);
  const trimmed = text.trim();
  const fail = (): Coerced => ({
    ok: false,
    message: `expected ${typeName(type)}, got ${JSON.stringify(text)}`,
  });
  switch (type) {
    case 'integer': {
      const value = Number(trimmed);
      return /^[+-]?\d+$/.test(trimmed) && Number.isSafeInteger(value) ? { ok: true, value } : fail();
    }
    case 'number': {
      const value = Number(trimmed);
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) && Number.isFinite(value)
        ? { ok: true, value }
        : fail();
    }
    case 'boolean': {
      const word = trimmed.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(word)) return { ok: true, value: true };
      if (['false', '0', 'no', 'off'].includes(word)) return { ok: true, value: false };
      return fail();
    }
    default:
      // Strings and enums are taken verbatim: a token or a path may carry meaningful spaces.
      return { ok: true, value: text };
  }
}

// The JSON type a variable is read as: the key's `type`, or for a nullable key (`string | null`) the non-null
// branch's; an enum of strings has no `type` and is read as a string.
function scalarType(schema: TSchema): unknown {
  const type = schemaField(schema, 'type');
  if (type !== undefined) return type;
  const branches = schemaField(schema, 'anyOf');
  if (Array.isArray(branches)) {
    for (const branch of branches as TSchema[]) {
      const branchType = schemaField(branch, 'type');
      if (branchType !== 'null') return branchType;
    }
  }
  return 'string';
}

// A group whose keys are all commented out parses as `group: null`; read it as an empty group (all defaults)
// rather than fail, since that is what the user meant by taking every line of it out.
function emptyGroups(schema: TSchema, value: Record<string, unknown>): Record<string, unknown> {
  const properties = schemaField(schema, 'properties') as Record<string, TSchema> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) {
    if (schemaField(child, 'type') !== 'object') continue;
    const current = value[key];
    if (current === null) value[key] = {};
    else if (isPlainObject(current)) emptyGroups(child, current);
  }
  return value;
}

function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!isPlainObject(next)) return false;
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last === undefined) return false;
  node[last] = value;
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Says which input a problem came from: the variable that set the key, else the file's line. */
function attribute(
  issue: PathIssue,
  setBy: ReadonlyMap<string, string>,
  yaml: YamlFile | undefined,
): ConfigIssue {
  const path = issue.path.join('.');
  for (let depth = issue.path.length; depth > 0; depth--) {
    const variable = setBy.get(issue.path.slice(0, depth).join('.'));
    if (variable !== undefined) return { path, message: issue.message, source: `env ${variable}` };
  }
  if (yaml !== undefined) {
    const line = lineOf(yaml, issue.path);
    if (line !== undefined) return { path, message: issue.message, source: `${yaml.name}:${line}` };
    if (issue.path.length === 0) return { path, message: issue.message, source: yaml.name };
  }
  return { path, message: issue.message };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

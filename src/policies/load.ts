// Loading budget policies from a folder of YAML files. Every problem in every file is collected before
// anything is refused, each as `FILE:LINE: path: message` (the form editors and CI annotate), so one run of
// `gpusched policies check` shows everything to fix. A folder loads as a whole or not at all: the caller keeps
// the last good set in force when a load fails (see watch.ts).
//
// Pure parsing (`parsePolicyFiles`) is apart from reading the folder (`readPolicyDir`), so the rules are tested
// without a file system.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { lineOfPath } from '../config/yaml-lines.js';
import { isValidTimeZone } from '../core/budget.js';
import { deepFreeze, type PathIssue, schemaIssuePaths } from '../core/validate.js';
import { AlertsSchema, type Policy, PolicyFileSchema, PolicySchema, type PolicySpec } from './schema.js';

export interface PolicyIssue {
  /** The file as the folder was named plus its name (`policies/research.yaml`), or the folder. */
  readonly file: string;
  /** 1-based; absent only for problems with the folder itself. */
  readonly line?: number;
  /** Dotted path into the file (`policies.0.limitUsd`); absent for syntax errors and file-level problems. */
  readonly path?: string;
  readonly message: string;
}

/** `FILE:LINE: path: message`; `FILE:LINE: message` without a path; `(root)` for the whole document. */
export function formatPolicyIssue(issue: PolicyIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  if (issue.path === undefined) return `${where}: ${issue.message}`;
  return `${where}: ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`;
}

/** Thrown where a caller needs a valid set or nothing (the daemon at startup); the message lists every issue. */
export class PolicyError extends Error {
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[]) {
    const head =
      issues.length === 1
        ? 'invalid budget policies:'
        : `invalid budget policies (${issues.length} problems):`;
    super([head, ...issues.map((issue) => `  ${formatPolicyIssue(issue)}`)].join('\n'));
    this.name = 'PolicyError';
    this.issues = Object.freeze([...issues]);
  }
}

/** A valid set of policies: what is in force. Deep-frozen. */
export interface PolicySet {
  readonly dir: string;
  /** In file order (files by name), then in order within each file. */
  readonly policies: readonly Policy[];
  /** The policy files read, with the folder prefix. */
  readonly files: readonly string[];
  /** Hash of the files' names and contents: equal fingerprints, equal sets. */
  readonly fingerprint: string;
}

export type PolicyLoadResult =
  | { readonly ok: true; readonly set: PolicySet }
  | { readonly ok: false; readonly issues: readonly PolicyIssue[]; readonly fingerprint: string };

export interface PolicyFileText {
  /** How messages name the file: the folder joined with the file name. */
  readonly name: string;
  readonly text: string;
}

/** Reads and validates every policy file of `dir`. Never throws for bad content; see PolicyLoadResult. */
export function loadPolicyDir(dir: string): PolicyLoadResult {
  const read = readPolicyDir(dir);
  const fingerprint = fingerprintOf(read.files);
  // A folder that cannot be read must not look the same as an empty one that can.
  if (read.issues.length > 0)
    return { ok: false, issues: read.issues, fingerprint: `${fingerprint}:unreadable` };
  const parsed = parsePolicyFiles(read.files);
  if (parsed.issues.length > 0) return { ok: false, issues: parsed.issues, fingerprint };
  return {
    ok: true,
    set: deepFreeze({ dir, policies: parsed.policies, files: read.files.map((f) => f.name), fingerprint }),
  };
}

/** Like loadPolicyDir, but throws PolicyError: for callers that cannot go on without a valid set. */
export function loadPolicyDirOrThrow(dir: string): PolicySet {
  const result = loadPolicyDir(dir);
  if (!result.ok) throw new PolicyError(result.issues);
  return result.set;
}

/**
 * The policy files of a folder: `*.yaml` and `*.yml`, by name, not recursing. Hidden files and editor
 * leftovers (`.x.yaml.swp`, `x.yaml~`) do not match, so saving in an editor does not load a half-written copy.
 */
export function readPolicyDir(dir: string): { files: PolicyFileText[]; issues: PolicyIssue[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    return { files: [], issues: [{ file: dir, message: `cannot read the policy folder: ${reason(error)}` }] };
  }
  const files: PolicyFileText[] = [];
  const issues: PolicyIssue[] = [];
  for (const name of names.filter(isPolicyFileName).sort()) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      files.push({ name: path, text: readFileSync(path, 'utf8') });
    } catch (error) {
      issues.push({ file: path, message: `cannot read the file: ${reason(error)}` });
    }
  }
  return { files, issues };
}

export function isPolicyFileName(name: string): boolean {
  return !name.startsWith('.') && /\.ya?ml$/i.test(name);
}

export function fingerprintOf(files: readonly PolicyFileText[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.name}\u0000${file.text}\u0000`);
  return hash.digest('hex');
}

/**
 * Validates files already read: each on its own, then names across all of them. Pure. Returns the policies
 * only when there is no issue at all (a set loads whole or not at all).
 */
export function parsePolicyFiles(files: readonly PolicyFileText[]): {
  policies: Policy[];
  issues: PolicyIssue[];
} {
  const policies: Policy[] = [];
  const issues: PolicyIssue[] = [];
  const byName = new Map<string, Policy>();
  for (const file of files) {
    const parsed = parseFile(file.text, file.name);
    issues.push(...parsed.issues);
    for (const { policy, namePath } of parsed.entries) {
      const first = byName.get(policy.name);
      if (first !== undefined) {
        issues.push({
          file: policy.source.file,
          line: policy.source.line,
          path: namePath,
          message: `policy name "${policy.name}" is already used at ${first.source.file}:${first.source.line}; names must be unique across all policy files`,
        });
        continue;
      }
      byName.set(policy.name, policy);
      policies.push(policy);
    }
  }
  return issues.length > 0 ? { policies: [], issues } : { policies, issues: [] };
}

/**
 * One file: one policy (a mapping with `name`), or several under `policies:`. Returns its policies, each
 * with defaults filled and its source line, and every issue in line order.
 */
export function parsePolicyText(text: string, file: string): { policies: Policy[]; issues: PolicyIssue[] } {
  const { entries, issues } = parseFile(text, file);
  return { policies: entries.map((entry) => entry.policy), issues };
}

interface Parsed {
  /** Each policy with the dotted path of its name, for issues about it found later (duplicates). */
  entries: { policy: Policy; namePath: string }[];
  issues: PolicyIssue[];
}

function parseFile(text: string, file: string): Parsed {
  const lines = new LineCounter();
  // prettyErrors off: one line per message; the position comes from the line counter.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => ({
      file,
      line: lines.linePos(error.pos[0]).line,
      message: error.message.startsWith('Source contains multiple documents')
        ? 'a policy file holds one YAML document (no ---); put several policies under policies: as a list'
        : (error.message.split('\n')[0] ?? error.message),
    }));
    return { entries: [], issues };
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // An alias that expands past yaml's limit ("billion laughs"): a property of the text.
    return { entries: [], issues: [{ file, line: 1, message: reason(error) }] };
  }
  const topLine = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : 1;
  if (raw === null || raw === undefined) {
    return {
      entries: [],
      issues: [
        {
          file,
          line: 1,
          message:
            'the file is empty: it must hold a policy (or policies: with a list); to remove its policies, delete the file',
        },
      ],
    };
  }
  if (!isPlainObject(raw)) {
    return {
      entries: [],
      issues: [
        {
          file,
          line: topLine,
          path: '',
          message:
            'the top level must be a policy (a mapping with name, scope, period, limitUsd, …) or policies: with a list',
        },
      ],
    };
  }

  const many = 'policies' in raw;
  const schema: TSchema = many ? PolicyFileSchema : PolicySchema;
  const value = Value.Default(many ? FileDefaults : PolicyDefaults, withoutEmptyAlerts(raw, many)) as Record<
    string,
    unknown
  >;
  const where = (path: readonly string[]): number => lineOfPath(doc, lines, path) ?? topLine;
  const found: PathIssue[] = [];

  // A URL anywhere is refused before the schema speaks, so that no message quotes it (it may be a webhook).
  const urls = urlPaths(raw, []);
  for (const path of urls) {
    found.push({
      path,
      message:
        'holds a URL; policy files must not contain URLs: a Slack webhook URL is a secret, so name the webhook (slack: research) and put its URL in GPUSCHED_SLACK_WEBHOOK_RESEARCH or the secret file <dataDir>/secrets/slack-research',
    });
  }
  const underUrl = (path: readonly string[]) =>
    urls.some((url) => url.length <= path.length && url.every((key, i) => path[i] === key));
  const shape = schemaIssuePaths(schema, value)
    .filter((issue) => !underUrl(issue.path))
    .map((issue) => reword(issue, value));
  found.push(...shape);

  const specs: { spec: PolicySpec; at: string[] }[] = many
    ? (Array.isArray(value.policies) ? (value.policies as unknown[]) : []).map((spec, i) => ({
        spec: spec as PolicySpec,
        at: ['policies', String(i)],
      }))
    : [{ spec: value as unknown as PolicySpec, at: [] }];
  // The rules read a policy's values, so they run on each policy whose shape is right.
  for (const { spec, at } of specs) {
    const inside = (path: readonly string[]) => at.every((key, i) => path[i] === key);
    if (!found.some((issue) => inside(issue.path))) found.push(...ruleIssues(spec, at));
  }

  const issues = found
    .map((issue) => ({ file, line: where(issue.path), path: issue.path.join('.'), message: issue.message }))
    .sort((a, b) => a.line - b.line);
  if (issues.length > 0) return { entries: [], issues };

  const entries = specs.map(({ spec, at }) => ({
    policy: { ...spec, source: { file, line: where([...at, 'name']) } },
    namePath: [...at, 'name'].join('.'),
  }));
  return { entries, issues: [] };
}

// `alerts:` with every line under it commented out parses as null: read it as "the defaults", as the config
// loader reads an emptied group, rather than refuse what the author meant.
function withoutEmptyAlerts(raw: Record<string, unknown>, many: boolean): Record<string, unknown> {
  const copy = structuredClone(raw);
  const specs = many ? (Array.isArray(copy.policies) ? copy.policies : []) : [copy];
  for (const spec of specs) if (isPlainObject(spec) && spec.alerts === null) delete spec.alerts;
  return copy;
}

// The validator's generic wording where a policy author deserves a specific one.
function reword(issue: PathIssue, value: unknown): PathIssue {
  const parent = issue.path.at(-2);
  const key = issue.path.at(-1) ?? '';
  if (parent === 'labels' && issue.message.startsWith('unknown key')) {
    return {
      path: issue.path,
      message: `label key ${JSON.stringify(key)} must be letters, digits and . _ / - (starting with a letter or digit, at most 63), as in job specs`,
    };
  }
  if (parent === 'alerts' && key === 'slack' && issue.message.startsWith('must match the pattern')) {
    const got = valueAt(value, issue.path);
    return {
      path: issue.path,
      message: `must be a webhook name: lower-case letters and digits, words joined by - or _ (e.g. research, ml-infra), got ${JSON.stringify(got)}`,
    };
  }
  return issue;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path)
    node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

// The parts of a policy that have defaults. TypeBox's Value.Default cannot walk a Record schema with
// `additionalProperties: false` (the label selector), so defaults are filled through these, which leave the
// scope alone, and the full schemas validate the result.
const PolicyDefaults = Type.Object({
  timezone: PolicySchema.properties.timezone,
  action: PolicySchema.properties.action,
  alerts: AlertsSchema,
});
const FileDefaults = Type.Object({ policies: Type.Array(PolicyDefaults) });

/** What a schema cannot say. Runs on a policy of the right shape only. */
function ruleIssues(spec: PolicySpec, at: readonly string[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const scope = spec.scope;
  const named = ['team', 'project', 'labels'].filter((key) => key in scope);
  if (scope.all === true && named.length > 0) {
    issues.push({
      path: [...at, 'scope', 'all'],
      message: `all: true covers every job; leave out ${named.join(', ')} (or drop all)`,
    });
  } else if (scope.all !== true && named.length === 0) {
    issues.push({
      path: [...at, 'scope'],
      message: 'must name a team, a project, labels (a selector), or all: true',
    });
  }
  if (scope.labels && Object.keys(scope.labels).length === 0) {
    issues.push({ path: [...at, 'scope', 'labels'], message: 'must name at least one label' });
  }
  if (scope.project !== undefined && scope.labels?.project !== undefined) {
    issues.push({
      path: [...at, 'scope', 'labels', 'project'],
      message: 'the project is already given as scope.project; give it once',
    });
  }
  if (!isValidTimeZone(spec.timezone)) {
    issues.push({
      path: [...at, 'timezone'],
      message: `unknown IANA time zone ${JSON.stringify(spec.timezone)} (e.g. UTC, Europe/Berlin, America/New_York)`,
    });
  }
  return issues;
}

// Any scheme://… string, and Slack's webhook host written without a scheme.
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|hooks\.slack\.com/i;

function urlPaths(value: unknown, path: string[]): string[][] {
  if (typeof value === 'string') return URL_LIKE.test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => urlPaths(item, [...path, String(i)]));
  if (isPlainObject(value)) {
    return Object.entries(value).flatMap(([key, child]) => [
      ...(URL_LIKE.test(key) ? [[...path, key]] : []),
      ...urlPaths(child, [...path, key]),
    ]);
  }
  return [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

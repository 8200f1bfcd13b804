// One way to check data against a TypeBox schema everywhere (job specs, API requests, the daemon's config):
// every error, each at the path a person can find in their file, worded for the person who wrote the value.
// Pure: no I/O, nothing but the schema and the value. Callers say where a value came from (a file line, an
// environment variable, an HTTP part); this module only says what is wrong with it and where inside it.

import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { pointerToPath, schemaField, schemaProperties, schemasAlong } from './schema-walk.js';

export { pointerToPath, schemaAt, schemaField, schemaProperties } from './schema-walk.js';

/** A problem with a value, at a dotted path: `resources.gpu.count`, `data.0.region`; '' for the root. */
export interface Issue {
  path: string;
  message: string;
}

/** The same, with the path as its keys; for callers that must tell `a.b` from a key named "a.b". */
export interface PathIssue {
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * The most schema errors collected for one value. TypeBox stops at `maxErrors` (8 by default); a list cut short
 * sends the author round the edit-run loop once per cut, so each call lifts the cap to this and puts it back.
 * It stays finite: an API body is bounded by the body limit, but its errors should be bounded too.
 */
export const MAX_SCHEMA_ERRORS = 1000;

/** Every way `value` breaks `schema`, with dotted paths; [] when it conforms. */
export function schemaIssues(schema: TSchema, value: unknown): Issue[] {
  return schemaIssuePaths(schema, value).map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
}

/** Every way `value` breaks `schema`, with paths as key lists; [] when it conforms. */
export function schemaIssuePaths(schema: TSchema, value: unknown): PathIssue[] {
  if (compiled(schema).Check(value)) return [];
  const issues = describe(collectErrors(schema, value), { root: schema, value });
  // TypeBox may say one thing twice (e.g. through two branches); say it once.
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.join('\u0000')}\u0001${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A schema's checker, compiled once: the API checks every request body and job spec against the same few schemas,
 * and TypeBox's compiled check is many times faster than walking the schema each time. Errors, asked only of a
 * value that fails, are still collected by walking it (collectErrors), with their cap.
 */
function compiled(schema: TSchema): Validator {
  let v = COMPILED.get(schema);
  if (!v) {
    v = Compile(schema);
    COMPILED.set(schema, v);
  }
  return v;
}

const COMPILED = new WeakMap<TSchema, Validator>();

// `Settings` is TypeBox's global; `Value.Errors` is synchronous, so nothing else can run while it is raised.
function collectErrors(schema: TSchema, value: unknown): TLocalizedValidationError[] {
  const saved = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: MAX_SCHEMA_ERRORS });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: saved });
  }
}

/** One issue a line: `path: message`, the root written `(root)`. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n');
}

/** `joinPath('data', 0)` → `data.0`; `joinPath('', 'name')` → `name`. */
export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** `/api/port` → `['api', 'port']`; '' → [] (JSON Pointer, RFC 6901, escapes undone). */

/** Freeze a validated value all the way down, so nothing downstream can change what was checked. */
export function deepFreeze<T>(value: T): Readonly<T> {
  // Typed arrays cannot be frozen (and are not config or JSON anyway).
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Wording

interface Context {
  readonly root: TSchema;
  readonly value: unknown;
}

/** True when `inner` lies inside branch `branch` of the union error `union` (or any branch when undefined). */
function insideUnion(
  inner: TLocalizedValidationError,
  union: TLocalizedValidationError,
  branch?: number,
): boolean {
  if (inner === union) return false;
  const prefix = `${union.schemaPath}/anyOf/${branch ?? ''}`;
  const inSchema =
    branch === undefined
      ? inner.schemaPath.startsWith(prefix)
      : inner.schemaPath === prefix || inner.schemaPath.startsWith(`${prefix}/`);
  const at = union.instancePath;
  return inSchema && (inner.instancePath === at || inner.instancePath.startsWith(`${at}/`));
}

function describe(errors: readonly TLocalizedValidationError[], ctx: Context): PathIssue[] {
  const unions = errors.filter((error) => error.keyword === 'anyOf');
  const issues: PathIssue[] = [];
  for (const error of errors) {
    // Errors raised inside a union's branches: the union's own error speaks for them.
    if (unions.some((union) => insideUnion(error, union))) continue;
    const path = pointerToPath(error.instancePath);
    const chain = schemasAlong(ctx.root, error.schemaPath);
    const schema = chain.at(-1);
    const secret = chain.some((node) => schemaField(node, 'secret') === true);
    const actual = valueAt(ctx.value, path);
    switch (error.keyword) {
      case 'additionalProperties': {
        const names = Object.keys(schemaProperties(schema));
        const known = names.length > 0 ? `known keys: ${names.join(', ')}` : 'no keys are allowed here';
        for (const key of error.params.additionalProperties) {
          issues.push({ path: [...path, key], message: `unknown key "${key}" (${known})` });
        }
        break;
      }
      case 'boolean':
        // `additionalProperties: false` also fails each extra key against a `false` schema; already said above.
        if (!error.schemaPath.endsWith('/additionalProperties'))
          issues.push({ path, message: 'is not allowed here' });
        break;
      case 'required':
        for (const key of error.params.requiredProperties)
          issues.push({ path: [...path, key], message: 'is required' });
        break;
      case 'anyOf':
        issues.push(...describeUnion(errors, error, ctx, path, actual, schema, secret));
        break;
      default:
        issues.push({ path, message: describeOne(error, actual, secret) });
    }
  }
  return issues;
}

// A union such as `string | null`: when the value has a branch's type, that branch's own complaints are the
// useful ones (`""` is a string that is too short, not "not a string or null"); a union of literals lists them;
// otherwise list the choices.
function describeUnion(
  errors: readonly TLocalizedValidationError[],
  union: TLocalizedValidationError,
  ctx: Context,
  path: string[],
  actual: unknown,
  schema: TSchema | undefined,
  secret: boolean,
): PathIssue[] {
  const branches = ((schema === undefined ? undefined : schemaField(schema, 'anyOf')) ?? []) as TSchema[];
  const got = show(actual, secret);
  const literals = branches.flatMap((branch) => literalValues(branch) ?? []);
  if (branches.length > 0 && branches.every((branch) => literalValues(branch) !== undefined)) {
    return [{ path, message: `expected one of ${literals.map(String).join(', ')}, got ${got}` }];
  }
  // Of the branches of the value's type, the one it comes nearest to (fewest errors; the first on a tie).
  let best: TLocalizedValidationError[] | undefined;
  branches.forEach((branch, index) => {
    if (!hasType(actual, schemaField(branch, 'type'))) return;
    const own = errors.filter((error) => insideUnion(error, union, index));
    if (own.length > 0 && (best === undefined || own.length < best.length)) best = own;
  });
  const issues = best === undefined ? [] : describe(best, ctx);
  if (issues.length > 0) return issues;
  return [{ path, message: `expected ${branches.map(choiceName).join(' or ')}, got ${got}` }];
}

function literalValues(branch: TSchema): unknown[] | undefined {
  const values = schemaField(branch, 'enum');
  if (Array.isArray(values)) return values;
  return 'const' in branch ? [schemaField(branch, 'const')] : undefined;
}

function choiceName(branch: TSchema): string {
  const literals = literalValues(branch);
  if (literals !== undefined) return literals.map((v) => show(v, false)).join(' or ');
  const type = schemaField(branch, 'type');
  return type === undefined ? 'another kind of value' : typeName(type);
}

function describeOne(error: TLocalizedValidationError, actual: unknown, secret: boolean): string {
  const got = show(actual, secret);
  switch (error.keyword) {
    case 'type':
      return `expected ${typeName(error.params.type)}, got ${got}`;
    case 'enum':
      return `expected one of ${error.params.allowedValues.map(String).join(', ')}, got ${got}`;
    case 'const':
      return `expected ${show(error.params.allowedValue, false)}, got ${got}`;
    case 'minimum':
      return `must be at least ${error.params.limit}, got ${got}`;
    case 'maximum':
      return `must be at most ${error.params.limit}, got ${got}`;
    case 'exclusiveMinimum':
      return `must be greater than ${error.params.limit}, got ${got}`;
    case 'exclusiveMaximum':
      return `must be less than ${error.params.limit}, got ${got}`;
    case 'multipleOf':
      return `must be a multiple of ${error.params.multipleOf}, got ${got}`;
    // Length, never the text: the string may be a token.
    case 'minLength':
      if (error.params.limit === 1) return 'must not be empty';
      return `must be at least ${error.params.limit} characters long, got ${lengthOf(actual)}`;
    case 'maxLength':
      return `must be at most ${error.params.limit} characters long, got ${lengthOf(actual)}`;
    case 'pattern':
      return `must match the pattern ${String(error.params.pattern)}, got ${got}`;
    case 'format':
      return `must be a ${error.params.format} string, got ${got}`;
    case 'minItems':
      if (error.params.limit === 1) return 'must not be empty';
      return `must have at least ${error.params.limit} items, got ${countOf(actual)}`;
    case 'maxItems':
      return `must have at most ${error.params.limit} items, got ${countOf(actual)}`;
    case 'uniqueItems':
      return 'must not list the same item twice';
    default:
      return error.message;
  }
}

/** `expected an integer`: the article and the YAML author's word for each JSON Schema type. */
export function typeName(type: unknown): string {
  if (Array.isArray(type)) return type.map(typeName).join(' or ');
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    default:
      return String(type);
  }
}

/** How a value is quoted in a message; a secret is described by its kind only. */
export function show(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return secret ? 'a string' : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return secret ? `a ${typeof value}` : String(value);
    case 'undefined':
      return 'nothing';
    case 'object':
      return value instanceof Uint8Array ? 'binary data' : 'a mapping';
    default:
      return typeof value;
  }
}

function lengthOf(value: unknown): string {
  return typeof value === 'string' ? `${value.length}` : show(value, true);
}

function countOf(value: unknown): string {
  return Array.isArray(value) ? `${value.length}` : show(value, true);
}

function hasType(value: unknown, type: unknown): boolean {
  if (Array.isArray(type)) return type.some((t) => hasType(value, t));
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
    case 'integer':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

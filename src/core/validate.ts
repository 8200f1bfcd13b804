// One way to validate data against a TypeBox schema everywhere (job specs, API bodies, config):
// every error, each with a dotted path a person can find in their file.
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

export interface Issue {
  /** Dotted path into the document: `resources.gpu.count`, `data.0.region`; '' for the root. */
  path: string;
  message: string;
}

/** `/resources/gpu/count` → `resources.gpu.count` (JSON-pointer escapes undone). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

interface RawError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/**
 * Every schema error as an Issue. TypeBox reports an unknown key twice (once as `schema is false` on the
 * key, once as `additionalProperties` on the parent); we keep one, on the key itself, because that is the
 * line a person has to delete.
 */
export function schemaIssues(schema: TSchema, value: unknown): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, value) as unknown as RawError[]) {
    let issue: Issue;
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params.additionalProperties as string[] | undefined) ?? [];
      for (const key of extra) {
        const path = joinPath(pointerToPath(e.instancePath), key);
        push({ path, message: 'unknown field' });
      }
      continue;
    }
    if (e.keyword === 'boolean' && e.message === 'schema is false') {
      issue = { path: pointerToPath(e.instancePath), message: 'unknown field' };
    } else if (e.keyword === 'required') {
      const missing = (e.params.requiredProperties as string[] | undefined) ?? [];
      for (const key of missing) push({ path: joinPath(pointerToPath(e.instancePath), key), message: 'is required' });
      continue;
    } else {
      issue = { path: pointerToPath(e.instancePath), message: e.message };
    }
    push(issue);
  }
  return issues;

  function push(issue: Issue): void {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  }
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n');
}

/** Freeze a validated value all the way down, so nothing downstream can change what was checked. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

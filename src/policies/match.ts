// Which policies apply to a job. A job is counted by, and must be allowed by, every policy whose scope it
// matches: a team's monthly budget and a project's weekly one may both hold the same job. Pure.
import type { Policy, PolicyScope } from './schema.js';

/** What a scope looks at: the job's team (from its token, authoritative) and its labels. */
export interface ScopeSubject {
  readonly team: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** True when every condition of the scope holds for the job; `all: true` holds for every job. */
export function scopeMatches(scope: PolicyScope, job: ScopeSubject): boolean {
  if (scope.all === true) return true;
  const labels = job.labels ?? {};
  if (scope.team !== undefined && scope.team !== job.team) return false;
  if (scope.project !== undefined && labels.project !== scope.project) return false;
  for (const [key, wanted] of Object.entries(scope.labels ?? {})) {
    const value = labels[key];
    if (value === undefined) return false;
    if (typeof wanted === 'string' ? value !== wanted : !wanted.includes(value)) return false;
  }
  return true;
}

/** The policies that apply to the job, in the set's order. */
export function policiesFor<P extends Pick<Policy, 'scope'>>(policies: readonly P[], job: ScopeSubject): P[] {
  return policies.filter((policy) => scopeMatches(policy.scope, job));
}

/**
 * The team that may read a policy's alerts besides admins: the scope's team, when the scope names one.
 * A scope of labels alone (or `all`) may span teams, so only admins see its alerts.
 */
export function teamOfScope(scope: PolicyScope): string | null {
  return scope.all === true ? null : (scope.team ?? null);
}

/** `team research, project llm, labels env=prod, tier in (a, b)`; `every job` for `all: true`. */
export function describeScope(scope: PolicyScope): string {
  if (scope.all === true) return 'every job';
  const parts: string[] = [];
  if (scope.team !== undefined) parts.push(`team ${scope.team}`);
  if (scope.project !== undefined) parts.push(`project ${scope.project}`);
  const selectors = Object.entries(scope.labels ?? {}).map(([key, wanted]) =>
    typeof wanted === 'string' ? `${key}=${wanted}` : `${key} in (${wanted.join(', ')})`,
  );
  if (selectors.length > 0) parts.push(`labels ${selectors.join(', ')}`);
  return parts.join(', ');
}

// Configuration problems, worded for the person who edits the file or sets the variable. The daemon prints
// `ConfigError.message` and exits 2, so the message must stand on its own: every problem, one per line, each
// with where it came from. What is wrong with a value, and its wording, come from core/validate.ts (shared with
// job specs and the API); this file only adds where each problem came from.

export interface ConfigIssue {
  /** Dotted path of the key, e.g. `api.port`; '' for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** `file:line` (or just `file`), or `env GPUSCHED_X`; absent when no input of the user's caused it. */
  readonly source?: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const head =
      issues.length === 1 ? 'invalid configuration:' : `invalid configuration (${issues.length} problems):`;
    super([head, ...issues.map((issue) => `  ${formatIssue(issue)}`)].join('\n'));
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

/** One line: `config/x.yaml:7: api.port: …`, `GPUSCHED_PORT (api.port): …` or `api.port: …`. */
export function formatIssue({ path, message, source }: ConfigIssue): string {
  if (source?.startsWith('env ')) return `${source.slice(4)} (${path}): ${message}`;
  const where = [source, path].filter((part) => part !== undefined && part !== '');
  return [...where, message].join(': ');
}

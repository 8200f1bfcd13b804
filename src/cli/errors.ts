// Exit codes are part of the CLI's interface (docs/cli.md): scripts branch on them, so each failure
// class maps to exactly one code and nothing else decides it.

export const EXIT = {
  ok: 0,
  /** The daemon answered with an error (4xx/5xx), or something unexpected failed. */
  api: 1,
  /** The input was wrong before anything was sent: usage, an unreadable or invalid job file. */
  invalid: 2,
  /** The daemon could not be reached at all. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI has already put into words: each line goes to stderr as is. */
export class CliError extends Error {
  readonly lines: readonly string[];

  constructor(
    lines: string | readonly string[],
    readonly exitCode: ExitCode,
  ) {
    const all = typeof lines === 'string' ? [lines] : lines;
    super(all.join('\n'));
    this.name = 'CliError';
    this.lines = all;
  }
}

// What the CLI touches in the outside world, in one object, so that tests can drive `main` in-process
// (capture output, set the environment, pin the clock) without spawning a process or patching globals.

export interface Io {
  /** Standard output: results a script may parse. Receives whole chunks, newlines included. */
  out: (text: string) => void;
  /** Standard error: diagnostics, warnings, errors. */
  err: (text: string) => void;
  /** The environment read for GPUSCHED_* settings (not process.env in tests). */
  env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, for `submit -`. */
  readStdin: () => Promise<string>;
  /** The clock used for relative times and for validating deadlines. */
  now: () => Date;
  /** The HTTP transport; global fetch unless a test swaps it. */
  fetch: typeof fetch;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function defaultIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    readStdin: readProcessStdin,
    now: () => new Date(),
    fetch: (input, init) => fetch(input, init),
  };
}

/** Print helpers that add the newline, so commands deal in lines. */
export function println(io: Io, text = ''): void {
  io.out(`${text}\n`);
}

export function eprintln(io: Io, text: string): void {
  io.err(`${text}\n`);
}

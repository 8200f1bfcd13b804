// The `gpusched` command. bin/gpusched.js calls main(process.argv); tests call main(argv, io) with their own
// Io. main only sets process.exitCode (0 ok, 1 API error, 2 invalid input, 3 daemon unreachable; see
// docs/cli.md) and never exits, so pending output is flushed and tests can run it in-process.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ApiError, UnreachableError } from './client.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerBudgetCommands } from './commands/budgets.js';
import { registerCapacityCommands } from './commands/capacity.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerLocalCommands } from './commands/local.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReplayCommand } from './commands/replay.js';
import { type Ctx, createCtx, type GlobalOptions } from './commands/shared.js';
import { registerWatchCommand } from './commands/watch.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { apiErrorLines, unreachableMessage } from './format.js';
import { defaultIo, eprintln, type Io } from './io.js';

function version(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js both sit two folders below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(io: Io): { program: Command; ctx: Ctx } {
  const program = new Command('gpusched');
  const ctx = createCtx(io, () => program.opts<GlobalOptions>());
  // These settings are inherited by every subcommand created afterwards, so they come first.
  program
    .description('Run GPU jobs on the cheapest capacity that fits, across AWS, GCP and Azure.')
    .version(version(), '-V, --version')
    .option(
      '--url <url>',
      'daemon URL (default: GPUSCHED_URL, else http://127.0.0.1:$GPUSCHED_PORT or :7878)',
    )
    .option(
      '--token <token>',
      'bearer token (default: GPUSCHED_TOKEN, else <data dir>/admin.token of a local daemon)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run "gpusched help" or "gpusched <command> --help" for usage)');
  registerJobCommands(program, ctx);
  registerCapacityCommands(program, ctx);
  registerAdminCommands(program, ctx);
  registerLocalCommands(program, ctx);
  registerPlanCommand(program, ctx);
  registerBudgetCommands(program, ctx);
  registerWatchCommand(program, ctx);
  registerAgentCommand(program, ctx);
  registerReplayCommand(program, ctx);
  return { program, ctx };
}

/** One failure → its lines on stderr and its exit code. Known failures never show a stack trace. */
function report(err: unknown, io: Io, ctx: Ctx): ExitCode {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help); --help and --version are successes.
    return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  if (err instanceof CliError) {
    for (const line of err.lines) eprintln(io, line);
    return err.exitCode;
  }
  if (err instanceof UnreachableError) {
    eprintln(io, unreachableMessage(err.url, err.reason));
    return EXIT.unreachable;
  }
  if (err instanceof ApiError) {
    const conn = ctx.resolved() ?? { tokenSource: 'none' as const, tokenFile: 'var/admin.token' };
    for (const line of apiErrorLines(err, conn)) eprintln(io, line);
    return EXIT.api;
  }
  const message = err instanceof Error ? err.message : String(err);
  eprintln(io, `gpusched: ${message}`);
  if (io.env.GPUSCHED_DEBUG && err instanceof Error && err.stack) eprintln(io, err.stack);
  return EXIT.api;
}

/** Runs one command line (without the node and script arguments) and returns its exit code. */
export async function run(args: readonly string[], io: Partial<Io> = {}): Promise<ExitCode> {
  const fullIo: Io = { ...defaultIo(), ...io };
  const { program, ctx } = buildProgram(fullIo);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return report(err, fullIo, ctx);
  }
}

/** Entry point: `argv` is shaped like process.argv ([node, script, ...args]). */
export async function main(argv: string[], io: Partial<Io> = {}): Promise<void> {
  process.exitCode = await run(argv.slice(2), io);
}

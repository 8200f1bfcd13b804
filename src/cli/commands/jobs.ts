// Job commands: submit, jobs, job, cancel.
import type { Command } from 'commander';
import { ApiError } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { explanationText } from '../explain-format.js';
import { jobDetail, jobsTable, submitted } from '../format.js';
import { eprintln, println } from '../io.js';
import { checkJobText, formatFileIssue, issuesAtLines, readJobFile } from '../jobfile.js';
import { type Ctx, choice, emit, JOB_STATE_CHOICES, labelSelector, positiveInt, withJson } from './shared.js';

interface SubmitOptions {
  idempotencyKey?: string;
  dryRun?: boolean;
  json?: boolean;
}

async function submit(ctx: Ctx, file: string, opts: SubmitOptions): Promise<void> {
  const { io } = ctx;
  const { name, text } = await readJobFile(file, io.readStdin);
  const checked = checkJobText(text, name, io.now());
  if (!checked.ok) {
    // Nothing is sent for a file we already know the daemon would reject.
    const what = checked.stage === 'syntax' ? 'is not valid YAML/JSON' : 'is not a valid job spec';
    const count = checked.issues.length;
    throw new CliError(
      [
        ...checked.issues.map(formatFileIssue),
        `gpusched: ${name} ${what} (${count} problem${count === 1 ? '' : 's'}); nothing was submitted`,
      ],
      EXIT.invalid,
    );
  }
  if (opts.dryRun) {
    emit(
      io,
      opts.json,
      { valid: true, spec: checked.spec },
      () => `${name}: valid job spec "${checked.spec.name}"; nothing was submitted (--dry-run)`,
    );
    return;
  }
  try {
    const { job, replayed } = await ctx.client().submitJob(checked.parsed.value, opts.idempotencyKey);
    emit(io, opts.json, job, () => submitted(job, replayed));
  } catch (err) {
    // The daemon knows more than the local check (dependencies, budgets, quotas); point its issues at lines too.
    if (err instanceof ApiError && err.status === 400 && err.issues.length > 0) {
      const lines = issuesAtLines(err.issues, name, checked.parsed.lineOf).map(
        (i) => `  ${formatFileIssue(i)}`,
      );
      throw new CliError([`gpusched: ${err.message}`, ...lines], EXIT.api);
    }
    throw err;
  }
}

interface JobsOptions {
  state?: string;
  label?: string[];
  limit?: number;
  cursor?: string;
  all?: boolean;
  json?: boolean;
}

async function listJobs(ctx: Ctx, opts: JobsOptions): Promise<void> {
  const { io } = ctx;
  const query = { state: opts.state, labels: opts.label, limit: opts.limit, cursor: opts.cursor };
  const page = opts.all
    ? { items: await ctx.client().listAllJobs(query), nextCursor: null }
    : await ctx.client().listJobs(query);
  if (opts.json) {
    println(io, JSON.stringify(page, null, 2));
    return;
  }
  if (page.items.length === 0) eprintln(io, 'no jobs match');
  else println(io, jobsTable(page.items, io.now()));
  if (page.nextCursor) eprintln(io, `more jobs: add --all, or --cursor ${page.nextCursor} for the next page`);
}

export function registerJobCommands(program: Command, ctx: Ctx): void {
  withJson(
    program
      .command('submit')
      .description('validate a job file locally, then submit it')
      .argument('<file>', 'job spec, YAML or JSON; "-" reads standard input')
      .option(
        '--idempotency-key <key>',
        'send Idempotency-Key: resubmitting with the same key returns the same job',
      )
      .option('--dry-run', 'only validate the file; send nothing'),
  ).action((file: string, opts: SubmitOptions) => submit(ctx, file, opts));

  withJson(
    program
      .command('jobs')
      .description("list your team's jobs")
      .addOption(choice('--state <state>', 'only jobs in this state', JOB_STATE_CHOICES))
      .option('--label <key=value>', 'only jobs with this label (repeatable: all must match)', labelSelector)
      .option('--limit <n>', 'jobs per page', positiveInt)
      .option('--cursor <cursor>', 'start at this page (the nextCursor of an earlier answer)')
      .option('--all', 'follow nextCursor and list every page'),
  ).action((opts: JobsOptions) => listJobs(ctx, opts));

  withJson(
    program.command('job').description('show one job and its events').argument('<id>', 'job id'),
  ).action(async (id: string, opts: { json?: boolean }) => {
    const job = await ctx.client().getJob(id);
    emit(ctx.io, opts.json, job, () => jobDetail(job, ctx.io.now()));
  });

  withJson(
    program
      .command('explain')
      .description('where a job would run now and why: the best placement, alternatives, rejected pools')
      .argument('<id>', 'job id'),
  ).action(async (id: string, opts: { json?: boolean }) => {
    const e = await ctx.client().explainJob(id);
    emit(ctx.io, opts.json, e, () => explanationText(e));
  });

  withJson(program.command('cancel').description('cancel a job').argument('<id>', 'job id')).action(
    async (id: string, opts: { json?: boolean }) => {
      const job = await ctx.client().cancelJob(id);
      emit(ctx.io, opts.json, job, () => `cancelled job ${job.id} ${job.name}: ${job.state}`);
    },
  );
}

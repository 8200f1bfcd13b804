// Admin commands: tokens and the simulator's fault injection.
import type { Command } from 'commander';
import { interrupted, tokenCreated } from '../format.js';
import { eprintln, println } from '../io.js';
import { CLOUD_CHOICES, type Ctx, choice, emit, withJson } from './shared.js';

export function registerAdminCommands(program: Command, ctx: Ctx): void {
  const token = program.command('token').description('manage API tokens (admin)');
  withJson(
    token
      .command('create')
      .description('create a bearer token for a team; the secret is shown once')
      .requiredOption('--team <team>', 'the team the token acts for (authoritative for budgets)')
      .option('--name <name>', 'a label for the token, e.g. ci or alice'),
  ).action(async (opts: { team: string; name?: string; json?: boolean }) => {
    const { io } = ctx;
    const created = await ctx.client().createToken(opts.team, opts.name);
    if (opts.json) {
      println(io, JSON.stringify(created, null, 2));
      return;
    }
    // The secret alone on stdout, so `TOKEN=$(gpusched token create --team t)` works; the rest on stderr.
    println(io, created.token);
    for (const line of tokenCreated(created)) eprintln(io, line);
  });

  const sim = program.command('sim').description('drive the simulated cloud (admin)');
  withJson(
    sim
      .command('interrupt')
      .description(
        "send a spot interruption notice to a simulated node (the format defaults to the node's cloud)",
      )
      .argument('<node>', 'node id')
      .addOption(choice('--cloud <cloud>', 'use the notice format of this cloud instead', CLOUD_CHOICES)),
  ).action(async (node: string, opts: { cloud?: string; json?: boolean }) => {
    const result = await ctx.client().interruptNode(node, opts.cloud);
    emit(ctx.io, opts.json, result, () => interrupted(result));
  });
  withJson(
    sim
      .command('lose')
      .description('kill a local-mode node and everything on it without notice (sim.mode: local)')
      .argument('<node>', 'node id'),
  ).action(async (node: string, opts: { json?: boolean }) => {
    const result = await ctx.client().loseNode(node);
    emit(
      ctx.io,
      opts.json,
      result,
      () => `${node}: lost without notice; its jobs resume once its heartbeats are missed`,
    );
  });
}

// What capacity exists and what is running: offers, nodes.
import type { Command } from 'commander';
import { nodesTable, offersTable, sortOffers, sourcesLine } from '../format.js';
import { eprintln, println } from '../io.js';
import {
  CLOUD_CHOICES,
  type Ctx,
  choice,
  MARKET_CHOICES,
  NODE_STATE_CHOICES,
  positiveInt,
  withJson,
} from './shared.js';

interface OffersOptions {
  gpu?: string;
  cloud?: string;
  market?: string;
  region?: string;
  limit?: number;
  json?: boolean;
}

export function registerCapacityCommands(program: Command, ctx: Ctx): void {
  withJson(
    program
      .command('offers')
      .description('list purchasable GPU capacity, cheapest first, and how fresh each price source is')
      .option('--gpu <model>', 'GPU model, e.g. A100 or H100')
      .addOption(choice('--cloud <cloud>', 'only this cloud', CLOUD_CHOICES))
      .addOption(choice('--market <market>', 'only this market', MARKET_CHOICES))
      .option('--region <region>', 'only this region, e.g. us-east-1')
      .option('--limit <n>', 'at most this many offers', positiveInt),
  ).action(async (opts: OffersOptions) => {
    const { io } = ctx;
    const { json, ...query } = opts;
    const list = await ctx.client().listOffers(query);
    if (json) {
      println(io, JSON.stringify({ ...list, items: sortOffers(list.items) }, null, 2));
      return;
    }
    if (list.items.length === 0) eprintln(io, 'no offers match');
    else println(io, offersTable(list.items, io.now()));
    println(io, sourcesLine(list.sources ?? [], io.now()));
  });

  withJson(
    program
      .command('nodes')
      .description('list launched nodes (instances), their cost and their jobs')
      .addOption(choice('--state <state>', 'only nodes in this state', NODE_STATE_CHOICES)),
  ).action(async (opts: { state?: string; json?: boolean }) => {
    const { io } = ctx;
    const list = await ctx.client().listNodes({ state: opts.state });
    if (opts.json) println(io, JSON.stringify(list, null, 2));
    else if (list.items.length === 0) eprintln(io, 'no nodes match');
    else println(io, nodesTable(list.items, io.now()));
  });
}

// Commands that run here rather than ask the daemon: the daemon itself and the catalog builder.
// Both load their modules with a dynamic import, so `gpusched jobs` does not pay for the daemon's
// dependencies (fastify, SQLite, cloud SDKs) or the CSV parser.
import type { Command } from 'commander';
import type { CloudName, Offer } from '../../core/model.js';
import { CliError, EXIT } from '../errors.js';
import { json, offersTable } from '../format.js';
import { println } from '../io.js';
import { CLOUD_CHOICES, type Ctx, choice } from './shared.js';

export const DEFAULT_CATALOG_OUT = 'data/catalog/gpu-offers.json';

export function registerLocalCommands(program: Command, ctx: Ctx): void {
  program
    .command('daemon')
    .description('run the scheduler daemon in the foreground (what "npm start" runs)')
    .option(
      '--config <file>',
      'config file (YAML); default: GPUSCHED_CONFIG, then the embedded config/default.yaml',
    )
    .action(async (opts: { config?: string }) => {
      const { runDaemon } = await import('../../daemon.js');
      await runDaemon({ configFile: opts.config });
    });

  const market = program.command('market').description('the live cloud markets');
  market
    .command('fetch')
    .description(
      'fetch offers once from a live cloud API and print them (uses the daemon config for endpoints)',
    )
    .addOption(choice('--cloud <cloud>', 'the cloud to ask', CLOUD_CHOICES).makeOptionMandatory())
    .option('--regions <list>', 'comma-separated regions, instead of the configured ones')
    .option('--config <file>', 'config file (YAML); default: GPUSCHED_CONFIG, then config/default.yaml')
    .option('--json', 'print the offers as JSON')
    .action(async (opts: { cloud: CloudName; regions?: string; config?: string; json?: boolean }) => {
      const { fetchOffers } = await import('../../clouds/fetch.js');
      let offers: Offer[];
      try {
        offers = await fetchOffers({
          cloud: opts.cloud,
          ...(opts.regions
            ? {
                regions: opts.regions
                  .split(',')
                  .map((r) => r.trim())
                  .filter(Boolean),
              }
            : {}),
          ...(opts.config ? { configFile: opts.config } : {}),
          env: ctx.io.env,
          now: ctx.io.now(),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new CliError(`gpusched: market fetch from ${opts.cloud} failed: ${message}`, EXIT.api);
      }
      if (opts.json) println(ctx.io, json(offers));
      else
        println(ctx.io, `${offersTable(offers, ctx.io.now())}\n${offers.length} offers from ${opts.cloud}`);
    });

  const catalog = program.command('catalog').description('the bundled GPU price catalog');
  catalog
    .command('build')
    .description(
      'build the price catalog JSON: from the normalized multi-cloud CSV, or a snapshot of the live APIs',
    )
    .option('--source <dir>', 'folder with multicloud_gpu_catalog.normalized.csv (and raw/ for GCP hosts)')
    .option('--live <clouds>', 'instead: fetch these clouds now (comma-separated, e.g. aws,gcp,azure)')
    .option('--config <file>', 'with --live: config file for endpoints and regions')
    .option('--out <file>', 'where to write the catalog', DEFAULT_CATALOG_OUT)
    .option('--json', 'print the build statistics as JSON')
    .action(
      async (opts: { source?: string; live?: string; config?: string; out: string; json?: boolean }) => {
        if (!opts.source === !opts.live) {
          throw new CliError(
            'gpusched: catalog build needs exactly one of --source DIR or --live CLOUDS',
            EXIT.invalid,
          );
        }
        const { writeCatalog } = await import('../../catalog/build.js');
        let stats: unknown;
        try {
          const file = opts.live
            ? await liveSnapshot(opts.live, opts.config, ctx)
            : await fromSource(opts.source!);
          writeCatalog(file, opts.out);
          stats = file.stats;
        } catch (err) {
          // A wrong --source (missing or malformed CSV) or an unreachable cloud: the input, not the program.
          const message = err instanceof Error ? err.message : String(err);
          throw new CliError(`gpusched: catalog build failed: ${message}`, EXIT.invalid);
        }
        if (opts.json) println(ctx.io, json({ out: opts.out, stats }));
        else println(ctx.io, `wrote ${opts.out}: ${describeStats(stats)}`);
      },
    );
}

async function fromSource(dir: string) {
  const { buildCatalog } = await import('../../catalog/build.js');
  return buildCatalog(dir);
}

async function liveSnapshot(list: string, configFile: string | undefined, ctx: Ctx) {
  const clouds = list.split(',').map((c) => c.trim());
  const unknown = clouds.filter((c) => !(CLOUD_CHOICES as readonly string[]).includes(c));
  if (unknown.length) throw new Error(`unknown cloud ${unknown.join(', ')} (aws, gcp, azure)`);
  const { fetchOffers } = await import('../../clouds/fetch.js');
  const { catalogFromOffers } = await import('../../catalog/snapshot.js');
  const now = ctx.io.now();
  const offers: Offer[] = [];
  for (const cloud of clouds as CloudName[]) {
    offers.push(
      ...(await fetchOffers({ cloud, env: ctx.io.env, now, ...(configFile ? { configFile } : {}) })),
    );
  }
  return catalogFromOffers(
    offers,
    clouds.map((c) => `live ${c} API, ${now.toISOString()}`),
  );
}

/** `1234 offers rows from 1500 source rows (skipped: duplicate-pool 3, no-price 12)`, tolerant of shape changes. */
function describeStats(stats: unknown): string {
  const s = stats as { rowsIn?: unknown; rowsOut?: unknown; skipped?: unknown } | undefined;
  if (!s || typeof s.rowsOut !== 'number') return 'done';
  const skipped = Object.entries((s.skipped as Record<string, number> | undefined) ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${s.rowsOut} catalog rows from ${String(s.rowsIn)} source rows${skipped ? ` (skipped: ${skipped})` : ''}`;
}

// The composition root: config → store → adapters → services → API → loops, and the way back down on
// shutdown. Nothing else constructs services; tests build a daemon through `startDaemon` the same way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { type BootstrapInput, bootstrapScript } from './agent/bootstrap.js';
import { policyInvalidAlert } from './alerts/budget-alerts.js';
import { SlackNotifier } from './alerts/slack.js';
import { resolveWebhook, secretsDirOf } from './alerts/webhooks.js';
import { type App, buildApp } from './api/app.js';
import { loadAwsSpotAdvisorBuckets } from './catalog/interruption-priors.js';
import { defaultCatalogPath, loadCatalog } from './catalog/load.js';
import { loadLiveClouds } from './clouds/live.js';
import type { CapacityProvider, MarketSource } from './clouds/ports.js';
import { SimAgents } from './clouds/sim/agents.js';
import { LocalAgents } from './clouds/sim/local-agents.js';
import { SimMarket } from './clouds/sim/market.js';
import { SimProvider } from './clouds/sim/provider.js';
import { loadCostTables } from './config/cost-tables.js';
import { ConfigError } from './config/errors.js';
import { defaultConfigPath, loadConfig } from './config/load.js';
import { CONFIG_FILE_ENV, type Config } from './config/schema.js';
import { type CostContext, migrationCost, runtimeOn } from './core/cost.js';
import { CLOUDS, type Job, NO_AVAILABILITY, type NodeRecord, type Offer } from './core/model.js';
import { aloneFloor, costModel, gpuShareFloor, nodeTimeFloor } from './core/placement/model-cost.js';
import type { IdSource } from './ids.js';
import {
  budgetsSnapshot,
  publishAlert,
  startEvents,
  startObservability,
  storeTelemetry,
} from './observability.js';
import { formatPolicyIssue, PolicyError } from './policies/load.js';
import { PolicyWatcher } from './policies/watch.js';
import { AgentService } from './services/agents.js';
import { Alerts } from './services/alerts.js';
import { Availability } from './services/availability.js';
import { BudgetBook } from './services/budget-book.js';
import { BudgetEnforcer } from './services/budget-enforcer.js';
import { BudgetReconciler, billingSources } from './services/budget-reconcile.js';
import { Budgets } from './services/budgets.js';
import { JobService } from './services/jobs.js';
import { SpendLedger } from './services/ledger.js';
import { everySeconds, Loop } from './services/loop.js';
import { MarketPoller } from './services/market.js';
import { ProgressMeter } from './services/progress.js';
import { Provisioner } from './services/provisioner.js';
import { Reconciler } from './services/reconciler.js';
import { Reports } from './services/reports.js';
import { Scheduler } from './services/scheduler.js';
import { openStore, type Store } from './store/store.js';
import { hashToken, newTokenSecret } from './store/tokens.js';

export interface Daemon {
  config: Readonly<Config>;
  app: App;
  store: Store;
  /** The address the API listens on. */
  url: string;
  sim: SimProvider | null;
  /** Runs one control tick now (node reports, reconciliation, scheduling) and waits for it. */
  tick(): Promise<void>;
  /** Polls every market source now (with manual ticks nothing else does after the start). */
  pollMarket(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => Date;
  /** Do not start the periodic loops (tests drive `tick` themselves). */
  manualTicks?: boolean;
  /** Do not listen on a port (tests use app.inject). */
  noListen?: boolean;
  /**
   * The replay simulator (docs/replay.md): these market sources instead of the simulated clouds' catalog, and
   * in-process agents that keep the job contract (periodic checkpoints, checkpoints that take their time,
   * notices reported to the agent service as a real agent reports them).
   */
  replay?: { marketSources: readonly MarketSource[] };
  /** Where job, node and simulated instance ids come from; random by default (a replay seeds them). */
  ids?: IdSource;
}

/** The admin token: from the config (env), or the one in the data directory, created on first start. */
export function resolveAdminToken(
  config: Readonly<Config>,
  dataDir: string,
): { token: string; file: string | null } {
  if (config.api.adminToken) return { token: config.api.adminToken, file: null };
  const file = join(dataDir, 'admin.token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  const token = newTokenSecret();
  // 'wx': never overwrite a token another process wrote meanwhile; 0600: only the daemon's user reads it.
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, file };
}

export async function startDaemon(config: Readonly<Config>, opts: StartOptions = {}): Promise<Daemon> {
  const log = opts.logger ?? pino({ level: config.log.level, base: { service: 'gpusched' } });
  const now = opts.now ?? (() => new Date());
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const dbFile = config.database.file === ':memory:' ? ':memory:' : resolve(dataDir, config.database.file);
  const store = openStore(dbFile);
  // The event bus (docs/observability.md) hears every job and node change the store commits, and new alerts.
  const events = startEvents(store, now);
  const admin = resolveAdminToken(config, dataDir);

  const providers = new Map<string, CapacityProvider>();
  const sources: MarketSource[] = [];
  let sim: SimProvider | null = null;
  if (config.sim.enabled) {
    sim = new SimProvider(store.db, {
      timeScale: config.sim.timeScale,
      bootSeconds: config.sim.bootSeconds,
      now,
      ids: opts.ids,
    });
    providers.set(sim.name, sim);
    const catalogPath = config.sim.catalog
      ? isAbsolute(config.sim.catalog)
        ? config.sim.catalog
        : resolve(config.sim.catalog)
      : defaultCatalogPath();
    if (opts.replay) sources.push(...opts.replay.marketSources);
    else {
      const catalog = loadCatalog(catalogPath, now().toISOString());
      for (const cloud of CLOUDS) sources.push(new SimMarket(cloud, catalog));
    }
  }
  const live = await loadLiveClouds(config, now, { warn: (cloud, message) => log.warn({ cloud }, message) });
  for (const [cloud, adapter] of Object.entries(live)) {
    providers.set(adapter.capacity.name, adapter.capacity);
    sources.push(adapter.market);
    log.info({ cloud }, 'live cloud enabled');
  }
  if (providers.size === 0) log.warn('no capacity provider is enabled: jobs will wait in the queue');
  // Simulated offers launch on the simulated cloud, live ones on their own cloud.
  const providerFor = (offer: Offer): CapacityProvider => {
    const p = offer.source === 'simulated' ? sim : providers.get(offer.cloud);
    if (!p) throw new Error(`no capacity provider for ${offer.cloud} ${offer.source} offers`);
    return p;
  };
  const pollCron = (source: MarketSource) =>
    source.kind === 'simulated' ? config.market.pollCron : config.clouds[source.cloud].pollCron;

  // One cost function for the scheduler and for explain, so that explain shows what the scheduler does.
  const costContext: CostContext = {
    tables: loadCostTables(config.costModel.tablesDir ? resolve(config.costModel.tablesDir) : undefined),
    restartHours: config.costModel.restartMinutes / 60,
    noticeMarginSeconds: config.costModel.noticeMarginSeconds,
  };
  const cost = costModel(costContext);
  // A job runs as long as the cost model says it takes on its node's GPU (progress, and the simulated runs).
  const runtimeHours = (job: Job, node: NodeRecord) =>
    runtimeOn(job.spec, node.gpu.model, costContext.tables).hours;
  const progress = new ProgressMeter(store, providers, runtimeHours);
  // Alerts (budgets, bad policy edits) go to Slack when a webhook is configured, else to the log; each is
  // stored first, so that it is sent once per threshold per period, across restarts.
  const secretsDir = secretsDirOf(dataDir);
  const notifier = new SlackNotifier({
    resolve: (ref) => resolveWebhook(ref, { env: process.env, secretsDir }),
    logger: log.child({ component: 'alerts' }),
    secretsDir,
  });
  const alerts = new Alerts(
    store,
    notifier,
    now,
    log.child({ component: 'alerts' }),
    publishAlert(events.bus),
  );
  const policiesDir = resolve(config.policies.dir);
  // A bad folder at start stops the daemon (PolicyError, like a bad config); a bad edit later keeps the last
  // good policies in force and raises an alert. No folder at all: no budgets (a daemon run outside its
  // checkout), said once.
  if (!existsSync(policiesDir)) log.warn({ dir: policiesDir }, 'no budget policy folder: no budgets apply');
  const policies = existsSync(policiesDir)
    ? PolicyWatcher.start({
        dir: policiesDir,
        pollMs: opts.manualTicks ? 0 : config.policies.pollSeconds * 1000,
        fsEvents: !opts.manualTicks,
        onChange: (set) => log.info({ policies: set.policies.length }, 'budget policies reloaded'),
        onError: (issues, kept, fingerprint) => {
          log.error(
            { issues: issues.map(formatPolicyIssue) },
            'budget policies invalid; the last good ones stay',
          );
          alerts.raise(policyInvalidAlert(policiesDir, issues, kept, fingerprint, now()), now());
        },
      })
    : null;
  alerts.resendPending();
  // The spend ledger: rows cut at the periods of the policies in force; every run that ends is closed in it.
  const policiesInForce = () => policies?.current.policies ?? [];
  const ledger = new SpendLedger(store, providers, policiesInForce);

  const reports = new Reports(
    store,
    providers,
    progress,
    {
      interruptionBlockSeconds: config.scheduler.interruptionBlockSeconds,
      closeRun: (job, t) => ledger.closeRun(job, t),
    },
    log.child({ component: 'reports' }),
  );
  const provisioner = new Provisioner(
    store,
    providers,
    providerFor,
    {
      launchFailureBlockSeconds: config.scheduler.launchFailureBlockSeconds,
      bootstrapFor: agentBootstrap(config, store, now),
      ids: opts.ids,
    },
    log.child({ component: 'provisioner' }),
  );
  const availability = new Availability(store, providers, loadAwsSpotAdvisorBuckets());
  // Budgets: admission at submit, the scheduler's budget port, and (in the control loop) accrual, actions and
  // alerts; estimates use the scheduler's cost function on the offers it would see.
  const book = new BudgetBook(store, ledger, progress);
  const budgets = new Budgets({
    store,
    book,
    policies: policiesInForce,
    cost,
    costFloor: nodeTimeFloor(costContext),
    offers: (t) => availability.annotate(store.offers.list(), t),
  });
  const enforcer = new BudgetEnforcer({
    store,
    ledger,
    book,
    budgets,
    policies: policiesInForce,
    alerts,
    ledgerSeconds: config.policies.ledgerSeconds,
    log: log.child({ component: 'budgets' }),
  });
  // Metrics, anomaly alerts and the API's /metrics, /v1/events and /ui; GPU figures from the agents' heartbeats.
  const observability = startObservability({
    config,
    store,
    bus: events.bus,
    eventLog: events.eventLog,
    now,
    alerts,
    telemetry: storeTelemetry(store),
    budgets: budgetsSnapshot(budgets, now),
    log: log.child({ component: 'anomalies' }),
  });
  const { enabled: consolidating, ...consolidation } = config.consolidation;
  const scheduler = new Scheduler(
    store,
    provisioner,
    availability,
    reports,
    progress,
    {
      idleNodeSeconds: config.scheduler.idleNodeSeconds,
      cost,
      costFloor: aloneFloor(costContext),
      fairShareWindowHours: config.scheduler.fairShareWindowHours,
      teamWeights: config.scheduler.teamWeights,
      restartHours: config.costModel.restartMinutes / 60,
      budget: (pending, t) => budgets.verdicts(pending, t),
      consolidation: consolidating
        ? {
            ...consolidation,
            floor: gpuShareFloor(costContext),
            // Moving costs the checkpoint's transfer and the new node's time while it restarts.
            moveCost: (job, from, to) =>
              migrationCost(
                job.spec,
                `${from.cloud}:${from.region}`,
                { ...to, availability: NO_AVAILABILITY } as Offer,
                costContext,
                {
                  ...(job.checkpoint?.bytes !== undefined ? { checkpointBytes: job.checkpoint.bytes } : {}),
                },
              ).totalUsd,
          }
        : null,
    },
    log.child({ component: 'scheduler' }),
  );
  const agents = new AgentService(
    store,
    reports,
    {
      heartbeatSeconds: config.agent.heartbeatSeconds,
      nodeLostSeconds: config.agent.nodeLostSeconds,
      noticeMarginSeconds: config.costModel.noticeMarginSeconds,
    },
    (jobIds, nodeId, t) => scheduler.replace(jobIds, nodeId, t),
    log.child({ component: 'agents' }),
  );
  const reconciler = new Reconciler(
    store,
    providers,
    provisioner,
    reports,
    log.child({ component: 'reconciler' }),
  );
  const market = new MarketPoller(
    store,
    sources,
    { retry: { baseMs: config.market.retryBaseSeconds * 1000, maxMs: config.market.retryMaxSeconds * 1000 } },
    log.child({ component: 'market' }),
  );
  const simAgents =
    sim && config.sim.mode === 'in-process'
      ? new SimAgents(
          store,
          sim,
          reports,
          config.sim.timeScale,
          runtimeHours,
          opts.replay
            ? {
                periodicCheckpoints: true,
                checkpointTakesGrace: true,
                notice: (nodeId, n, t) => agents.notice(nodeId, { ...n, kind: 'preempt' }, t),
              }
            : {},
        )
      : null;
  // Local mode: real agent processes play the simulated nodes (they need the API's URL, known once it listens).
  let url = '';
  const localAgents =
    sim && config.sim.mode === 'local'
      ? new LocalAgents(
          store,
          sim,
          {
            daemonUrl: () => url,
            bin: fileURLToPath(new URL('../bin/gpusched.js', import.meta.url)),
            dir: join(dataDir, 'local-nodes'),
            bootstrapTokenHours: config.agent.bootstrapTokenHours,
          },
          now,
          log.child({ component: 'local-agents' }),
        )
      : null;
  const jobs = new JobService(
    store,
    providers,
    provisioner,
    { idempotencyHours: config.api.idempotencyHours, ids: opts.ids },
    {
      estimate: (subject, t) => budgets.estimate(subject, t),
      admit: (job, estimate, t) => budgets.admit(job, estimate, t),
      closeRun: (job, t) => ledger.closeRun(job, t),
    },
  );

  // One control loop runs node reports, reconciliation and scheduling in this order, so each step sees
  // what the one before settled (a job that just finished frees its node before the scheduler looks).
  const control = new Loop(
    'control',
    everySeconds(config.scheduler.tickSeconds),
    async (t) => {
      await simAgents?.tick(t);
      await localAgents?.tick(t);
      agents.tick(t);
      await reconciler.tick(t);
      enforcer.tick(t);
      await scheduler.tick(t);
      observability.anomalies.tick(t);
    },
    now,
    log,
  );
  // One loop per source, so a slow or failing cloud never delays another's prices; a failed poll is
  // retried with backoff before its next scheduled time.
  const marketLoops = sources.map((source) => {
    const loop: Loop = new Loop(
      `market:${source.cloud}:${source.kind}`,
      pollCron(source),
      async (t) => {
        const outcome = await market.poll(source, t);
        if (outcome.retryInMs !== null) loop.runAfter(outcome.retryInMs);
      },
      now,
      log,
    );
    return loop;
  });

  // The ledger against what clouds billed, where an adapter can say (Azure usage details).
  const billing = billingSources(live);
  const drift = new BudgetReconciler(store, policiesInForce, billing, log.child({ component: 'budgets' }));
  const reconcile =
    billing.length > 0
      ? new Loop('budgets:reconcile', config.policies.reconcileCron, (t) => drift.reconcile(t), now, log)
      : null;

  // Recover before serving: the market is read and the store agrees with the clouds (a crash may have
  // left launches half done) before any new work is accepted.
  for (const [i, source] of sources.entries()) {
    const outcome = await market.poll(source, now());
    // A source that failed at start retries soon rather than at its next scheduled poll.
    if (outcome.retryInMs !== null && !opts.manualTicks) marketLoops[i]?.runAfter(outcome.retryInMs);
  }
  await reconciler.tick(now());

  const app = await buildApp({
    store,
    jobs,
    agents,
    providers,
    availability,
    cost,
    budgets,
    ...(sim ? { sim } : {}),
    ...(localAgents ? { localAgents } : {}),
    adminTokenHash: hashToken(admin.token),
    now,
    readiness: () => ({ store: store.db.open, market: market.ready }),
    // With manual ticks the test owns time: a submission must not start a tick behind its back.
    kick: opts.manualTicks ? undefined : () => void control.run(),
    bodyLimitBytes: config.api.bodyLimitBytes,
    logger: log.child({ component: 'api' }),
    observability: observability.api,
  });

  if (!opts.noListen) url = await app.listen({ host: config.api.host, port: config.api.port });
  if (!opts.manualTicks) {
    control.start();
    for (const l of marketLoops) l.start();
    reconcile?.start();
  }
  log.info(
    { url, dataDir, adminTokenFile: admin.file, providers: [...providers.keys()] },
    'gpusched daemon started',
  );

  let stopping: Promise<void> | null = null;
  return {
    config,
    app,
    store,
    url,
    sim,
    async tick() {
      await control.run();
      await provisioner.settled();
    },
    async pollMarket() {
      for (const source of sources) await market.poll(source, now());
    },
    stop() {
      stopping ??= (async () => {
        // Stop taking work, let the ticks in flight finish their writes, then close the database.
        await app.close();
        await Promise.all([control.stop(), ...marketLoops.map((l) => l.stop()), reconcile?.stop()]);
        // Launches in flight finish and are recorded (or rolled back) before the database closes.
        await provisioner.settled();
        policies?.close();
        await localAgents?.close();
        await alerts.settled();
        for (const adapter of Object.values(live)) await adapter.close?.();
        observability.close();
        events.stop();
        store.close();
        log.info('gpusched daemon stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The bootstrap script of a node launched on a cloud (not the in-process simulation, whose agents are played
 * by SimAgents): a bootstrap token for that node, and the agent installed from an image, a command or npm.
 */
function agentBootstrap(config: Readonly<Config>, store: Store, now: () => Date) {
  const daemonUrl = config.agent.daemonUrl ?? `http://${config.api.host}:${config.api.port}`;
  const install: BootstrapInput['install'] = config.agent.image
    ? { method: 'image', image: config.agent.image }
    : config.agent.installCommand
      ? { method: 'command', command: config.agent.installCommand }
      : { method: 'npm', version: packageVersion() };
  return (node: NodeRecord): string | undefined => {
    if (node.provider === 'sim') return undefined;
    const t = now();
    const expires = new Date(t.getTime() + config.agent.bootstrapTokenHours * 3_600_000);
    const bootstrapToken = store.agents.issue(node.id, 'bootstrap', t, expires);
    // Jobs on cloud nodes are container images: the agent runs them with docker.
    const runtime = 'docker';
    return bootstrapScript({
      cloud: node.cloud,
      daemonUrl,
      nodeId: node.id,
      bootstrapToken,
      install,
      runtime,
    }).text;
  };
}

function packageVersion(): string {
  // dist/daemon.js and src/daemon.ts both sit one folder below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `gpusched daemon`: load the config, start, and stop gracefully on SIGTERM/SIGINT (forcefully on a second). */
export async function runDaemon(opts: { configFile?: string }): Promise<void> {
  let config: Readonly<Config>;
  try {
    const env = process.env;
    const file = opts.configFile ?? (env[CONFIG_FILE_ENV] || undefined) ?? defaultConfigPath();
    config = loadConfig({ file, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gpusched: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.log.level, base: { service: 'gpusched' } });
  let daemon: Daemon;
  try {
    daemon = await startDaemon(config, { logger: log });
  } catch (err) {
    if (err instanceof PolicyError) {
      process.stderr.write(`gpusched: ${err.message}\n`);
      process.exit(2);
    }
    log.fatal({ err }, 'daemon failed to start');
    process.stderr.write(`gpusched: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('graceful shutdown timed out: exiting');
      process.exit(1);
    }, config.shutdown.graceSeconds * 1000);
    force.unref();
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

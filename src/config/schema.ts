// The daemon's configuration, as one TypeBox schema. It is the single source of truth for:
//   - the shape and the defaults (every key has one, so an empty file is a valid configuration),
//   - which environment variable overrides which key (the `env` option on that key; the loader finds the
//     bindings by walking this schema, so there is no second table to keep in step),
//   - which values must never be echoed in error messages (`secret: true`).
// `config/default.yaml` restates these defaults with comments; a unit test keeps the two equal.

import { type Static, type TSchema, Type } from 'typebox';
import { schemaAt as schemaAtIn, schemaField, schemaProperties } from '../core/validate.js';

// Re-exported so that config code and its tests keep one import for reading the config schema.
export { schemaField };

/** Names the config file to load when the caller passes none. It is an input of the loader, not a key. */
export const CONFIG_FILE_ENV = 'GPUSCHED_CONFIG';

/** pino's levels; `silent` turns logging off (tests). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// A group of keys. `default: {}` lets TypeBox fill a missing group from its children's defaults, and
// `additionalProperties: false` turns a misspelt key into an error instead of a silently ignored setting.
function group<P extends Parameters<typeof Type.Object>[0]>(description: string, properties: P) {
  return Type.Object(properties, { description, default: {}, additionalProperties: false });
}

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: 'var',
      env: 'GPUSCHED_DATA_DIR',
      description:
        'Holds the SQLite database and admin.token; relative paths are against the working directory.',
    }),
    database: group('The SQLite store.', {
      file: Type.String({
        minLength: 1,
        default: 'gpusched.db',
        description: "Database file, relative to dataDir; ':memory:' keeps everything in memory (tests).",
      }),
    }),
    api: group('The HTTP API.', {
      host: Type.String({
        minLength: 1,
        default: '127.0.0.1',
        env: 'GPUSCHED_HOST',
        description: 'Address to listen on.',
      }),
      port: Type.Integer({
        minimum: 0,
        maximum: 65535,
        default: 7878,
        env: 'GPUSCHED_PORT',
        description: 'TCP port; 0 takes any free port.',
      }),
      bodyLimitBytes: Type.Integer({
        minimum: 1,
        default: 262144,
        description: 'Largest request body accepted.',
      }),
      adminToken: Type.Optional(
        Type.String({
          minLength: 16,
          env: 'GPUSCHED_ADMIN_TOKEN',
          secret: true,
          description: 'Admin bearer token; when absent the daemon generates one into <dataDir>/admin.token.',
        }),
      ),
      idempotencyHours: Type.Number({
        exclusiveMinimum: 0,
        default: 24,
        description: 'How long an Idempotency-Key is remembered.',
      }),
    }),
    log: group('Logging.', {
      level: Type.Enum(LOG_LEVELS, {
        default: 'info',
        env: 'GPUSCHED_LOG_LEVEL',
        description: 'Least severe level written.',
      }),
    }),
    scheduler: group('The scheduling loops.', {
      tickSeconds: Type.Integer({
        minimum: 1,
        maximum: 59,
        default: 1,
        description:
          'Wall seconds between runs of the control loop (node reports, reconciler, scheduler); 1..59.',
      }),
      idleNodeSeconds: Type.Number({
        minimum: 0,
        default: 5,
        description: 'Wall seconds an empty node is kept before it is released.',
      }),
      launchFailureBlockSeconds: Type.Number({
        minimum: 0,
        default: 180,
        description: 'How long a pool is blocked after a capacity failure.',
      }),
      interruptionBlockSeconds: Type.Number({
        minimum: 0,
        default: 1800,
        description: 'How long a pool is blocked after one of its nodes was interrupted.',
      }),
      fairShareWindowHours: Type.Number({
        exclusiveMinimum: 0,
        default: 24,
        description: "Teams' spend over this many hours decides whose job goes next among equal priorities.",
      }),
      teamWeights: Type.Record(Type.String({ minLength: 1 }), Type.Number({ exclusiveMinimum: 0 }), {
        default: {},
        description:
          'Fair-share weight per team (default 1): a team of weight 2 may spend twice as much before it waits.',
      }),
    }),
    consolidation: group('Moving running work to fewer or cheaper nodes (docs/consolidation.md).', {
      enabled: Type.Boolean({
        default: true,
        description: 'Move checkpointing jobs off a node when that saves more than moving them costs.',
      }),
      everySeconds: Type.Number({
        minimum: 1,
        default: 60,
        description: 'Wall seconds between consolidation passes (each packs the jobs of a few nodes again).',
      }),
      minSavingUsd: Type.Number({
        minimum: 0,
        default: 1,
        description: 'A move must save at least this many dollars ...',
      }),
      minSavingFraction: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.15,
        description: '... and at least this share of what staying would cost.',
      }),
      minRunMinutes: Type.Number({
        minimum: 0,
        default: 30,
        description: 'Jobs that started less than this long ago (job time) are not moved.',
      }),
      maxCandidates: Type.Integer({
        minimum: 1,
        default: 20,
        description: 'Nodes examined per pass, most expensive first.',
      }),
    }),
    costModel: group('The expected-cost model the scheduler minimises (docs/cost-model.md).', {
      restartMinutes: Type.Number({
        minimum: 0,
        default: 5,
        description:
          'Time a job loses to restart on a new node (boot, image pull, resume), priced into every interruption.',
      }),
      noticeMarginSeconds: Type.Number({
        minimum: 0,
        default: 5,
        description: 'Part of an interruption notice not usable for checkpointing (delivery, reaction).',
      }),
      tablesDir: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: 'Folder with gpu-speed.yaml and egress.yaml; null uses the bundled config/.',
      }),
    }),
    market: group('Polling prices and availability.', {
      pollCron: Type.String({
        minLength: 1,
        default: '*/5 * * * *',
        description: 'When to poll every market source (a node-cron pattern; six fields give seconds).',
      }),
      retryBaseSeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 5,
        description: 'First retry delay after a failed poll; doubles per failure, with full jitter.',
      }),
      retryMaxSeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 300,
        description: 'Longest retry delay after failed polls.',
      }),
    }),
    clouds: group('Live clouds. Each is off until enabled; its SDK is loaded only then.', {
      clusterTag: Type.String({
        minLength: 1,
        pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
        default: 'gpusched',
        description:
          'Value of the gpusched-cluster tag/label on every instance this daemon launches; it lists and reconciles only those.',
      }),
      aws: group(
        'Amazon EC2 (credentials: the AWS SDK default chain: environment, profile, instance role).',
        {
          enabled: Type.Boolean({ default: false, description: 'Poll AWS prices and launch on AWS.' }),
          regions: Type.Array(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' }), {
            default: [],
            description: 'Regions to poll and launch in, e.g. [us-east-1, us-west-2].',
          }),
          endpoint: Type.Optional(
            Type.String({
              minLength: 1,
              env: 'GPUSCHED_AWS_ENDPOINT',
              description: 'EC2 endpoint URL override (VPC endpoint, proxy, emulator).',
            }),
          ),
          pricingEndpoint: Type.Optional(
            Type.String({
              minLength: 1,
              env: 'GPUSCHED_AWS_PRICING_ENDPOINT',
              description: 'Pricing API endpoint URL override.',
            }),
          ),
          pollCron: Type.String({
            minLength: 1,
            default: '*/5 * * * *',
            description: 'When to poll spot prices (node-cron).',
          }),
          onDemandRefreshHours: Type.Number({
            exclusiveMinimum: 0,
            default: 24,
            description: 'On-demand prices are re-read this often.',
          }),
          availabilityRefreshMinutes: Type.Number({
            exclusiveMinimum: 0,
            default: 10,
            description: 'GPU shapes and which zone offers them are re-read this often.',
          }),
          launch: group('How nodes are launched.', {
            imageId: Type.Union([Type.String(), Type.Record(Type.String(), Type.String({ minLength: 1 }))], {
              default: '',
              description:
                'AMI with the GPU driver and docker for the node agent: one id, or a map region → AMI (AMIs are regional).',
            }),
            subnetIds: Type.Record(Type.String(), Type.String(), {
              default: {},
              description: 'Subnet per zone name (us-east-1a: subnet-…).',
            }),
            securityGroupIds: Type.Union(
              [Type.Array(Type.String()), Type.Record(Type.String(), Type.Array(Type.String()))],
              {
                default: [],
                description: 'Security groups: one list, or a map region → list (groups belong to a VPC).',
              },
            ),
            keyName: Type.Optional(Type.String({ minLength: 1 })),
            instanceProfileArn: Type.Optional(Type.String({ minLength: 1 })),
          }),
        },
      ),
      gcp: group('Google Compute Engine (credentials: application default credentials).', {
        enabled: Type.Boolean({ default: false, description: 'Poll GCP prices and launch on GCP.' }),
        project: Type.String({ default: '', description: 'Project to launch in and list instances of.' }),
        regions: Type.Array(Type.String({ pattern: '^[a-z]+-[a-z]+\\d+$' }), {
          default: [],
          description: 'e.g. [us-central1, europe-west4].',
        }),
        apiEndpoint: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'GPUSCHED_GCP_API_ENDPOINT',
            description: 'URL (http or https) replacing the Google API endpoint for compute and billing.',
          }),
        ),
        apiKey: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'GPUSCHED_GCP_API_KEY',
            secret: true,
            description: 'API key for the Cloud Billing catalog (instead of credentials).',
          }),
        ),
        pollCron: Type.String({
          minLength: 1,
          default: '*/5 * * * *',
          description: 'When to poll (node-cron).',
        }),
        priceRefreshHours: Type.Number({
          exclusiveMinimum: 0,
          default: 24,
          description: 'The billing catalog is re-read this often.',
        }),
        availabilityRefreshMinutes: Type.Number({
          exclusiveMinimum: 0,
          default: 10,
          description: 'Accelerators per zone are re-read this often.',
        }),
        launch: group('How nodes are launched.', {
          image: Type.String({
            default: '',
            description: 'Boot image (projects/…/global/images/…) with the GPU driver.',
          }),
          network: Type.Optional(Type.String({ minLength: 1 })),
          subnetwork: Type.Optional(Type.String({ minLength: 1 })),
          serviceAccount: Type.Optional(Type.String({ minLength: 1 })),
        }),
      }),
      azure: group('Azure virtual machines (credentials: DefaultAzureCredential).', {
        enabled: Type.Boolean({ default: false, description: 'Poll Azure prices and launch on Azure.' }),
        subscriptionId: Type.String({ default: '' }),
        resourceGroup: Type.String({ default: '', description: 'Where VMs are created.' }),
        regions: Type.Array(Type.String({ pattern: '^[a-z0-9]+$' }), {
          default: [],
          description: 'e.g. [eastus, westeurope].',
        }),
        endpoint: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'GPUSCHED_AZURE_ENDPOINT',
            description: 'Resource Manager endpoint URL override.',
          }),
        ),
        retailPricesUrl: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'GPUSCHED_AZURE_RETAIL_PRICES_URL',
            description: 'Retail Prices API URL override.',
          }),
        ),
        pollCron: Type.String({
          minLength: 1,
          default: '*/5 * * * *',
          description: 'When to poll (node-cron).',
        }),
        priceRefreshHours: Type.Number({
          exclusiveMinimum: 0,
          default: 24,
          description: 'Retail prices are re-read this often.',
        }),
        availabilityRefreshMinutes: Type.Number({
          exclusiveMinimum: 0,
          default: 10,
          description: 'Resource SKUs are re-read this often.',
        }),
        launch: group('How nodes are launched.', {
          image: Type.String({
            default: '',
            description: 'Image URN publisher:offer:sku:version, or an image resource id (/subscriptions/…).',
          }),
          subnetId: Type.String({
            default: '',
            description: "Subnet resource id for the VMs' network interface.",
          }),
          adminUsername: Type.String({ minLength: 1, default: 'gpusched' }),
          sshPublicKey: Type.Optional(Type.String({ minLength: 1 })),
        }),
      }),
    }),
    agent: group('Node agents and their protocol (docs/agent-protocol.md).', {
      heartbeatSeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 5,
        description: 'How often agents report (they also report at once on a notice).',
      }),
      nodeLostSeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 30,
        description: 'A registered node silent this long is lost: its jobs resume elsewhere.',
      }),
      bootstrapTokenHours: Type.Number({
        exclusiveMinimum: 0,
        default: 24,
        description: 'How long a launched node has to register with its bootstrap token.',
      }),
      daemonUrl: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: 'The URL agents reach the daemon at; null: http://<api.host>:<api.port>.',
      }),
      image: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description:
          'A container image with gpusched that nodes run the agent from; null: install it with npm.',
      }),
      installCommand: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: 'A shell command that installs the agent on a node, instead of npm or an image.',
      }),
    }),
    policies: group('Budget policies (policies/README.md).', {
      dir: Type.String({
        minLength: 1,
        default: 'policies',
        env: 'GPUSCHED_POLICIES_DIR',
        description: 'Folder of budget policy files (*.yaml), relative to the working directory.',
      }),
      pollSeconds: Type.Number({
        minimum: 0,
        default: 30,
        description: 'Re-read the folder this often besides file events; 0: file events only.',
      }),
      ledgerSeconds: Type.Integer({
        minimum: 1,
        default: 60,
        description: 'Wall seconds between ledger writes of running spend; spent is exact in between.',
      }),
      reconcileCron: Type.String({
        minLength: 1,
        default: '17 */6 * * *',
        description: 'When to compare the ledger with cloud billing (Azure usage details; node-cron).',
      }),
    }),
    sim: group('The simulated clouds.', {
      enabled: Type.Boolean({ default: true, description: 'Offer simulated capacity.' }),
      mode: Type.Enum(['in-process', 'local'], {
        default: 'in-process',
        description:
          'in-process: nodes are rows whose jobs run for their estimate; local: each node is a real `gpusched agent` process on this machine with its own simulated metadata server (docs/local-mode.md).',
      }),
      timeScale: Type.Number({
        exclusiveMinimum: 0,
        default: 360,
        description: 'Simulated seconds per wall second (360: a 1 h job takes 10 s).',
      }),
      bootSeconds: Type.Number({
        minimum: 0,
        default: 90,
        description: 'Simulated boot time of a node, in simulated seconds.',
      }),
      catalog: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: 'Price catalog JSON; null uses the bundled data/catalog/gpu-offers.json.',
      }),
    }),
    metrics: group('Prometheus metrics at /metrics (docs/observability.md).', {
      public: Type.Boolean({
        default: false,
        description:
          'Serve /metrics without a token (a scraper on a private network); false: the admin token or metrics.token.',
      }),
      token: Type.Optional(
        Type.String({
          minLength: 16,
          env: 'GPUSCHED_METRICS_TOKEN',
          secret: true,
          description: 'A bearer token that reads /metrics and nothing else (for the Prometheus scraper).',
        }),
      ),
    }),
    events: group('The event stream, GET /v1/events (docs/observability.md).', {
      heartbeatSeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 15,
        description: 'A comment line this often keeps proxies from closing a quiet stream.',
      }),
      replayLimit: Type.Integer({
        minimum: 1,
        default: 1000,
        description:
          'Job events or alerts replayed at most on a reconnect; beyond it the client is told to reload.',
      }),
    }),
    anomalies: group('Anomaly alerts, sent like budget alerts (docs/observability.md).', {
      enabled: Type.Boolean({ default: true, description: 'Look for anomalies and alert on them.' }),
      everySeconds: Type.Number({
        minimum: 1,
        default: 60,
        description: 'Wall seconds between looks.',
      }),
      idleGpu: group('A running job whose GPUs do (almost) nothing.', {
        utilizationPercent: Type.Number({
          minimum: 0,
          maximum: 100,
          default: 5,
          description: "Below this mean utilisation (%) a job's GPUs count as idle.",
        }),
        minutes: Type.Number({
          exclusiveMinimum: 0,
          default: 30,
          description:
            'Idle this many wall minutes in a row (by agent telemetry) raises an alert, once per run.',
        }),
      }),
      failures: group('A job that keeps failing.', {
        count: Type.Integer({
          minimum: 1,
          default: 3,
          description: 'This many failures of one job name of one team ...',
        }),
        windowMinutes: Type.Number({
          exclusiveMinimum: 0,
          default: 60,
          description: '... within this many minutes raise an alert (at most one per window).',
        }),
      }),
      priceJump: group('A price jump in a pool in use.', {
        percent: Type.Number({
          exclusiveMinimum: 0,
          default: 50,
          description: "A pool's price this many % over what a running node was launched at raises an alert.",
        }),
      }),
    }),
    ui: group('The dashboard at /ui.', {
      sessionHours: Type.Number({
        exclusiveMinimum: 0,
        default: 12,
        description: 'How long a dashboard login lasts.',
      }),
    }),
    shutdown: group('Stopping the daemon.', {
      graceSeconds: Type.Number({
        minimum: 0,
        default: 10,
        description: 'Deadline for a graceful shutdown before the daemon exits forcefully.',
      }),
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type LogLevel = Config['log']['level'];

/** One configuration key that an environment variable overrides. */
export interface EnvBinding {
  /** The variable, e.g. `GPUSCHED_PORT`. */
  readonly env: string;
  /** The key's path from the root, e.g. `['api', 'port']`. */
  readonly path: readonly string[];
  /** The key's schema, which says how to read the variable's text. */
  readonly schema: TSchema;
}

/** Every key that declares an `env` option, in schema order. */
export function envBindings(schema: TSchema = ConfigSchema): EnvBinding[] {
  const found: EnvBinding[] = [];
  const walk = (node: TSchema, path: string[]): void => {
    const env = schemaField(node, 'env');
    if (typeof env === 'string') found.push({ env, path, schema: node });
    for (const [key, child] of Object.entries(schemaProperties(node))) walk(child, [...path, key]);
  };
  walk(schema, []);
  return found;
}

/** The schema of the key at `path` of the config (or of `schema`), or undefined where there is no such key. */
export function schemaAt(path: readonly string[], schema: TSchema = ConfigSchema): TSchema | undefined {
  return schemaAtIn(path, schema);
}

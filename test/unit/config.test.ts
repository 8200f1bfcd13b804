import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { Settings } from 'typebox/system';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { ConfigError, type ConfigIssue } from '../../src/config/errors.js';
import { type Coerced, coerceEnv, defaultConfigPath, loadConfig } from '../../src/config/load.js';
import { type Config, ConfigSchema, envBindings, schemaField } from '../../src/config/schema.js';

// Fixture names as a user would type them (relative to the working directory), since sources echo the name given.
const fixture = (name: string): string =>
  relative(process.cwd(), fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url)));

/** Runs `load`, expecting a ConfigError, and returns it. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

const DEFAULTS: Config = {
  dataDir: 'var',
  database: { file: 'gpusched.db' },
  api: { host: '127.0.0.1', port: 7878, bodyLimitBytes: 262144, idempotencyHours: 24 },
  log: { level: 'info' },
  scheduler: {
    tickSeconds: 1,
    idleNodeSeconds: 5,
    launchFailureBlockSeconds: 180,
    interruptionBlockSeconds: 1800,
    fairShareWindowHours: 24,
    teamWeights: {},
  },
  consolidation: {
    enabled: true,
    everySeconds: 60,
    minSavingUsd: 1,
    minSavingFraction: 0.15,
    minRunMinutes: 30,
    maxCandidates: 20,
  },
  agent: {
    heartbeatSeconds: 5,
    nodeLostSeconds: 30,
    bootstrapTokenHours: 24,
    daemonUrl: null,
    image: null,
    installCommand: null,
  },
  policies: { dir: 'policies', pollSeconds: 30, ledgerSeconds: 60, reconcileCron: '17 */6 * * *' },
  costModel: { restartMinutes: 5, noticeMarginSeconds: 5, tablesDir: null },
  market: { pollCron: '*/5 * * * *', retryBaseSeconds: 5, retryMaxSeconds: 300 },
  clouds: {
    clusterTag: 'gpusched',
    aws: {
      enabled: false,
      regions: [],
      pollCron: '*/5 * * * *',
      onDemandRefreshHours: 24,
      availabilityRefreshMinutes: 10,
      launch: { imageId: '', subnetIds: {}, securityGroupIds: [] },
    },
    gcp: {
      enabled: false,
      project: '',
      regions: [],
      pollCron: '*/5 * * * *',
      priceRefreshHours: 24,
      availabilityRefreshMinutes: 10,
      launch: { image: '' },
    },
    azure: {
      enabled: false,
      subscriptionId: '',
      resourceGroup: '',
      regions: [],
      pollCron: '*/5 * * * *',
      priceRefreshHours: 24,
      availabilityRefreshMinutes: 10,
      launch: { image: '', subnetId: '', adminUsername: 'gpusched' },
    },
  },
  sim: { enabled: true, mode: 'in-process', timeScale: 360, bootSeconds: 90, catalog: null },
  metrics: { public: false },
  events: { heartbeatSeconds: 15, replayLimit: 1000 },
  anomalies: {
    enabled: true,
    everySeconds: 60,
    idleGpu: { utilizationPercent: 5, minutes: 30 },
    failures: { count: 3, windowMinutes: 60 },
    priceJump: { percent: 50 },
  },
  ui: { sessionHours: 12 },
  shutdown: { graceSeconds: 10 },
};

describe('defaults', () => {
  it('with no file and no environment, every key takes its documented default', () => {
    expect(loadConfig({ env: {} })).toEqual(DEFAULTS);
  });

  it('leaves the admin token absent, so that the daemon generates one', () => {
    expect(loadConfig({ env: {} }).api).not.toHaveProperty('adminToken');
  });

  it('a file holding only comments is an empty configuration', () => {
    expect(loadConfig({ file: fixture('comments-only.yaml'), env: {} })).toEqual(DEFAULTS);
  });

  it('the embedded config/default.yaml loads clean and equals the defaults', () => {
    expect(loadConfig({ file: defaultConfigPath(), env: {} })).toEqual(DEFAULTS);
  });

  it('the embedded config/default.yaml spells out every key that has a default', () => {
    const text = readFileSync(defaultConfigPath(), 'utf8');
    const written = parseDocument(text).toJS() as Record<string, Record<string, unknown>>;
    for (const { path } of leaves()) {
      // Optional, no default: shown commented out.
      if (path.join('.') === 'api.adminToken' || path.join('.') === 'metrics.token') continue;
      const [group, key] = path;
      const value = key === undefined ? written[group!] : written[group!]?.[key];
      expect(value, path.join('.')).not.toBeUndefined();
    }
  });
});

describe('the file overrides defaults', () => {
  it('a file that sets every key yields exactly those values', () => {
    expect(loadConfig({ file: fixture('full.yaml'), env: {} })).toEqual({
      dataDir: '/srv/gpusched',
      database: { file: ':memory:' },
      api: {
        host: '0.0.0.0',
        port: 9000,
        bodyLimitBytes: 1048576,
        adminToken: 'file-token-0123456789',
        idempotencyHours: 1.5,
      },
      log: { level: 'debug' },
      scheduler: {
        tickSeconds: 2,
        idleNodeSeconds: 0,
        launchFailureBlockSeconds: 60,
        interruptionBlockSeconds: 600,
        fairShareWindowHours: 12,
        teamWeights: { research: 2 },
      },
      consolidation: {
        enabled: false,
        everySeconds: 120,
        minSavingUsd: 2.5,
        minSavingFraction: 0.3,
        minRunMinutes: 10,
        maxCandidates: 5,
      },
      agent: {
        heartbeatSeconds: 2,
        nodeLostSeconds: 12,
        bootstrapTokenHours: 1,
        daemonUrl: 'https://gpusched.internal:7878',
        image: 'ghcr.io/acme/gpusched:1',
        installCommand: null,
      },
      policies: {
        dir: '/etc/gpusched/policies',
        pollSeconds: 0,
        ledgerSeconds: 15,
        reconcileCron: '0 * * * *',
      },
      costModel: { restartMinutes: 10, noticeMarginSeconds: 2, tablesDir: '/etc/gpusched/tables' },
      market: { pollCron: '*/30 * * * * *', retryBaseSeconds: 1, retryMaxSeconds: 60 },
      clouds: {
        clusterTag: 'lab-2',
        aws: {
          enabled: true,
          regions: ['us-east-1', 'eu-west-1'],
          endpoint: 'http://127.0.0.1:4566',
          pricingEndpoint: 'http://127.0.0.1:4567',
          pollCron: '*/2 * * * *',
          onDemandRefreshHours: 12,
          availabilityRefreshMinutes: 5,
          launch: {
            imageId: 'ami-0123456789abcdef0',
            subnetIds: { 'us-east-1a': 'subnet-1' },
            securityGroupIds: ['sg-1'],
            keyName: 'ops',
            instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/node',
          },
        },
        gcp: {
          enabled: true,
          project: 'acme-ml',
          regions: ['us-central1'],
          apiEndpoint: 'http://127.0.0.1:8085',
          apiKey: 'file-gcp-key',
          pollCron: '*/3 * * * *',
          priceRefreshHours: 6,
          availabilityRefreshMinutes: 15,
          launch: {
            image: 'projects/acme-ml/global/images/gpu',
            network: 'default',
            subnetwork: 'sub',
            serviceAccount: 'sa@x',
          },
        },
        azure: {
          enabled: true,
          subscriptionId: '00000000-0000-0000-0000-000000000000',
          resourceGroup: 'gpus',
          regions: ['eastus'],
          endpoint: 'https://127.0.0.1:8443',
          retailPricesUrl: 'http://127.0.0.1:8086/api/retail/prices',
          pollCron: '*/4 * * * *',
          priceRefreshHours: 8,
          availabilityRefreshMinutes: 20,
          launch: {
            image: 'Canonical:ubuntu-24_04-lts:server:latest',
            subnetId: '/subscriptions/x/subnets/y',
            adminUsername: 'ops',
            sshPublicKey: 'ssh-ed25519 AAAA',
          },
        },
      },
      sim: {
        enabled: false,
        mode: 'local',
        timeScale: 3600,
        bootSeconds: 30,
        catalog: 'data/catalog/test-offers.json',
      },
      metrics: { public: true, token: 'file-metrics-token-0123' },
      events: { heartbeatSeconds: 5, replayLimit: 50 },
      anomalies: {
        enabled: false,
        everySeconds: 30,
        idleGpu: { utilizationPercent: 10, minutes: 15 },
        failures: { count: 5, windowMinutes: 30 },
        priceJump: { percent: 25 },
      },
      ui: { sessionHours: 1 },
      shutdown: { graceSeconds: 2 },
    });
  });

  it('a file that sets a few keys keeps the defaults of the others, in the same groups too', () => {
    const config = loadConfig({ file: fixture('partial.yaml'), env: {} });
    expect(config).toEqual({
      ...DEFAULTS,
      api: { ...DEFAULTS.api, port: 0 },
      sim: { ...DEFAULTS.sim, timeScale: 1 },
    });
  });

  it('a group whose keys are all commented out keeps all its defaults', () => {
    const config = loadConfig({ file: fixture('empty-group.yaml'), env: {} });
    expect(config).toEqual({ ...DEFAULTS, api: { ...DEFAULTS.api, port: 8000 } });
  });

  it('GPUSCHED_CONFIG names the file when the caller passes none', () => {
    const config = loadConfig({ env: { GPUSCHED_CONFIG: fixture('partial.yaml') } });
    expect(config.api.port).toBe(0);
  });

  it("the caller's file wins over GPUSCHED_CONFIG", () => {
    const config = loadConfig({
      file: fixture('full.yaml'),
      env: { GPUSCHED_CONFIG: fixture('partial.yaml') },
    });
    expect(config.api.port).toBe(9000);
  });

  it('an empty GPUSCHED_CONFIG counts as unset', () => {
    expect(loadConfig({ env: { GPUSCHED_CONFIG: '' } })).toEqual(DEFAULTS);
  });
});

describe('the environment overrides the file', () => {
  const cases: {
    variable: string;
    text: string;
    read: (c: Readonly<Config>) => unknown;
    expected: unknown;
  }[] = [
    { variable: 'GPUSCHED_DATA_DIR', text: '/data', read: (c) => c.dataDir, expected: '/data' },
    { variable: 'GPUSCHED_HOST', text: '::1', read: (c) => c.api.host, expected: '::1' },
    { variable: 'GPUSCHED_PORT', text: '8081', read: (c) => c.api.port, expected: 8081 },
    { variable: 'GPUSCHED_PORT', text: ' 0 ', read: (c) => c.api.port, expected: 0 },
    {
      variable: 'GPUSCHED_ADMIN_TOKEN',
      text: 'env-token-abcdefghijkl',
      read: (c) => c.api.adminToken,
      expected: 'env-token-abcdefghijkl',
    },
    { variable: 'GPUSCHED_LOG_LEVEL', text: 'trace', read: (c) => c.log.level, expected: 'trace' },
  ];

  it.each(cases)('$variable=$text sets the key over the file', ({ variable, text, read, expected }) => {
    const config = loadConfig({ file: fixture('full.yaml'), env: { [variable]: text } });
    expect(read(config)).toEqual(expected);
  });

  it('a variable also applies when there is no file', () => {
    expect(loadConfig({ env: { GPUSCHED_PORT: '1234' } }).api.port).toBe(1234);
  });

  it('an empty variable counts as unset and the file value stays', () => {
    expect(loadConfig({ file: fixture('full.yaml'), env: { GPUSCHED_PORT: '' } }).api.port).toBe(9000);
  });

  it('variables the schema does not name are ignored', () => {
    expect(loadConfig({ env: { GPUSCHED_TOKEN: 'x', GPUSCHED_URL: 'y', PATH: '/bin' } })).toEqual(DEFAULTS);
  });

  it('the schema declares exactly the documented variables, each once', () => {
    const names = envBindings().map((b) => `${b.env} → ${b.path.join('.')}`);
    expect(names).toEqual([
      'GPUSCHED_DATA_DIR → dataDir',
      'GPUSCHED_HOST → api.host',
      'GPUSCHED_PORT → api.port',
      'GPUSCHED_ADMIN_TOKEN → api.adminToken',
      'GPUSCHED_LOG_LEVEL → log.level',
      'GPUSCHED_AWS_ENDPOINT → clouds.aws.endpoint',
      'GPUSCHED_AWS_PRICING_ENDPOINT → clouds.aws.pricingEndpoint',
      'GPUSCHED_GCP_API_ENDPOINT → clouds.gcp.apiEndpoint',
      'GPUSCHED_GCP_API_KEY → clouds.gcp.apiKey',
      'GPUSCHED_AZURE_ENDPOINT → clouds.azure.endpoint',
      'GPUSCHED_AZURE_RETAIL_PRICES_URL → clouds.azure.retailPricesUrl',
      'GPUSCHED_POLICIES_DIR → policies.dir',
      'GPUSCHED_METRICS_TOKEN → metrics.token',
    ]);
  });
});

describe('a bad environment value names the variable and the key', () => {
  const cases: { when: string; env: Record<string, string>; line: string }[] = [
    {
      when: 'a port is not a number',
      env: { GPUSCHED_PORT: 'abc' },
      line: 'GPUSCHED_PORT (api.port): expected an integer, got "abc"',
    },
    {
      when: 'a port has a fraction',
      env: { GPUSCHED_PORT: '80.5' },
      line: 'GPUSCHED_PORT (api.port): expected an integer, got "80.5"',
    },
    {
      when: 'a port is written in hex',
      env: { GPUSCHED_PORT: '0x50' },
      line: 'GPUSCHED_PORT (api.port): expected an integer, got "0x50"',
    },
    {
      when: 'a port is above 65535',
      env: { GPUSCHED_PORT: '70000' },
      line: 'GPUSCHED_PORT (api.port): must be at most 65535, got 70000',
    },
    {
      when: 'a port is negative',
      env: { GPUSCHED_PORT: '-1' },
      line: 'GPUSCHED_PORT (api.port): must be at least 0, got -1',
    },
    {
      when: 'a log level is not one of the levels',
      env: { GPUSCHED_LOG_LEVEL: 'verbose' },
      line: 'GPUSCHED_LOG_LEVEL (log.level): expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    },
    {
      when: 'an admin token is too short',
      env: { GPUSCHED_ADMIN_TOKEN: 'hunter2' },
      line: 'GPUSCHED_ADMIN_TOKEN (api.adminToken): must be at least 16 characters long, got 7',
    },
  ];

  it.each(cases)('when $when, says so on one line naming the variable', ({ env, line }) => {
    const error = configError(() => loadConfig({ file: fixture('full.yaml'), env }));
    const variable = Object.keys(env)[0];
    expect(error.message.split('\n').slice(1)).toEqual([`  ${line}`]);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.source).toBe(`env ${variable}`);
  });

  it('never echoes a secret value back', () => {
    const error = configError(() => loadConfig({ env: { GPUSCHED_ADMIN_TOKEN: 'hunter2' } }));
    expect(error.message).not.toContain('hunter2');
  });
});

describe("a variable's text is read as its key's type", () => {
  // No variable is bound to a number or a boolean key yet; the reader is ready for one.
  const schemas = {
    number: Type.Number(),
    boolean: Type.Boolean(),
    string: Type.String(),
    'nullable string': Type.Union([Type.String(), Type.Null()]),
  };
  const cases: { type: keyof typeof schemas; text: string; expected: Coerced }[] = [
    { type: 'number', text: '0.25', expected: { ok: true, value: 0.25 } },
    { type: 'number', text: '1e3', expected: { ok: true, value: 1000 } },
    { type: 'number', text: '-3', expected: { ok: true, value: -3 } },
    { type: 'number', text: 'fast', expected: { ok: false, message: 'expected a number, got "fast"' } },
    {
      type: 'number',
      text: 'Infinity',
      expected: { ok: false, message: 'expected a number, got "Infinity"' },
    },
    { type: 'boolean', text: 'true', expected: { ok: true, value: true } },
    { type: 'boolean', text: 'FALSE', expected: { ok: true, value: false } },
    { type: 'boolean', text: '1', expected: { ok: true, value: true } },
    { type: 'boolean', text: 'off', expected: { ok: true, value: false } },
    {
      type: 'boolean',
      text: 'maybe',
      expected: { ok: false, message: 'expected a boolean (true or false), got "maybe"' },
    },
    { type: 'string', text: ' spaced ', expected: { ok: true, value: ' spaced ' } },
    { type: 'nullable string', text: 'x.json', expected: { ok: true, value: 'x.json' } },
  ];

  it.each(cases)('a $type key reads $text', ({ type, text, expected }) => {
    expect(coerceEnv(schemas[type], text)).toEqual(expected);
  });
});

describe('file problems point at their line', () => {
  it('an unknown key is reported at its own line, with the keys that are known there', () => {
    const file = fixture('unknown-key.yaml');
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      {
        path: 'api.prot',
        message: 'unknown key "prot" (known keys: host, port, bodyLimitBytes, adminToken, idempotencyHours)',
        source: `${file}:4`,
      },
      {
        path: 'logging',
        message:
          'unknown key "logging" (known keys: dataDir, database, api, log, scheduler, consolidation, costModel, market, clouds, agent, policies, sim, metrics, events, anomalies, ui, shutdown)',
        source: `${file}:5`,
      },
    ]);
  });

  it('every problem in the file is reported at once, in line order, one per line of the message', () => {
    const file = fixture('several-errors.yaml');
    const error = configError(() => loadConfig({ file, env: { GPUSCHED_HOST: '' } }));
    const expected: ConfigIssue[] = [
      { path: 'api.port', message: 'expected an integer, got "7878"', source: `${file}:3` },
      { path: 'api.bodyLimitBytes', message: 'must be at least 1, got 0', source: `${file}:4` },
      {
        path: 'log.level',
        message: 'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
        source: `${file}:6`,
      },
      { path: 'sim.enabled', message: 'expected a boolean (true or false), got "yes"', source: `${file}:8` },
      { path: 'sim.catalog', message: 'must not be empty', source: `${file}:9` },
    ];
    expect(error.issues).toEqual(expected);
    expect(error.message).toBe(
      [
        'invalid configuration (5 problems):',
        `  ${file}:3: api.port: expected an integer, got "7878"`,
        `  ${file}:4: api.bodyLimitBytes: must be at least 1, got 0`,
        `  ${file}:6: log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"`,
        `  ${file}:8: sim.enabled: expected a boolean (true or false), got "yes"`,
        `  ${file}:9: sim.catalog: must not be empty`,
      ].join('\n'),
    );
  });

  it('each wrong value is worded for its kind: a list, a unit left in, a bound, a union', () => {
    const file = fixture('wrong-types.yaml');
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      { path: 'dataDir', message: 'expected a string, got a list', source: `${file}:2` },
      { path: 'api.idempotencyHours', message: 'expected a number, got "24h"', source: `${file}:4` },
      { path: 'scheduler.tickSeconds', message: 'must be at least 1, got 0', source: `${file}:6` },
      { path: 'sim.catalog', message: 'expected a string or null, got 5', source: `${file}:8` },
      { path: 'shutdown.graceSeconds', message: 'must be at least 0, got -1', source: `${file}:10` },
    ]);
  });

  it('file and environment problems are reported together, the file first', () => {
    const file = fixture('unknown-key.yaml');
    const error = configError(() =>
      loadConfig({ file, env: { GPUSCHED_PORT: 'abc', GPUSCHED_LOG_LEVEL: 'loud' } }),
    );
    expect(error.issues.map((i) => `${i.source} ${i.path}`)).toEqual([
      `${file}:4 api.prot`,
      `${file}:5 logging`,
      'env GPUSCHED_PORT api.port',
      'env GPUSCHED_LOG_LEVEL log.level',
    ]);
  });

  it('a variable that fixes a bad file value hides the file problem', () => {
    const file = fixture('several-errors.yaml');
    const error = configError(() =>
      loadConfig({ file, env: { GPUSCHED_PORT: '7878', GPUSCHED_LOG_LEVEL: 'warn' } }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['api.bodyLimitBytes', 'sim.enabled', 'sim.catalog']);
  });

  it('a group written as a scalar is reported at its key', () => {
    const file = fixture('group-not-mapping.yaml');
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      { path: 'api', message: 'expected a mapping, got 8080', source: `${file}:1` },
    ]);
  });

  it('a top level that is not a mapping is reported at its first line', () => {
    const file = fixture('top-level-list.yaml');
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      { path: '', message: 'the top level must be a mapping of keys, got a list', source: `${file}:2` },
    ]);
  });

  const syntax: { name: string; line: number; message: string }[] = [
    {
      name: 'syntax-error.yaml.txt',
      line: 4,
      message: 'Nested mappings are not allowed in compact mappings',
    },
    { name: 'tab-indent.yaml.txt', line: 3, message: 'Tabs are not allowed as indentation' },
    { name: 'duplicate-key.yaml.txt', line: 4, message: 'Map keys must be unique' },
    { name: 'unclosed-quote.yaml.txt', line: 5, message: 'Missing closing "quote' },
  ];

  it.each(syntax)('a YAML syntax error in $name is reported at line $line', ({ name, line, message }) => {
    const file = fixture(name);
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues[0]).toEqual({ path: '', message, source: `${file}:${line}` });
    expect(error.message).toContain(`${file}:${line}: ${message}`);
  });

  it('a YAML syntax error is reported alongside bad variables', () => {
    const error = configError(() =>
      loadConfig({ file: fixture('syntax-error.yaml.txt'), env: { GPUSCHED_PORT: 'x' } }),
    );
    expect(error.issues.map((i) => i.source)).toEqual([
      `${fixture('syntax-error.yaml.txt')}:4`,
      'env GPUSCHED_PORT',
    ]);
  });

  it("lifts TypeBox's error cap only while it checks the config, so request validation keeps its guard", () => {
    const before = Settings.Get().maxErrors;
    configError(() => loadConfig({ file: fixture('several-errors.yaml'), env: {} }));
    expect(Settings.Get().maxErrors).toBe(before);
  });

  it('a missing file is an error that names the file', () => {
    const file = fixture('does-not-exist.yaml');
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.source).toBe(file);
    expect(error.issues[0]?.message).toMatch(/^cannot read the config file: ENOENT/);
  });

  it('a missing file named by GPUSCHED_CONFIG says so', () => {
    const error = configError(() => loadConfig({ env: { GPUSCHED_CONFIG: fixture('does-not-exist.yaml') } }));
    expect(error.message).toContain('cannot read the config file named by GPUSCHED_CONFIG');
  });
});

describe('the loaded configuration is frozen', () => {
  const config = loadConfig({ file: fixture('full.yaml'), env: {} });
  // The static type is read-only already; drop that to check that the object itself refuses writes.
  const mutable = config as Config;
  const writes: { what: string; write: () => void }[] = [
    { what: 'a top-level key', write: () => (mutable.dataDir = '/tmp') },
    { what: 'a nested key', write: () => (mutable.api.port = 1) },
    { what: 'an optional key', write: () => (mutable.api.adminToken = 'another-token-0123456789') },
    { what: 'a new key', write: () => ((mutable.sim as Record<string, unknown>).extra = true) },
    { what: 'a deleted key', write: () => delete mutable.api.adminToken },
    { what: 'a whole group', write: () => (mutable.log = { level: 'trace' }) },
  ];

  it.each(writes)('assigning $what throws a TypeError (ES modules run in strict mode)', ({ write }) => {
    expect(write).toThrow(TypeError);
    expect(config).toEqual(loadConfig({ file: fixture('full.yaml'), env: {} }));
  });

  it('freezing one load leaves the schema, and so the next load, untouched', () => {
    loadConfig({ env: {} });
    expect(Object.isFrozen(schemaField(ConfigSchema.properties.api, 'default'))).toBe(false);
    expect(loadConfig({ env: { GPUSCHED_PORT: '1' } }).api.port).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Every key of the schema that is not a group, as a path. */
function leaves(): { path: string[] }[] {
  const found: { path: string[] }[] = [];
  for (const [group, schema] of Object.entries(ConfigSchema.properties)) {
    const properties = (schema as { properties?: Record<string, unknown> }).properties;
    if (properties === undefined) found.push({ path: [group] });
    else for (const key of Object.keys(properties)) found.push({ path: [group, key] });
  }
  return found;
}

describe('rules across keys', () => {
  it.each([
    [
      'an enabled cloud without regions',
      { clouds: { aws: { enabled: true, launch: { imageId: 'ami-1' } } } },
      'clouds.aws.regions',
    ],
    [
      'AWS without an image',
      { clouds: { aws: { enabled: true, regions: ['us-east-1'] } } },
      'clouds.aws.launch.imageId',
    ],
    [
      'GCP without a project',
      { clouds: { gcp: { enabled: true, regions: ['us-central1'], launch: { image: 'x' } } } },
      'clouds.gcp.project',
    ],
    [
      'Azure with a malformed image',
      {
        clouds: {
          azure: {
            enabled: true,
            regions: ['eastus'],
            subscriptionId: 's',
            resourceGroup: 'g',
            launch: { subnetId: 'n', image: 'ubuntu' },
          },
        },
      },
      'clouds.azure.launch.image',
    ],
    ['a cron pattern node-cron refuses', { market: { pollCron: 'every 5 minutes' } }, 'market.pollCron'],
  ])('refuses %s', (_what, doc, path) => {
    const dir = mkdtempSync(join(tmpdir(), 'gpusched-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, stringify(doc));
    const error = configError(() => loadConfig({ file, env: {} }));
    expect(error.issues.map((i) => i.path)).toContain(path);
  });

  it('accepts a disabled cloud with nothing filled in (the default)', () => {
    expect(loadConfig({ env: {} }).clouds.aws.enabled).toBe(false);
  });
});

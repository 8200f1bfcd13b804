// `gpusched agent`: the node agent, in the foreground (docs/agent.md, "The agent process"). The boot scripts
// (src/agent/bootstrap.ts) start it as
//   gpusched agent --node-id "$GPUSCHED_NODE_ID" --cloud "$GPUSCHED_CLOUD" --runtime "$GPUSCHED_AGENT_RUNTIME"
//     --metadata-endpoint "$GPUSCHED_METADATA_ENDPOINT"
// with the daemon's URL and the bootstrap token in GPUSCHED_URL and GPUSCHED_TOKEN: the token reaches it through
// the environment, never the command line (which `ps` shows), and is never logged. Every flag falls back to its
// variable; a setting found in neither is a usage error (exit 2) that names both.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { CloudName } from '../../core/model.js';
import { CliError, EXIT } from '../errors.js';
import { eprintln } from '../io.js';
import { CLOUD_CHOICES, type Ctx, choice } from './shared.js';

export const AGENT_RUNTIMES = ['docker', 'process'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Where the boot scripts give the agent room (the image install mounts it at the same path). */
export const DEFAULT_AGENT_DATA_DIR = '/var/lib/gpusched';

export interface AgentFlags {
  nodeId?: string;
  cloud?: string;
  runtime?: string;
  metadataEndpoint?: string;
  daemonUrl?: string;
  dataDir?: string;
  checkpointRoot?: string;
  instanceId?: string;
  vmName?: string;
  heartbeatSeconds?: number;
  noticeMarginSeconds?: number;
  shutdownGraceSeconds?: number;
  logLevel?: string;
  /** The global --url and --token. */
  url?: string;
  token?: string;
}

export interface ResolvedAgentSettings {
  daemonUrl: string;
  token: string;
  tokenSource: '--token' | 'GPUSCHED_TOKEN';
  nodeId: string;
  cloud: CloudName;
  runtime: 'docker' | 'process';
  metadataEndpoint: string | undefined;
  dataDir: string;
  checkpointRoot: string;
  scratchRoot: string;
  sessionFile: string;
  instanceId: string | undefined;
  vmName: string | undefined;
  heartbeatSeconds: number | undefined;
  noticeMarginSeconds: number | undefined;
  shutdownGraceSeconds: number | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
}

const usage = (text: string) => new CliError(`gpusched agent: ${text}`, EXIT.invalid);

/** Flags, then the environment; throws a usage error naming the flag and the variable of what is missing. */
export function resolveAgentSettings(
  flags: AgentFlags,
  env: Readonly<Record<string, string | undefined>>,
  /** Where the agent keeps its files without --data-dir (see defaultAgentDataDir). */
  defaultDataDir = DEFAULT_AGENT_DATA_DIR,
): ResolvedAgentSettings {
  const need = (value: string | undefined, what: string, flag: string, variable: string): string => {
    const v = value?.trim();
    if (!v) throw usage(`no ${what}: pass ${flag} or set ${variable}`);
    return v;
  };
  const nodeId = need(flags.nodeId ?? env.GPUSCHED_NODE_ID, 'node id', '--node-id', 'GPUSCHED_NODE_ID');
  const cloud = need(flags.cloud ?? env.GPUSCHED_CLOUD, 'cloud', '--cloud', 'GPUSCHED_CLOUD');
  if (!(CLOUD_CHOICES as readonly string[]).includes(cloud))
    throw usage(`GPUSCHED_CLOUD must be one of ${CLOUD_CHOICES.join(', ')}, got "${cloud}"`);
  const runtime = need(
    flags.runtime ?? env.GPUSCHED_AGENT_RUNTIME,
    'runtime',
    '--runtime',
    'GPUSCHED_AGENT_RUNTIME',
  );
  if (!(AGENT_RUNTIMES as readonly string[]).includes(runtime))
    throw usage(`GPUSCHED_AGENT_RUNTIME must be docker or process, got "${runtime}"`);
  const daemonUrl = need(
    flags.daemonUrl ?? flags.url ?? env.GPUSCHED_URL,
    'daemon URL',
    '--daemon-url',
    'GPUSCHED_URL',
  );
  let parsed: URL;
  try {
    parsed = new URL(daemonUrl);
  } catch {
    throw usage(`the daemon URL is not a URL: "${daemonUrl}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw usage(`the daemon URL must be http:// or https://, got "${daemonUrl}"`);
  const tokenSource = flags.token ? '--token' : 'GPUSCHED_TOKEN';
  // The value is never shown: only where it should have come from.
  const token = need(flags.token ?? env.GPUSCHED_TOKEN, 'bootstrap token', '--token', 'GPUSCHED_TOKEN');
  const metadataEndpoint = flags.metadataEndpoint || env.GPUSCHED_METADATA_ENDPOINT || undefined;
  const dataDir = flags.dataDir ?? defaultDataDir;
  const logLevel = flags.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    daemonUrl: daemonUrl.replace(/\/+$/, ''),
    token,
    tokenSource,
    nodeId,
    cloud: cloud as CloudName,
    runtime: runtime as 'docker' | 'process',
    metadataEndpoint,
    dataDir,
    checkpointRoot: flags.checkpointRoot ?? join(dataDir, 'checkpoints'),
    scratchRoot: join(dataDir, 'scratch'),
    // Named for the node: local mode may run several agents on one machine, as one user, with one data dir.
    sessionFile: join(dataDir, 'agent', `session-${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`),
    instanceId: flags.instanceId,
    vmName: flags.vmName,
    heartbeatSeconds: flags.heartbeatSeconds,
    noticeMarginSeconds: flags.noticeMarginSeconds,
    shutdownGraceSeconds: flags.shutdownGraceSeconds,
    logLevel: logLevel as (typeof LOG_LEVELS)[number],
  };
}

/**
 * /var/lib/gpusched where the agent may write there (a node the boot script set up: it runs as root), else a
 * folder in the working directory: local mode starts each node's agent, unprivileged, in that node's folder.
 */
export function defaultAgentDataDir(cwd = process.cwd()): string {
  const writable = (p: string) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (
    existsSync(DEFAULT_AGENT_DATA_DIR)
      ? writable(DEFAULT_AGENT_DATA_DIR)
      : writable(dirname(DEFAULT_AGENT_DATA_DIR))
  )
    return DEFAULT_AGENT_DATA_DIR;
  return join(cwd, 'gpusched-agent');
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number of seconds (0 or more).');
  return n;
}

function agentVersion(): string {
  try {
    // src/cli/commands/agent.ts and dist/cli/commands/agent.js both sit three folders below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function registerAgentCommand(program: Command, ctx: Ctx): void {
  program
    .command('agent')
    .description('run the node agent in the foreground (on a node gpusched launched; see docs/agent.md)')
    .option('--node-id <id>', "this node's id (default: GPUSCHED_NODE_ID)")
    .addOption(
      choice('--cloud <cloud>', 'the cloud this node runs on (default: GPUSCHED_CLOUD)', CLOUD_CHOICES),
    )
    .addOption(
      choice('--runtime <runtime>', 'how jobs run (default: GPUSCHED_AGENT_RUNTIME)', AGENT_RUNTIMES),
    )
    .option(
      '--metadata-endpoint <url>',
      "the cloud's metadata server (default: GPUSCHED_METADATA_ENDPOINT, else the cloud's link-local one)",
    )
    .option('--daemon-url <url>', 'the daemon (default: --url, else GPUSCHED_URL)')
    .option(
      '--data-dir <dir>',
      `the agent's files: session, scratch and relative checkpoint dirs (default: ${DEFAULT_AGENT_DATA_DIR} where writable, else ./gpusched-agent)`,
    )
    .option(
      '--checkpoint-root <dir>',
      'where relative checkpoint directories live (default: <data-dir>/checkpoints)',
    )
    .option('--instance-id <id>', "the cloud's instance id (default: read from the metadata server)")
    .option('--vm-name <name>', "Azure: this VM's name, to ignore the scheduled events of other VMs")
    .option('--heartbeat-seconds <n>', "heartbeat interval (default: the daemon's)", seconds)
    .option('--notice-margin-seconds <n>', 'kept in reserve of a notice window (default: 5)', seconds)
    .option(
      '--shutdown-grace-seconds <n>',
      'SIGTERM grace for jobs when the agent stops (default: 20)',
      seconds,
    )
    .addOption(choice('--log-level <level>', 'least severe level logged (default: info)', LOG_LEVELS))
    .action(async (_opts: AgentFlags, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AgentFlags>();
      const s = resolveAgentSettings(flags, ctx.io.env, flags.dataDir ? undefined : defaultAgentDataDir());
      const [{ runAgent }, { fileSessionStore }, { AgentHttpError }, pinoModule] = await Promise.all([
        import('../../agent/agent.js'),
        import('../../agent/session.js'),
        import('../../agent/client.js'),
        import('pino'),
      ]);
      const logger = pinoModule.default({
        level: s.logLevel,
        base: { service: 'gpusched-agent' },
        // Belt and braces: nothing here logs a token, and should anything try, it is hidden.
        redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '***' },
      });
      if (s.tokenSource === '--token')
        logger.warn(
          'the token was given with --token, which any user of this machine sees in ps: use GPUSCHED_TOKEN',
        );
      logger.info(
        {
          nodeId: s.nodeId,
          cloud: s.cloud,
          runtime: s.runtime,
          daemonUrl: s.daemonUrl,
          metadataEndpoint: s.metadataEndpoint ?? "the cloud's default",
          dataDir: s.dataDir,
          checkpointRoot: s.checkpointRoot,
        },
        'agent starting',
      );
      const stop = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        logger.info({ signal: sig }, 'stopping');
        stop.abort();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        await runAgent(
          {
            daemonUrl: s.daemonUrl,
            token: s.token,
            nodeId: s.nodeId,
            cloud: s.cloud,
            runtime: s.runtime,
            agentVersion: agentVersion(),
            checkpointRoot: s.checkpointRoot,
            scratchRoot: s.scratchRoot,
            signal: stop.signal,
            ...(s.metadataEndpoint !== undefined ? { metadataEndpoint: s.metadataEndpoint } : {}),
            ...(s.instanceId !== undefined ? { instanceId: s.instanceId } : {}),
            ...(s.vmName !== undefined ? { vmName: s.vmName } : {}),
            ...(s.heartbeatSeconds !== undefined ? { heartbeatSeconds: s.heartbeatSeconds } : {}),
            ...(s.noticeMarginSeconds !== undefined ? { noticeMarginSeconds: s.noticeMarginSeconds } : {}),
            ...(s.shutdownGraceSeconds !== undefined ? { shutdownGraceSeconds: s.shutdownGraceSeconds } : {}),
          },
          { logger, session: fileSessionStore(s.sessionFile, s.nodeId, s.daemonUrl) },
        );
      } catch (e) {
        if (e instanceof AgentHttpError)
          throw new CliError(`gpusched agent: the daemon refused node ${s.nodeId}: ${e.message}`, EXIT.api);
        throw e;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      eprintln(ctx.io, 'gpusched agent: stopped');
    });
}

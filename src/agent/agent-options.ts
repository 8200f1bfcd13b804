// What runAgent takes: the agent's settings (the CLI's flags and environment, src/cli/commands/agent.ts) and
// what a test or an embedder may swap (the runtime, the watcher, the clock's users, the logger, the session).
import type { Logger } from 'pino';
import type { CloudName } from '../core/model.js';
import type { AgentClientOptions } from './client.js';
import type { AgentEvent } from './events.js';
import type { AckingWatcher } from './notices.js';
import type { Runtime } from './runtime/types.js';
import type { SessionStore } from './session.js';
import type { NodeTelemetry } from './telemetry.js';

export interface AgentOptions {
  /** The daemon (GPUSCHED_URL). */
  readonly daemonUrl: string;
  /** The bootstrap token (GPUSCHED_TOKEN). Secret: never logged. */
  readonly token: string;
  readonly nodeId: string;
  readonly cloud: CloudName;
  readonly runtime: 'docker' | 'process';
  readonly agentVersion: string;
  /** Default: the cloud's link-local metadata server. */
  readonly metadataEndpoint?: string;
  /** Default: read from the metadata server when it answers. */
  readonly instanceId?: string;
  /** Azure: this VM's name, so events for the other VMs of a scale set are ignored. */
  readonly vmName?: string;
  /** Where relative checkpoint directories live (absolute ones are used as given). */
  readonly checkpointRoot: string;
  /** Where jobs without a checkpoint directory get a scratch one. */
  readonly scratchRoot: string;
  /** Overrides the daemon's heartbeatSeconds (tests). */
  readonly heartbeatSeconds?: number;
  /** Metadata poll interval (default 1000 ms). */
  readonly noticePollMs?: number;
  /** How often each job's latest.json is looked at for periodic checkpoints (default 1000 ms). */
  readonly manifestPollMs?: number;
  /** How often latest.json is looked at while a checkpoint is awaited (default 200 ms). */
  readonly checkpointPollMs?: number;
  /** Kept in reserve of a notice's window (default 5 s). */
  readonly noticeMarginSeconds?: number;
  /** Grace of the SIGTERM given to jobs when the agent stops (default 20 s: inside systemd's 25 s). */
  readonly shutdownGraceSeconds?: number;
  /** Grace of the SIGTERM given to a job no longer assigned (default 30 s). */
  readonly unassignedGraceSeconds?: number;
  /** Output is sent at most this long after a line (default 1000 ms). */
  readonly outputFlushMs?: number;
  /** Aborting it stops the agent: jobs are stopped with grace, their exits reported, then runAgent resolves. */
  readonly signal?: AbortSignal;
}

export interface AgentDeps {
  readonly runtime?: Runtime;
  readonly watcher?: AckingWatcher;
  readonly collectTelemetry?: () => Promise<NodeTelemetry>;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly onEvent?: (e: AgentEvent) => void;
  /** Keeps the session token across restarts (cli: a 0600 file in the data directory). */
  readonly session?: SessionStore;
  /** Retries and timeouts of the daemon client (tests make them short). */
  readonly client?: Partial<Omit<AgentClientOptions, 'baseUrl' | 'token' | 'fetch'>>;
}

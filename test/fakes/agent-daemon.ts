// A fake daemon for the agent's side of the protocol (docs/agent-protocol.md): a node:http server on loopback
// that serves the five /v1/agent/* calls, checks every body against the shared schemas (src/api/schemas/agent.ts)
// and every token the way the daemon does (the bootstrap token once, for register; the session token after),
// and records what it got with the time it arrived. A test sets the assignments and commands it answers with,
// holds notice answers back (to show the agent acts before the daemon answers), and queues failures.
// Below it, `startAgent`: one agent (runAgent, in-process) against this fake and a simulated metadata server,
// running the toy trainer with the process runtime, every interval cut to tens of milliseconds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { TSchema } from 'typebox';
import { type AgentOptions, runAgent } from '../../src/agent/agent.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { ProcessRuntime } from '../../src/agent/runtime/index.js';
import { memorySessionStore, type SessionStore } from '../../src/agent/session.js';
import {
  type AgentJobState,
  type Assignment,
  CheckpointBody,
  type Command,
  HeartbeatBody,
  LogsBody,
  NoticeBody,
  RegisterBody,
} from '../../src/api/schemas/agent.js';
import { type MetadataServer, startMetadataServer } from '../../src/clouds/sim/metadata-server.js';
import type { CloudName } from '../../src/core/model.js';
import { type Issue, schemaIssues } from '../../src/core/validate.js';

export interface Received<T> {
  readonly body: T;
  /** performance.now() when it arrived in full. */
  readonly hr: number;
  /** Date.now() when it arrived. */
  readonly at: number;
}

export type LogItem = LogsBody['items'][number];

const ROUTES: Readonly<Record<string, TSchema>> = {
  register: RegisterBody,
  heartbeat: HeartbeatBody,
  notice: NoticeBody,
  checkpoint: CheckpointBody,
  logs: LogsBody,
};

export interface FakeAgentDaemonOptions {
  readonly nodeId?: string;
  readonly bootstrapToken?: string;
  readonly heartbeatSeconds?: number;
}

export class FakeAgentDaemon {
  readonly nodeId: string;
  readonly bootstrapToken: string;
  readonly sessionToken = `session-${randomBytes(12).toString('hex')}`;
  readonly registers: Received<RegisterBody>[] = [];
  readonly heartbeats: Received<HeartbeatBody>[] = [];
  readonly notices: Received<NoticeBody>[] = [];
  readonly checkpoints: Received<CheckpointBody>[] = [];
  readonly logs: Received<LogsBody>[] = [];
  /** Bodies the schemas refused, and requests with a wrong token: a correct agent sends none. */
  readonly refused: Array<{ route: string; status: number; issues?: Issue[] }> = [];
  assignments: Assignment[] = [];
  commands: Command[] = [];
  /** What POST /notice answers with. */
  noticeCommands: Command[] = [];
  heartbeatSeconds: number;
  private spent = false;
  private holding: Array<() => void> | null = null;
  private readonly failures: Array<{ route: string; status: number; left: number }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    opts: FakeAgentDaemonOptions,
  ) {
    this.nodeId = opts.nodeId ?? 'node-1';
    this.bootstrapToken = opts.bootstrapToken ?? `boot-${randomBytes(12).toString('hex')}`;
    this.heartbeatSeconds = opts.heartbeatSeconds ?? 5;
  }

  static async start(opts: FakeAgentDaemonOptions = {}): Promise<FakeAgentDaemon> {
    let fake: FakeAgentDaemon | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fake!.handle(req, Buffer.concat(chunks).toString('utf8'), res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeAgentDaemon(server, `http://127.0.0.1:${port}`, opts);
    return fake;
  }

  /** Notices are recorded on arrival but answered only at `releaseNotices()`. */
  holdNotices(): void {
    this.holding ??= [];
  }

  releaseNotices(): void {
    const held = this.holding ?? [];
    this.holding = null;
    for (const answer of held) answer();
  }

  /** The next `times` calls to `route` are answered `status`. */
  fail(route: string, status: number, times = 1): void {
    this.failures.push({ route, status, left: times });
  }

  /** Every job state the agent has reported, oldest first. */
  jobStates(jobId: string): AgentJobState[] {
    return this.heartbeats.flatMap((h) => h.body.jobs.filter((j) => j.jobId === jobId));
  }

  /** Every log and metric item received for a job. */
  output(jobId: string): LogItem[] {
    return this.logs.flatMap((l) => l.body.items.filter((i) => i.jobId === jobId));
  }

  async waitFor<T>(what: string, test: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = test();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): Promise<void> {
    this.releaseNotices();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, raw: string, res: ServerResponse): Promise<void> {
    const hr = performance.now();
    const at = Date.now();
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const m = /^\/v1\/agent\/([a-z]+)$/.exec(req.url ?? '');
    const route = m?.[1] ?? '';
    const schema = ROUTES[route];
    if (req.method !== 'POST' || !schema) return send(404, { error: 'not_found', message: 'no such route' });
    const failure = this.failures.find((f) => f.route === route && f.left > 0);
    if (failure) {
      failure.left--;
      return send(failure.status, { error: 'injected', message: `injected ${failure.status}` });
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expected = route === 'register' ? this.bootstrapToken : this.sessionToken;
    if (token !== expected || (route === 'register' && this.spent)) {
      this.refused.push({ route, status: 401 });
      return send(401, { error: 'unauthorized', message: 'unknown, expired or spent token' });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      this.refused.push({ route, status: 400 });
      return send(400, { error: 'invalid', message: 'not JSON' });
    }
    const issues = schemaIssues(schema, body);
    if (issues.length > 0) {
      this.refused.push({ route, status: 400, issues });
      return send(400, { error: 'invalid', message: 'invalid body', issues });
    }
    switch (route) {
      case 'register': {
        const b = body as RegisterBody;
        this.registers.push({ body: b, hr, at });
        if (b.nodeId !== this.nodeId) return send(403, { error: 'forbidden', message: 'wrong node' });
        this.spent = true;
        return send(200, {
          nodeId: b.nodeId,
          token: this.sessionToken,
          heartbeatSeconds: this.heartbeatSeconds,
        });
      }
      case 'heartbeat':
        this.heartbeats.push({ body: body as HeartbeatBody, hr, at });
        return send(200, {
          assignments: this.assignments,
          commands: this.commands,
          heartbeatSeconds: this.heartbeatSeconds,
        });
      case 'notice': {
        this.notices.push({ body: body as NoticeBody, hr, at });
        const answer = () => send(200, { commands: this.noticeCommands });
        if (this.holding) this.holding.push(answer);
        else answer();
        return;
      }
      case 'checkpoint':
        this.checkpoints.push({ body: body as CheckpointBody, hr, at });
        return send(200, {});
      default:
        this.logs.push({ body: body as LogsBody, hr, at });
        return send(202, {});
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// An agent under test

export const TOY = resolve(import.meta.dirname, '../../examples/toy-train/train.mjs');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gpusched-agent-loop-'));
}

/** The toy trainer as the daemon would assign it: no GPU (local mode), checkpoints in `dir`. */
export function toyAssignment(jobId: string, dir: string | undefined, args: string[]): Assignment {
  return {
    jobId,
    unit: 0,
    slot: { kind: 'whole', gpuIndices: [] },
    command: [process.execPath, TOY, ...args],
    env: { TOY_SEED: '7' },
    ...(dir !== undefined ? { checkpointDir: dir } : {}),
    checkpointSignal: 'SIGUSR1',
    checkpointGraceSeconds: 10,
  };
}

export interface AgentUnderTest {
  readonly daemon: FakeAgentDaemon;
  readonly metadata: MetadataServer;
  readonly events: AgentEvent[];
  /** The agent's log, one JSON line each. */
  readonly logLines: string[];
  /** Stops the agent (as SIGTERM would) and waits until it has; then closes the servers. */
  stop(): Promise<void>;
}

export async function startAgent(
  cloud: CloudName = 'aws',
  over: Partial<AgentOptions> = {},
  /** The session store the agent gets (default: an empty one in memory), made once the fake daemon runs. */
  session: (daemon: FakeAgentDaemon) => SessionStore = () => memorySessionStore(),
): Promise<AgentUnderTest> {
  const daemon = await FakeAgentDaemon.start({ nodeId: `node-${cloud}`, heartbeatSeconds: 5 });
  const metadata = await startMetadataServer({ cloud, instance: { id: `instance-${cloud}`, name: 'vm-1' } });
  const events: AgentEvent[] = [];
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const stop = new AbortController();
  const root = tempDir();
  const running = runAgent(
    {
      daemonUrl: daemon.url,
      token: daemon.bootstrapToken,
      nodeId: daemon.nodeId,
      cloud,
      runtime: 'process',
      agentVersion: '0.0.0-test',
      metadataEndpoint: metadata.url,
      checkpointRoot: join(root, 'checkpoints'),
      scratchRoot: join(root, 'scratch'),
      heartbeatSeconds: 0.1,
      noticePollMs: 50,
      manifestPollMs: 100,
      checkpointPollMs: 20,
      outputFlushMs: 50,
      shutdownGraceSeconds: 3,
      unassignedGraceSeconds: 3,
      signal: stop.signal,
      ...over,
    },
    {
      runtime: new ProcessRuntime({
        baseEnv: { PATH: process.env.PATH, GPUSCHED_TOKEN: daemon.bootstrapToken },
      }),
      logger: pino({ level: 'debug' }, sink),
      onEvent: (e) => events.push(e),
      session: session(daemon),
      client: { retries: 3, backoff: { baseMs: 10, maxMs: 50 } },
    },
  );
  let stopped = false;
  return {
    daemon,
    metadata,
    events,
    logLines,
    async stop() {
      if (stopped) return;
      stopped = true;
      stop.abort();
      await running;
      await daemon.close();
      await metadata.close();
    },
  };
}

/**
 * Until the toy trainer reports running and has printed a loss: its signal handlers are installed by then (the
 * step-0 metric line comes before them, and a SIGUSR1 or SIGTERM before them ends the process instead).
 */
export async function untilTraining(daemon: FakeAgentDaemon, jobId: string): Promise<void> {
  await daemon.waitFor('running', () => daemon.jobStates(jobId).find((s) => s.state === 'running'));
  await daemon.waitFor('training', () =>
    daemon.output(jobId).some((i) => 'values' in i && 'loss' in i.values),
  );
}

/** The job's log lines as the daemon received them. */
export function texts(daemon: FakeAgentDaemon, jobId: string): string[] {
  return daemon.output(jobId).flatMap((i) => ('text' in i ? [i.text] : []));
}

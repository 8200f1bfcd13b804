// Local mode of the simulated cloud: every simulated node that runs is a real `gpusched agent` process on this
// machine, with its own simulated metadata server speaking its cloud's format, running its jobs with the
// process runtime. A reclaim notice is raised on the node's metadata server, in that cloud's format, and the
// agent reacts as it would on a real node; when the notice runs out the instance goes and so does its agent,
// with every process under it. `lose` kills a node without notice (a silent loss: only the missing heartbeats
// tell). The way to try checkpoint-and-migrate on a laptop (docs/local-mode.md).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CloudName } from '../../core/model.js';
import type { Store } from '../../store/store.js';
import { type MetadataServer, startMetadataServer } from './metadata-server.js';
import { NOTICE_SECONDS, type SimProvider } from './provider.js';

export interface LocalAgentsOptions {
  /** The daemon's URL as the agents reach it (known once the API listens). */
  daemonUrl: () => string;
  /** The `gpusched` entry point the agents run (bin/gpusched.js). */
  bin: string;
  /** Each node gets a folder here: its agent's log and working directory. */
  dir: string;
  bootstrapTokenHours: number;
}

interface LocalNode {
  nodeId: string;
  cloud: CloudName;
  metadata: MetadataServer;
  agent: ChildProcess;
}

export class LocalAgents {
  private readonly nodes = new Map<string, LocalNode>();
  private readonly starting = new Set<string>();
  /** Nodes killed by `lose`: dead for good, whatever their instance says (only missed heartbeats tell). */
  private readonly lost = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly sim: SimProvider,
    private readonly opts: LocalAgentsOptions,
    private readonly now: () => Date,
    private readonly log: Logger,
  ) {}

  /** Starts an agent for each simulated instance that runs and has none; ends those whose instance is gone. */
  async tick(_now: Date): Promise<void> {
    const instances = await this.sim.list();
    const running = new Set<string>();
    for (const inst of instances) {
      if (inst.state !== 'running') continue;
      const node = this.store.nodes.get(inst.nodeId);
      if (!node || node.state === 'terminated' || node.state === 'terminating' || node.state === 'lost')
        continue;
      running.add(inst.nodeId);
      if (!this.nodes.has(inst.nodeId) && !this.starting.has(inst.nodeId) && !this.lost.has(inst.nodeId))
        await this.start(inst.nodeId, inst.cloud);
    }
    for (const nodeId of [...this.nodes.keys()])
      if (!running.has(nodeId)) await this.end(nodeId, 'instance gone');
  }

  /**
   * A reclaim notice in the cloud's own format on the node's metadata server, and the instance reclaimed when
   * it runs out. A node's server speaks its own cloud's format only, so `cloud` must be the node's.
   */
  interrupt(nodeId: string, providerId: string, cloud: CloudName): { noticeSeconds: number } {
    const local = this.nodes.get(nodeId);
    if (!local) throw new Error(`node ${nodeId} has no local agent (yet)`);
    if (cloud !== local.cloud)
      throw new Error(
        `node ${nodeId} is on ${local.cloud}: its metadata server speaks ${local.cloud}'s format, not ${cloud}'s`,
      );
    const { noticeSeconds } = this.sim.interrupt(providerId, cloud);
    local.metadata.raiseNotice({ noticeSeconds: noticeSeconds ?? NOTICE_SECONDS[cloud] });
    this.log.info({ nodeId, cloud, noticeSeconds }, 'local node: reclaim notice raised');
    return { noticeSeconds };
  }

  /** The node dies without a word: its agent and everything it runs are killed at once. */
  async lose(nodeId: string): Promise<void> {
    if (!this.nodes.has(nodeId)) throw new Error(`node ${nodeId} has no local agent`);
    this.lost.add(nodeId);
    await this.end(nodeId, 'lost without notice');
  }

  /** Every agent's pid, for tests and `gpusched nodes`. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.nodes].map(([id, n]) => [id, n.agent.pid]));
  }

  async close(): Promise<void> {
    for (const nodeId of [...this.nodes.keys()]) await this.end(nodeId, 'daemon stopping');
  }

  private async start(nodeId: string, cloud: CloudName): Promise<void> {
    this.starting.add(nodeId);
    try {
      const metadata = await startMetadataServer({ cloud, instance: { id: nodeId, name: nodeId } });
      const t = this.now();
      const token = this.store.agents.issue(
        nodeId,
        'bootstrap',
        t,
        new Date(t.getTime() + this.opts.bootstrapTokenHours * 3_600_000),
      );
      const dir = join(this.opts.dir, nodeId);
      mkdirSync(dir, { recursive: true });
      const out = openSync(join(dir, 'agent.log'), 'a');
      const agent = spawn(
        process.execPath,
        [
          this.opts.bin,
          'agent',
          '--node-id',
          nodeId,
          '--cloud',
          cloud,
          '--runtime',
          'process',
          '--metadata-endpoint',
          metadata.url,
          '--data-dir',
          dir,
        ],
        {
          // Run from the daemon's working directory: a job's relative command (node examples/…) resolves there.
          env: { ...process.env, GPUSCHED_URL: this.opts.daemonUrl(), GPUSCHED_TOKEN: token },
          stdio: ['ignore', out, out],
        },
      );
      agent.on('exit', (code, signal) => this.log.info({ nodeId, code, signal }, 'local agent exited'));
      this.nodes.set(nodeId, { nodeId, cloud, metadata, agent });
      this.log.info(
        { nodeId, cloud, pid: agent.pid, metadata: metadata.url, log: join(dir, 'agent.log') },
        'local agent started',
      );
    } finally {
      this.starting.delete(nodeId);
    }
  }

  private async end(nodeId: string, why: string): Promise<void> {
    const local = this.nodes.get(nodeId);
    if (!local) return;
    this.nodes.delete(nodeId);
    if (local.agent.pid !== undefined) killTree(local.agent.pid);
    await local.metadata.close();
    this.log.info({ nodeId, why }, 'local agent ended');
  }
}

/**
 * SIGKILL to a process and every process under it. A job runs in its own process group (so that signals
 * reach it alone), so killing the agent's group would leave the job running: the tree is found through /proc.
 */
export function killTree(pid: number): void {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const all: number[] = [];
  const visit = (p: number) => {
    all.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

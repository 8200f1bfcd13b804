// Notice latency of checkpoint-and-migrate, with real processes: the daemon in local mode (each node a real
// `gpusched agent` with its own simulated metadata server), the toy trainer as the job. Each round interrupts
// the node the job runs on and measures, from the instant the notice is raised on the metadata server:
//   - notice → checkpoint signal delivered to the job (the agent's log line, its own clock);
//   - notice → replacement launch requested (the spare node's row, written when the daemon launches it).
// The agent polls its metadata server every second, as on a cloud: that poll dominates both figures.
//   npm run bench:notice [-- ROUNDS]        (default 50)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../dist/config/load.js';
import { startDaemon } from '../dist/daemon.js';

const ROUNDS = Number(process.argv[2] ?? 50);
const root = resolve(import.meta.dirname, '..');
const tmp = (p) => mkdtempSync(join(tmpdir(), p));
const config = structuredClone(loadConfig({ env: {} }));
config.dataDir = tmp('gpusched-bench-notice-');
config.api.port = 0;
config.api.adminToken = 'bench-admin-token-0123456789';
config.scheduler.tickSeconds = 1;
config.scheduler.idleNodeSeconds = 1;
config.scheduler.interruptionBlockSeconds = 0; // every round may use the cheapest pool again
config.consolidation.enabled = false;
config.agent.heartbeatSeconds = 1;
config.policies.dir = tmp('gpusched-bench-policies-');
config.sim = {
  ...config.sim,
  mode: 'local',
  timeScale: 1,
  bootSeconds: 0,
  catalog: join(root, 'test/fixtures/catalog/local-mode.json'),
};
const d = await startDaemon(config, { logger: pino({ level: 'silent' }) });
const headers = { authorization: `Bearer ${config.api.adminToken}`, 'content-type': 'application/json' };
const api = async (method, path, body) => {
  const r = await fetch(`${d.url}${path}`, {
    method,
    headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return r.json();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const job = await api('POST', '/v1/jobs', {
  name: 'toy',
  team: 'bench',
  command: ['node', join(root, 'examples/toy-train/train.mjs')],
  env: { TOY_STEPS: '100000000', TOY_STEP_DELAY_MS: '10', TOY_CHECKPOINT_EVERY: '500' },
  resources: { gpu: { models: ['T4'], count: 1 } },
  runtime: { estimateHours: 100 },
  market: 'spot',
  checkpoint: { dir: tmp('gpusched-bench-ckpt-'), graceSeconds: 10 },
});

/** The node the job runs on, once it runs somewhere other than `previous` and has started training there. */
async function runningElsewhere(previous) {
  for (;;) {
    const j = await api('GET', `/v1/jobs/${job.id}`);
    const node = j.placement?.nodeIds?.[0];
    if (j.state === 'running' && node && node !== previous) {
      await sleep(700); // the trainer is up and has installed its signal handlers
      return node;
    }
    await sleep(100);
  }
}

const raised = new Map();
let node = await runningElsewhere(null);
for (let i = 0; i < ROUNDS; i++) {
  raised.set(node, Date.now());
  await api('POST', `/v1/sim/nodes/${node}/interrupt`, {});
  node = await runningElsewhere(node);
  process.stderr.write(`\rround ${i + 1}/${ROUNDS}`);
}
process.stderr.write('\n');
await api('DELETE', `/v1/jobs/${job.id}`);

// The agents' logs: the instant each delivered the checkpoint signal for the notice.
const signalAt = new Map();
const nodesDir = join(config.dataDir, 'local-nodes');
for (const n of readdirSync(nodesDir)) {
  for (const line of readFileSync(join(nodesDir, n, 'agent.log'), 'utf8').split('\n')) {
    if (!line.includes('checkpoint signal delivered') || !line.includes('"cause":"notice"')) continue;
    if (!signalAt.has(n)) signalAt.set(n, JSON.parse(line).time);
  }
}
// The replacement: the first node created after the notice reached the daemon.
const nodes = d.store.nodes.list().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
const toSignal = [];
const toLaunch = [];
for (const [id, t0] of raised) {
  if (signalAt.has(id)) toSignal.push(signalAt.get(id) - t0);
  const notice = d.store.agents.notices(id)[0];
  const spare = notice && nodes.find((n) => n.createdAt >= notice.receivedAt && n.id !== id);
  if (spare) toLaunch.push(Date.parse(spare.createdAt) - t0);
}
await d.stop();

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor(s.length / 2)], max: s.at(-1) };
};
const a = stats(toSignal);
const b = stats(toLaunch);
console.log('\nmeasure\tnotices\tmedian ms\tmax ms\ttarget');
console.log(`notice → checkpoint signal delivered\t${a.n}\t${a.median}\t${a.max}\t1500`);
console.log(`notice → replacement launch requested\t${b.n}\t${b.median}\t${b.max}\t2000`);

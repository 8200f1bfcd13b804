// The agent process end to end, in-process (runAgent): a fake daemon speaking the protocol with the shared
// schemas, a simulated AWS metadata server, and the toy trainer run by the process runtime. Registration,
// running an assigned job to its exit with its output forwarded, a stop command, an unassigned job, and the
// client's retries and errors.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient, AgentHttpError, AgentUnreachableError } from '../../src/agent/client.js';
import { memorySessionStore } from '../../src/agent/session.js';
import {
  type AgentUnderTest,
  FakeAgentDaemon,
  startAgent,
  tempDir,
  texts,
  toyAssignment,
  untilTraining,
} from '../fakes/agent-daemon.js';

let agent: AgentUnderTest | undefined;

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

describe('the agent process', () => {
  it('registers, runs an assigned job to exit 0, and forwards its log lines and metric points', async () => {
    agent = await startAgent('aws');
    const { daemon } = agent;
    await daemon.waitFor('registration', () => daemon.registers[0]);
    const reg = daemon.registers[0]!.body;
    expect(reg).toMatchObject({
      nodeId: 'node-aws',
      cloud: 'aws',
      runtime: 'process',
      agentVersion: '0.0.0-test',
    });
    // The instance id comes from the metadata server (IMDSv2 token flow).
    expect(reg.instanceId).toBe('instance-aws');
    expect(reg.telemetry?.at).toMatch(/^\d{4}-/);

    daemon.assignments = [toyAssignment('job-a', tempDir(), ['--steps', '40', '--metric-every', '10'])];
    const exited = await daemon.waitFor('the exit', () =>
      daemon.jobStates('job-a').find((s) => s.state === 'exited'),
    );
    expect(exited.exitCode).toBe(0);
    const states = daemon.jobStates('job-a');
    const running = states.find((s) => s.state === 'running')!;
    expect(states.indexOf(running)).toBeLessThan(states.indexOf(exited));
    expect(Date.parse(running.at!)).toBeLessThanOrEqual(Date.parse(exited.at!));

    const output = daemon.output('job-a');
    const metrics = output.filter((i) => 'values' in i);
    // Hyperparameters at step 0, then the loss every 10 steps.
    expect(metrics[0]).toMatchObject({ step: 0, values: { learningRate: 0.05, seed: 7 } });
    expect(
      metrics.filter((m) => 'values' in m && 'loss' in m.values).map((m) => ('step' in m ? m.step : -1)),
    ).toEqual([10, 20, 30, 40]);
    expect(texts(daemon, 'job-a').some((t) => t.startsWith('RESULT '))).toBe(true);
    // Output arrives before the exit is reported.
    const lastLog = Math.max(...daemon.logs.map((l) => l.hr));
    const exitBeat = daemon.heartbeats.find((h) => h.body.jobs.some((j) => j.state === 'exited'))!;
    expect(lastLog).toBeLessThan(exitBeat.hr);

    // Once the daemon has taken the exit in and dropped the assignment, the agent forgets the job.
    daemon.assignments = [];
    const n = daemon.heartbeats.length;
    await daemon.waitFor('a heartbeat without the job', () =>
      daemon.heartbeats.slice(n + 1).find((h) => h.body.jobs.length === 0),
    );
    expect(daemon.refused).toEqual([]);
    // The token is never logged: neither the bootstrap token nor the session token.
    const log = agent.logLines.join('\n');
    expect(log).toContain('"nodeId":"node-aws"');
    expect(log).toContain('"jobId":"job-a"');
    expect(log).not.toContain(daemon.bootstrapToken);
    expect(log).not.toContain(daemon.sessionToken);
  });

  it('stops a job on a stop command; the job checkpoints on SIGTERM and exits 143', async () => {
    agent = await startAgent('aws');
    const { daemon } = agent;
    const dir = tempDir();
    daemon.assignments = [toyAssignment('job-c', dir, ['--steps', '1000000', '--step-delay-ms', '2'])];
    await untilTraining(daemon, 'job-c');
    daemon.commands = [{ kind: 'stop', jobId: 'job-c', reason: 'cancelled', graceSeconds: 5 }];
    const exited = await daemon.waitFor('the exit', () =>
      daemon.jobStates('job-c').find((s) => s.state === 'exited'),
    );
    expect(exited.exitCode).toBe(143);
    // The checkpoint it wrote on its way out is reported, before the exit.
    expect(daemon.checkpoints.map((c) => c.body.jobId)).toEqual(['job-c']);
    expect(daemon.checkpoints[0]!.body.path).toBe(`step-${daemon.checkpoints[0]!.body.step}`);
    // The stop stands in every answer until the daemon drops it: it is carried out once.
    expect(agent.logLines.filter((l) => l.includes('"msg":"stopping job"'))).toHaveLength(1);
    expect(agent.events.filter((e) => e.type === 'job-started')).toHaveLength(1);
  });

  it('stops a job that is no longer assigned and reports its exit', async () => {
    agent = await startAgent('aws');
    const { daemon } = agent;
    daemon.assignments = [toyAssignment('job-d', tempDir(), ['--steps', '1000000', '--step-delay-ms', '2'])];
    await untilTraining(daemon, 'job-d');
    daemon.assignments = [];
    const exited = await daemon.waitFor('the exit', () =>
      daemon.jobStates('job-d').find((s) => s.state === 'exited'),
    );
    expect(exited.exitCode).toBe(143);
    expect(agent.logLines.some((l) => l.includes('no longer assigned to this node'))).toBe(true);
    // Reported once, then forgotten.
    const n = daemon.heartbeats.length;
    await daemon.waitFor('a heartbeat without the job', () =>
      daemon.heartbeats.slice(n).find((h) => h.body.jobs.length === 0),
    );
    expect(agent.events.filter((e) => e.type === 'job-started')).toHaveLength(1);
  });

  it('reports a job that cannot be started as exited (127), and does not start it again', async () => {
    agent = await startAgent('aws');
    const { daemon } = agent;
    daemon.assignments = [{ ...toyAssignment('job-e', undefined, []), command: ['/nonexistent/program'] }];
    const exited = await daemon.waitFor('the exit', () =>
      daemon.jobStates('job-e').find((s) => s.state === 'exited'),
    );
    expect(exited.exitCode).toBe(127);
    const n = daemon.heartbeats.length;
    await daemon.waitFor('three more heartbeats', () => daemon.heartbeats.length >= n + 3);
    expect(agent.events.filter((e) => e.type === 'job-start-failed')).toHaveLength(1);
  });

  it('stops its jobs with grace when it stops: their checkpoints reported, not their exits', async () => {
    agent = await startAgent('aws');
    const { daemon } = agent;
    daemon.assignments = [
      toyAssignment('job-f', tempDir(), ['--steps', '1000000', '--step-delay-ms', '2']),
      toyAssignment('job-g', tempDir(), ['--steps', '5']),
    ];
    await untilTraining(daemon, 'job-f');
    await daemon.waitFor('job-g to end', () => daemon.jobStates('job-g').find((s) => s.state === 'exited'));
    await agent.stop();
    // The checkpoint job-f wrote on SIGTERM is the daemon's: it resumes the job from it (here after a restart
    // of the agent, elsewhere once the node is lost). Its exit is not the job's end, and is not reported.
    expect(daemon.checkpoints.map((c) => c.body.jobId)).toEqual(['job-f']);
    expect(daemon.jobStates('job-f').map((s) => s.state)).not.toContain('exited');
    expect(daemon.jobStates('job-g').at(-1)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(
      agent.events
        .filter((e) => e.type === 'job-exited')
        .map((e) => 'jobId' in e && e.jobId)
        .sort(),
    ).toEqual(['job-f', 'job-g']);
    expect(agent.events.at(-1)).toEqual({ type: 'stopped' });
  });
});

describe('checkpoints and sessions', () => {
  it('reports the job’s periodic checkpoints as latest.json changes', async () => {
    agent = await startAgent('gcp');
    const { daemon, events } = agent;
    const dir = tempDir();
    daemon.assignments = [
      toyAssignment('job-p', dir, ['--steps', '1000000', '--step-delay-ms', '2', '--checkpoint-every', '40']),
    ];
    await daemon.waitFor('two periodic checkpoints', () => daemon.checkpoints.length >= 2);
    const steps = daemon.checkpoints.map((c) => c.body.step);
    expect(steps.every((step) => step % 40 === 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(new Set(steps).size).toBe(steps.length);
    expect(
      events
        .filter((e) => e.type === 'checkpoint-reported')
        .every((e) => 'cause' in e && e.cause === 'periodic'),
    ).toBe(true);
    // No signal was sent for them.
    expect(events.filter((e) => e.type === 'checkpoint-signal')).toEqual([]);
  });

  it('resumes a saved session without registering again', async () => {
    let store: ReturnType<typeof memorySessionStore> | undefined;
    agent = await startAgent('aws', {}, (daemon) => {
      store = memorySessionStore();
      store.token = daemon.sessionToken;
      return store;
    });
    const { daemon } = agent;
    await daemon.waitFor('heartbeats', () => daemon.heartbeats.length >= 2);
    expect(daemon.registers).toEqual([]);
    expect(daemon.refused).toEqual([]);
  });

  it('registers again when the saved session is refused, and saves the new one', async () => {
    let store: ReturnType<typeof memorySessionStore> | undefined;
    agent = await startAgent('aws', {}, () => {
      store = memorySessionStore();
      store.token = 'session-from-an-earlier-life';
      return store;
    });
    const { daemon } = agent;
    await daemon.waitFor('a heartbeat', () => daemon.heartbeats[0]);
    expect(daemon.refused).toEqual([{ route: 'heartbeat', status: 401 }]);
    expect(daemon.registers).toHaveLength(1);
    expect(store!.token).toBe(daemon.sessionToken);
  });
});

describe('the agent client', () => {
  it('retries 5xx, swaps the bootstrap token for the session token, and says what a 4xx was', async () => {
    const daemon = await FakeAgentDaemon.start({ nodeId: 'node-x' });
    try {
      const client = new AgentClient({
        baseUrl: `${daemon.url}/`,
        token: daemon.bootstrapToken,
        backoff: { baseMs: 1, maxMs: 5 },
      });
      daemon.fail('register', 503, 2);
      const reply = await client.register({
        nodeId: 'node-x',
        cloud: 'gcp',
        agentVersion: '1',
        runtime: 'docker',
      });
      expect(reply.token).toBe(daemon.sessionToken);
      expect(client.currentToken).toBe(daemon.sessionToken);
      await client.heartbeat({ jobs: [] });
      expect(daemon.heartbeats).toHaveLength(1);

      // A 4xx is final and says what the daemon said; the token is in no message.
      daemon.fail('checkpoint', 404, 5);
      const err = await client
        .checkpoint({ jobId: 'j', step: 1, path: 'step-1', at: new Date().toISOString() })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AgentHttpError);
      expect((err as AgentHttpError).status).toBe(404);
      expect((err as Error).message).toMatch(/^POST \/v1\/agent\/checkpoint: HTTP 404 injected/);
      expect((err as Error).message).not.toContain(daemon.sessionToken);

      // A bootstrap token spent is a 401, not retried.
      const again = new AgentClient({ baseUrl: daemon.url, token: daemon.bootstrapToken });
      const spent = await again
        .register({ nodeId: 'node-x', cloud: 'gcp', agentVersion: '1', runtime: 'docker' })
        .catch((e: unknown) => e);
      expect((spent as AgentHttpError).status).toBe(401);
      expect(daemon.registers).toHaveLength(1);
    } finally {
      await daemon.close();
    }
  });

  it('names an unreachable daemon', async () => {
    const daemon = await FakeAgentDaemon.start();
    const url = daemon.url;
    await daemon.close();
    const client = new AgentClient({
      baseUrl: url,
      token: 't',
      retries: 1,
      backoff: { baseMs: 1, maxMs: 1 },
    });
    const err = await client.heartbeat({ jobs: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentUnreachableError);
    expect((err as Error).message).toMatch(/heartbeat: daemon unreachable \(.*ECONNREFUSED/);
  });
});

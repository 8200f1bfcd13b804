// Checkpoint-and-migrate on the agent's side, for each cloud's notice format: a notice raised on the simulated
// metadata server makes the agent send the job its checkpoint signal at once, while the daemon has not yet
// answered the notice (its answer is held back), then report the notice and, after it, the job's new manifest;
// on Azure the event is acknowledged only after that checkpoint. A rebalance recommendation is only reported.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import type { CloudName } from '../../src/core/model.js';
import {
  type AgentUnderTest,
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

type SignalEvent = Extract<AgentEvent, { type: 'checkpoint-signal' }>;

describe.each(['aws', 'gcp', 'azure'] as CloudName[])('a %s preempt notice', (cloud) => {
  it('signals the job before the daemon answers, reports the notice, then the checkpoint', async () => {
    agent = await startAgent(cloud);
    const { daemon, metadata, events } = agent;
    const dir = tempDir();
    const jobId = `job-${cloud}`;
    daemon.assignments = [toyAssignment(jobId, dir, ['--steps', '1000000', '--step-delay-ms', '2'])];
    // The daemon's own order, in its answer to the notice: it must join the checkpoint under way, not repeat it.
    daemon.noticeCommands = [
      {
        kind: 'checkpoint',
        jobId,
        reason: 'reclaim notice',
        deadline: new Date(Date.now() + 20_000).toISOString(),
      },
    ];
    await untilTraining(daemon, jobId);
    daemon.holdNotices();

    const raisedAt = Date.now();
    const raised = metadata.raiseNotice();
    const signal = await daemon.waitFor('the checkpoint signal', () =>
      events.find((e): e is SignalEvent => e.type === 'checkpoint-signal'),
    );
    expect(signal).toMatchObject({ jobId, cause: 'notice', delivered: true });
    // The agent did not wait for the daemon: the notice is there, unanswered.
    await daemon.waitFor('the notice', () => daemon.notices[0]);
    const signalToNotice = daemon.notices[0]!.at - signal.at;
    expect(daemon.notices[0]!.body).toMatchObject({ cloud, kind: 'preempt' });
    expect(daemon.notices[0]!.body.deadline).not.toBeNull();
    expect(Math.abs(Date.parse(daemon.notices[0]!.body.deadline!) - raised.deadline!.getTime())).toBeLessThan(
      cloud === 'gcp' ? 2_000 : 1_000,
    );
    // The job answered the signal while the notice is unanswered, and its manifest is not reported before the
    // daemon has the notice.
    await daemon.waitFor('the job to take note', () =>
      texts(daemon, jobId).find((t) => t.startsWith('checkpoint requested (SIGUSR1)')),
    );
    await daemon.waitFor('the manifest', () => {
      try {
        return JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { step: number };
      } catch {
        return undefined;
      }
    });
    expect(daemon.checkpoints).toHaveLength(0);
    const beatsDuringNotice = daemon.heartbeats.filter((h) => h.at >= raisedAt).length;
    expect(beatsDuringNotice).toBeGreaterThan(0);

    daemon.releaseNotices();
    const reported = await daemon.waitFor('the checkpoint report', () => daemon.checkpoints[0]);
    const manifest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as {
      step: number;
      path: string;
    };
    expect(reported.body).toMatchObject({ jobId, step: manifest.step, path: manifest.path });
    expect(reported.hr).toBeGreaterThan(daemon.notices[0]!.hr);

    if (cloud === 'azure') {
      const ack = await daemon.waitFor('the acknowledgement', () => metadata.acknowledged()[0]);
      expect(ack).toMatchObject({ eventId: raised.eventId, known: true });
      expect(ack.at.getTime()).toBeGreaterThanOrEqual(reported.at);
    } else {
      expect(metadata.acknowledged()).toEqual([]);
    }
    // One signal only: the daemon's order joined it (the toy logs each request).
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e.type === 'checkpoint-signal')).toHaveLength(1);
    expect(texts(daemon, jobId).filter((t) => t.startsWith('checkpoint requested'))).toHaveLength(1);
    expect(daemon.checkpoints).toHaveLength(1);

    const line = agent.logLines.find((l) => l.includes('"msg":"checkpoint signal delivered"'))!;
    expect(JSON.parse(line)).toMatchObject({ jobId, nodeId: `node-${cloud}`, cause: 'notice' });
    console.info(
      `${cloud}: notice raised → signal ${signal.at - raisedAt} ms (poll every 50 ms); ` +
        `notice seen → signal ${signal.noticeToSignalMs?.toFixed(2)} ms; signal → notice at the daemon ${signalToNotice} ms`,
    );
  });
});

describe('a checkpoint directory with an older run’s manifest', () => {
  it('takes a new manifest at a lower step as the answer to the signal', async () => {
    // The run before this one was stopped after the job had moved, and checkpointed further on its way out.
    const dir = tempDir();
    mkdirSync(join(dir, 'step-100000'));
    writeFileSync(
      join(dir, 'latest.json'),
      JSON.stringify({ step: 100000, path: 'step-100000', at: '2026-01-01T00:00:00.000Z' }),
    );
    agent = await startAgent('gcp');
    const { daemon, metadata } = agent;
    daemon.assignments = [toyAssignment('job-s', dir, ['--steps', '1000000', '--step-delay-ms', '2'])];
    await untilTraining(daemon, 'job-s');
    // The stale manifest is not reported: the daemon's record is its own.
    await new Promise((r) => setTimeout(r, 250));
    expect(daemon.checkpoints).toEqual([]);
    metadata.raiseNotice();
    const reported = await daemon.waitFor('the checkpoint report', () => daemon.checkpoints[0]);
    expect(reported.body.step).toBeLessThan(100000);
    expect(agent.events.filter((e) => e.type === 'checkpoint-missed')).toEqual([]);
  });
});

describe('an AWS rebalance recommendation', () => {
  it('is reported, and nothing is signalled', async () => {
    agent = await startAgent('aws');
    const { daemon, metadata, events } = agent;
    daemon.assignments = [toyAssignment('job-r', tempDir(), ['--steps', '1000000', '--step-delay-ms', '2'])];
    await untilTraining(daemon, 'job-r');
    metadata.raiseRebalance();
    const notice = await daemon.waitFor('the notice', () => daemon.notices[0]);
    expect(notice.body).toMatchObject({ cloud: 'aws', kind: 'rebalance', deadline: null });
    expect(JSON.parse(notice.body.raw!)).toHaveProperty('noticeTime');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.type === 'checkpoint-signal')).toEqual([]);
    expect(daemon.checkpoints).toEqual([]);
  });
});

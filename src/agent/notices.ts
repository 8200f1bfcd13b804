// What the agent does when the cloud says the machine is going (DESIGN.md, "Interruptions: checkpoint-and-
// migrate"). A preempt notice is acted on at once and locally: every running job that checkpoints gets its
// checkpoint signal before anything is sent to the daemon, because the window is short (GCP and Azure 30 s) and
// the daemon may be slow, far, or down. The daemon hears of it in parallel (POST /v1/agent/notice and an
// immediate heartbeat); its own checkpoint order, when it comes, joins the checkpoint already under way.
// The agent then waits for each job's new `latest.json` until the window less the margin and reports it, and on
// Azure acknowledges the event once every checkpoint is written (acknowledging earlier gives the window away).
// A rebalance recommendation or a maintenance event is reported only: it is the daemon's to decide.
import type { Logger } from 'pino';
import type { Command } from '../api/schemas/agent.js';
import type { CloudName } from '../core/model.js';
import { checkpointWaitUntil } from './assignment.js';
import type { AgentClient } from './client.js';
import type { AgentEvent } from './events.js';
import type { CheckpointOutcome, JobRun } from './job.js';
import type { Notice, NoticeWatcher } from './watchers/notice.js';

/** A watcher, with Azure's acknowledgement where the cloud has one. */
export type AckingWatcher = NoticeWatcher & {
  acknowledge?: (eventId: string, signal?: AbortSignal) => Promise<void>;
};

/** What of the agent a notice needs. */
export interface NoticeHost {
  readonly logger: Logger;
  readonly agentClient: AgentClient;
  readonly noticeWatcher: AckingWatcher;
  readonly options: { readonly cloud: CloudName; readonly noticeMarginSeconds?: number };
  checkpointingJobs(): JobRun[];
  otherRunningJobs(): JobRun[];
  commands(commands: readonly Command[]): void;
  kick(urgent: boolean): void;
  emit(e: AgentEvent): void;
}

export const DEFAULT_NOTICE_MARGIN_SECONDS = 5;

export async function handleNotice(host: NoticeHost, notice: Notice): Promise<void> {
  const seenHr = performance.now();
  const seenAt = Date.now();
  const log = host.logger;
  const deadline = notice.deadline?.toISOString() ?? null;

  let outcomes: Promise<CheckpointOutcome>[] = [];
  let jobs: JobRun[] = [];
  // Settles once the daemon has the notice (or could not be told): checkpoints are reported after it, so the
  // daemon takes them as the checkpoints that move the jobs.
  let noticeSent!: () => void;
  const posted = new Promise<void>((resolve) => {
    noticeSent = resolve;
  });
  if (notice.kind === 'preempt') {
    const marginMs = (host.options.noticeMarginSeconds ?? DEFAULT_NOTICE_MARGIN_SECONDS) * 1000;
    const waitUntil = checkpointWaitUntil(notice, seenAt, marginMs);
    jobs = host.checkpointingJobs();
    // First, before any line is logged or anything is sent: each job's signal.
    outcomes = jobs.map((j) =>
      j.checkpoint({
        cause: 'notice',
        reason: `${notice.cloud} ${notice.kind} notice`,
        waitUntil,
        noticeSeenHr: seenHr,
        reportAfter: posted,
      }),
    );
    log.warn(
      { cloud: notice.cloud, kind: notice.kind, deadline, jobs: jobs.map((j) => j.jobId), waitUntil },
      'reclaim notice: checkpointing now',
    );
  } else {
    log.warn({ cloud: notice.cloud, kind: notice.kind, deadline }, 'notice (no checkpoint: reported only)');
  }
  host.emit({ type: 'notice', cloud: notice.cloud, kind: notice.kind, deadline, seenAt });

  // In parallel: the notice, and a heartbeat now rather than in a few seconds.
  host.kick(true);
  void host.agentClient
    .notice({ cloud: notice.cloud, kind: notice.kind, deadline, raw: notice.raw.slice(0, 65_536) })
    .then(
      (reply) => {
        host.emit({ type: 'notice-reported', kind: notice.kind, ok: true });
        noticeSent();
        host.commands(reply.commands);
      },
      (e: Error) => {
        host.emit({ type: 'notice-reported', kind: notice.kind, ok: false });
        log.warn({ err: e.message }, 'notice not reported (the heartbeats go on)');
        noticeSent();
      },
    );

  if (notice.kind !== 'preempt') return;
  const results = await Promise.all(outcomes);
  const written = results.filter((r) => r.manifest !== null).length;
  log.info({ jobs: jobs.length, written }, 'notice checkpoints done');

  const watcher = host.noticeWatcher;
  if (notice.cloud !== 'azure' || notice.eventId === undefined || !watcher.acknowledge) return;
  // Acknowledging lets Azure take the machine now: only when nothing gains from the rest of the window.
  const others = host.otherRunningJobs();
  if (written < jobs.length || others.length > 0) {
    log.info(
      { missing: jobs.length - written, running: others.map((j) => j.jobId) },
      'Azure event not acknowledged: the rest of the window is still of use',
    );
    return;
  }
  try {
    await watcher.acknowledge(notice.eventId);
    log.info({ eventId: notice.eventId }, 'Azure event acknowledged');
    host.emit({ type: 'notice-acknowledged', eventId: notice.eventId, at: Date.now() });
  } catch (e) {
    log.warn({ err: (e as Error).message, eventId: notice.eventId }, 'Azure acknowledgement failed');
  }
}

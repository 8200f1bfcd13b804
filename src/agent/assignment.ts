// From the daemon's words to the runtime's: an Assignment (src/api/schemas/agent.ts) becomes the
// WorkloadAssignment a runtime starts, node telemetry becomes the heartbeat's Telemetry, a batch of output
// becomes a LogsBody, and a notice becomes the time to stop waiting for checkpoints. Pure: no I/O, no clock.
import { constants } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Static } from 'typebox';
import type { Assignment, LogsBody, Telemetry } from '../api/schemas/agent.js';
import type { CloudName } from '../core/model.js';
import type { OutputBatch } from './output.js';
import type { GpuSelection, WorkloadAssignment, WorkloadExit } from './runtime/types.js';
import type { GpuTelemetry, NodeTelemetry } from './telemetry.js';
import type { Notice } from './watchers/notice.js';

export type Slot = Assignment['slot'];

export interface GpuChoice {
  readonly gpus: GpuSelection;
  /** Set when the agent had to fall back (no MIG device listed for the slot): worth a warning. */
  readonly note?: string;
}

/**
 * The GPUs a slot gives the job.
 * - whole: the indices (none listed: no GPU, as in local mode);
 * - mig: the UUID of a MIG device of the slot's profile on its GPU, as `nvidia-smi -L` lists it, that no other
 *   job of this node holds (`taken`); without one (no nvidia-smi, MIG instance not created) the GPU's index;
 * - shared: an MPS share of the GPU, named by UUID when telemetry has it (NVIDIA's MPS guide: an MPS server
 *   started under its own CUDA_VISIBLE_DEVICES renumbers devices, a UUID does not move).
 */
export function gpuSelectionFor(
  slot: Slot,
  gpus: readonly GpuTelemetry[],
  taken: ReadonlySet<string> = new Set(),
): GpuChoice {
  switch (slot.kind) {
    case 'whole':
      return slot.gpuIndices.length === 0
        ? { gpus: { kind: 'none' } }
        : { gpus: { kind: 'whole', indices: [...slot.gpuIndices] } };
    case 'mig': {
      const index = slot.gpuIndices[0]!;
      const gpu = gpus.find((g) => g.index === index);
      // nvidia-smi -L does not say where a MIG device sits (its placement start), so devices of the same
      // profile are told apart only by which are free; the lowest device number first, for repeatability.
      const device = [...(gpu?.mig ?? [])]
        .filter((d) => d.profile === slot.profile && !taken.has(d.uuid))
        .sort((a, b) => a.device - b.device)[0];
      if (device) return { gpus: { kind: 'mig', uuids: [device.uuid] } };
      return {
        gpus: { kind: 'whole', indices: [index] },
        note: `no free MIG device ${slot.profile} listed on GPU ${index}: the job gets the GPU by index`,
      };
    }
    case 'shared': {
      const index = slot.gpuIndices[0]!;
      const uuid = gpus.find((g) => g.index === index)?.uuid;
      const pct = Math.min(100, Math.max(1, Math.round(slot.fraction * 100)));
      const mib = Math.round(slot.memoryGiB * 1024);
      return {
        gpus: {
          kind: 'mps',
          device: uuid && /^[A-Za-z0-9-]+$/.test(uuid) ? uuid : String(index),
          activeThreadPercentage: pct,
          ...(mib > 0 ? { pinnedMemoryMiB: mib } : {}),
        },
      };
    }
  }
}

/** The MIG device UUIDs a selection holds (to keep two jobs off one device). */
export function migUuids(gpus: GpuSelection): string[] {
  return gpus.kind === 'mig' ? [...gpus.uuids] : [];
}

export interface DirectoryRoots {
  /** Where a relative `checkpointDir` (and `resumeFrom`) lives on this node. */
  readonly checkpointRoot: string;
  /** Where a job without a checkpoint directory gets a scratch one (the runtimes always set one). */
  readonly scratchRoot: string;
}

export interface JobDirectories {
  /** `$GPUSCHED_CHECKPOINT_DIR`, absolute. */
  readonly checkpointDir: string;
  /** False for a scratch directory: the job does not checkpoint, so it is neither signalled nor watched. */
  readonly checkpoints: boolean;
  readonly resumeFrom?: string;
}

/**
 * Where the job checkpoints on this node. An absolute `checkpointDir` is used as given (a bucket mount, a shared
 * volume, a local folder in local mode); a relative one, and a relative `resumeFrom` (the daemon joins the spec's
 * dir and the checkpoint's path), are read under the checkpoint root, so both name the same place.
 */
export function jobDirectories(a: Assignment, roots: DirectoryRoots): JobDirectories {
  const under = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(roots.checkpointRoot, p));
  const resumeFrom = a.resumeFrom ? { resumeFrom: under(a.resumeFrom) } : {};
  if (a.checkpointDir === undefined || a.checkpointDir === '')
    return { checkpointDir: join(roots.scratchRoot, a.jobId), checkpoints: false, ...resumeFrom };
  return { checkpointDir: under(a.checkpointDir), checkpoints: true, ...resumeFrom };
}

/** What the runtime starts for an assignment. */
export function toWorkload(a: Assignment, dirs: JobDirectories, gpus: GpuSelection): WorkloadAssignment {
  return {
    jobId: a.jobId,
    ...(a.image !== undefined ? { image: a.image } : {}),
    ...(a.command !== undefined ? { command: [...a.command] } : {}),
    env: { ...a.env },
    gpus,
    checkpointDir: dirs.checkpointDir,
    ...(dirs.resumeFrom !== undefined ? { resumeFrom: dirs.resumeFrom } : {}),
    checkpointSignal: a.checkpointSignal,
    ...(a.checkpointEveryMinutes !== undefined ? { checkpointEveryMinutes: a.checkpointEveryMinutes } : {}),
  };
}

/**
 * Which run of a job an assignment is. The protocol has no attempt number: a job that ran here, exited, and is
 * placed here again (resumed from a newer checkpoint) is told apart by its unit and `resumeFrom`.
 */
export function assignmentKey(a: Assignment): string {
  return `${a.unit}|${a.resumeFrom ?? ''}`;
}

/** The exit code the protocol wants: the process's, or 128 + n for a process ended by signal n. */
export function exitCodeOf(exit: WorkloadExit): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal !== null) return 128 + (constants.signals[exit.signal] ?? 0);
  return 1;
}

/** `checkpointSignal` is a signal name, or a URL the agent requests (job contract, "When to checkpoint"). */
export function isUrlSignal(signal: string): boolean {
  return /^https?:\/\//i.test(signal);
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/** The heartbeat's telemetry: what the schema names, and the rest (MIG devices, temperatures) alongside. */
export function protocolTelemetry(t: NodeTelemetry): Static<typeof Telemetry> {
  const used = t.host.memoryTotalBytes - t.host.memoryFreeBytes;
  // The schema lets both carry more than it names; built as values first, since a literal may only name what
  // the static type does.
  const host = {
    load1: Math.max(0, t.host.loadAverage[0]),
    memoryUsedMiB: Math.max(0, Math.round(used / 1048576)),
    memoryTotalMiB: Math.round(t.host.memoryTotalBytes / 1048576),
    cpus: t.host.cpus,
    hostname: t.host.hostname,
  };
  const telemetry = {
    at: t.at,
    gpus: t.gpus.slice(0, 64).map((g) => ({
      index: g.index,
      ...(g.uuid ? { uuid: cut(g.uuid, 128) } : {}),
      ...(g.name ? { name: cut(g.name, 128) } : {}),
      utilizationPct: g.utilizationPercent === null ? null : Math.min(100, Math.max(0, g.utilizationPercent)),
      memoryUsedMiB: g.memoryUsedMiB === null ? null : Math.max(0, g.memoryUsedMiB),
      memoryTotalMiB: g.memoryTotalMiB === null ? null : Math.max(0, g.memoryTotalMiB),
      temperatureC: g.temperatureC,
      powerDrawW: g.powerDrawW,
      mig: g.mig.map((d) => ({ profile: d.profile, device: d.device, uuid: d.uuid })),
    })),
    host,
    gpuSource: t.gpuSource,
    ...(t.gpuProblems.length > 0 ? { gpuProblems: t.gpuProblems.slice(0, 10) } : {}),
  };
  return telemetry;
}

const MAX_TEXT = 65_536;

/**
 * One batch of a job's output as the logs call carries it. A line that began with GPUSCHED_METRIC but was not a
 * valid metric keeps its text, followed by why, since the job contract promises it is marked and the protocol's
 * log item has no field for that.
 */
export function logsBody(jobId: string, batch: OutputBatch): LogsBody {
  const items = batch.items.map((item) => {
    const at = new Date(item.at).toISOString();
    if (item.kind === 'metric')
      return {
        jobId,
        at,
        ...(item.step !== undefined ? { step: item.step } : {}),
        values: { ...item.values },
      };
    const text = item.metricError ? `${item.text} [gpusched: not a metric: ${item.metricError}]` : item.text;
    return { jobId, at, stream: item.stream, text: cut(text, MAX_TEXT) };
  });
  const dropped = batch.droppedLogLines + batch.droppedMetrics;
  return { items, ...(dropped > 0 ? { dropped } : {}) };
}

/** How long each cloud gives when a preempt notice states no deadline (AWS 2 min; GCP and Azure 30 s). */
export const DEFAULT_NOTICE_WINDOW_SECONDS: Readonly<Record<CloudName, number>> = {
  aws: 120,
  gcp: 30,
  azure: 30,
};

/**
 * Until when the agent waits for the jobs' checkpoints after a notice seen at `seenAt` (ms): the notice's
 * deadline, or seen + the cloud's window when it states none, less the margin. Never before `seenAt`: the
 * manifest is still looked at once. A preempt without a deadline (an Azure event already started) may mean
 * "now"; waiting the cloud's window anyway costs nothing, since the agent goes with the machine, and a job
 * that is quick may still get its checkpoint out.
 */
export function checkpointWaitUntil(notice: Notice, seenAt: number, marginMs: number): number {
  const deadline = notice.deadline?.getTime() ?? seenAt + DEFAULT_NOTICE_WINDOW_SECONDS[notice.cloud] * 1000;
  return Math.max(seenAt, deadline - marginMs);
}

// GPU telemetry as the observability side reads it: the port it needs, and the arithmetic from a node's GPU
// figures to a node's and a job's utilisation. The figures come from the agents' heartbeats (the agent protocol,
// api/schemas/agent.ts Telemetry); the daemon keeps each node's last one (store/agents.ts `lastSeen`), and the
// composition root hands that in as a TelemetrySource. Nothing here writes.
import type { Job, NodeRecord } from '../core/model.js';
import type { SlotRecord } from '../store/slots.js';

export interface GpuSample {
  readonly index: number;
  /** 0..100; null when the agent could not read it. */
  readonly utilizationPct: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
}

export interface NodeTelemetry {
  /** When the daemon received it (the daemon's clock, not the agent's). */
  readonly at: string;
  readonly gpus: readonly GpuSample[];
}

/**
 * The port: the newest GPU figures of a node, or null when its agent never sent any (the in-process simulation
 * sends none). Expected of the agent side: one sample per heartbeat, the GPUs by their index on the node (the
 * indices slots name), utilisation in % as nvidia-smi reports it.
 */
export interface TelemetrySource {
  latest(nodeId: string): NodeTelemetry | null;
}

export const NO_TELEMETRY: TelemetrySource = { latest: () => null };

/** Figures older than this are not shown as a node's or job's utilisation: the agent has gone quiet. */
export const TELEMETRY_MAX_AGE_MS = 5 * 60_000;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A node's last heartbeat (`{at, telemetry}`, as store/agents.ts `lastSeen` answers) as NodeTelemetry; null for
 * anything without a GPU list. Defensive: the stored JSON is whatever the agent sent that passed the schema.
 */
export function parseTelemetry(seen: { at: string; telemetry: unknown } | null): NodeTelemetry | null {
  if (!seen || seen.telemetry === null || typeof seen.telemetry !== 'object') return null;
  const gpus = (seen.telemetry as { gpus?: unknown }).gpus;
  if (!Array.isArray(gpus)) return null;
  const samples: GpuSample[] = [];
  for (const g of gpus) {
    if (g === null || typeof g !== 'object') continue;
    const r = g as Record<string, unknown>;
    const index = num(r.index);
    if (index === null) continue;
    samples.push({
      index,
      utilizationPct: num(r.utilizationPct),
      memoryUsedMiB: num(r.memoryUsedMiB),
      memoryTotalMiB: num(r.memoryTotalMiB),
    });
  }
  return { at: seen.at, gpus: samples };
}

const fresh = (t: NodeTelemetry | null, now: Date): t is NodeTelemetry =>
  t !== null && now.getTime() - Date.parse(t.at) <= TELEMETRY_MAX_AGE_MS;

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The mean utilisation (%) of the node's GPUs that reported one, from fresh figures; null otherwise. */
export function nodeUtilization(t: NodeTelemetry | null, now: Date): number | null {
  if (!fresh(t, now)) return null;
  return mean(t.gpus.map((g) => g.utilizationPct).filter((u): u is number => u !== null));
}

/**
 * The GPUs a job holds, by node: its slots' GPU indices (a MIG instance or an MPS share counts its whole GPU,
 * whose utilisation is all the telemetry tells); a node where it holds no slot (placed before slots were kept)
 * counts all of that node's GPUs.
 */
export function jobGpus(
  job: Pick<Job, 'id' | 'nodeIds'>,
  slots: readonly SlotRecord[],
  nodes: readonly Pick<NodeRecord, 'id' | 'gpu'>[],
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const nodeId of job.nodeIds) {
    const mine = slots.filter((s) => s.jobId === job.id && s.nodeId === nodeId);
    const node = nodes.find((n) => n.id === nodeId);
    const indices =
      mine.length > 0
        ? [...new Set(mine.flatMap((s) => [...s.slot.gpuIndices]))]
        : Array.from({ length: node?.gpu.count ?? 0 }, (_, i) => i);
    out.set(
      nodeId,
      indices.sort((a, b) => a - b),
    );
  }
  return out;
}

/** The mean utilisation (%) of the GPUs a job holds, over those with fresh figures; null when none has any. */
export function jobUtilization(
  gpus: ReadonlyMap<string, readonly number[]>,
  telemetry: (nodeId: string) => NodeTelemetry | null,
  now: Date,
): number | null {
  const values: number[] = [];
  for (const [nodeId, indices] of gpus) {
    const t = telemetry(nodeId);
    if (!fresh(t, now)) continue;
    for (const i of indices) {
      const u = t.gpus.find((g) => g.index === i)?.utilizationPct;
      if (u !== undefined && u !== null) values.push(u);
    }
  }
  return mean(values);
}

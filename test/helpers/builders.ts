// Builders for the core's data: a valid default, overridden where a test cares.
import type { JobSpec } from '../../src/core/jobspec.js';
import type { Job, NodeRecord, Offer } from '../../src/core/model.js';
import type { SnapshotNode } from '../../src/core/schedule.js';

export const T0 = new Date('2026-11-28T12:00:00Z');

export function spec(over: Partial<JobSpec> = {}): JobSpec {
  return {
    name: 'train',
    image: 'ghcr.io/acme/train:1',
    resources: { gpu: { models: ['A100'], count: 1 } },
    runtime: { estimateHours: 2 },
    ...over,
  };
}

export function job(over: Partial<Job> & { spec?: JobSpec } = {}): Job {
  const s = over.spec ?? spec();
  return {
    id: 'job-1',
    name: s.name,
    team: 'research',
    spec: s,
    state: 'queued',
    reason: null,
    priority: s.priority ?? 50,
    submittedAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    dependsOn: [],
    nodeIds: [],
    startedAt: null,
    finishedAt: null,
    costUsd: 0,
    expectedCostUsd: null,
    checkpoint: null,
    progress: 0,
    safetyNet: false,
    ...over,
  };
}

export function offer(over: Partial<Offer> = {}): Offer {
  return {
    cloud: 'aws',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    gpu: { model: 'A100', count: 8, memoryGiB: 40 },
    vcpus: 96,
    memoryGiB: 1152,
    market: 'spot',
    pricePerHour: 10,
    observedAt: T0.toISOString(),
    availability: { score: null, blockedUntil: null, interruptionsPerHour: null },
    source: 'simulated',
    ...over,
  };
}

export function node(over: Partial<SnapshotNode> = {}): SnapshotNode {
  const base: NodeRecord = {
    id: 'node-1',
    cloud: 'aws',
    provider: 'sim',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    market: 'spot',
    gpu: { model: 'A100', count: 8, memoryGiB: 40 },
    pricePerHour: 10,
    state: 'ready',
    providerId: 'sim-1',
    createdAt: T0.toISOString(),
    readyAt: T0.toISOString(),
    lastBusyAt: T0.toISOString(),
    terminatedAt: null,
    interruptedAt: null,
    costUsd: 0,
  };
  return { ...base, jobIds: [], ...over };
}

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

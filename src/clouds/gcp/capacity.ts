// GCP's CapacityProvider: instances.insert / delete / aggregatedList, labelled so that `list` finds
// only this daemon's VMs. Idempotency has two guards: the instance name is derived from the node id
// (a second insert of the same name fails with 409, and `launch` first looks the name up), and the
// insert carries a requestId derived from the node id and pool, which GCE deduplicates for 60 minutes.
// A launch that failed for good (capacity, quota) bumps an attempt counter in the requestId, because
// GCE would otherwise answer a retry with the same failed operation for the next hour.
import { randomUUID } from 'node:crypto';
import { canonicalGpu, gpuLabel } from '../../core/gpus.js';
import { CloudError, isCloudError } from '../errors.js';
import type { CapacityProvider, Instance, InstanceState, LaunchRequest } from '../ports.js';
import { classifyGcpError, GcpOperationError, httpStatusOf } from './errors.js';
import { buildInstance, CLUSTER_LABEL, NODE_ID_KEY, NODE_LABEL, TYPE_KEY } from './instance.js';
import {
  instanceName,
  labelValue,
  lastSegment,
  nodeIdFromName,
  parseProviderId,
  providerIdOf,
  requestIdFor,
} from './naming.js';
import type { ResolvedGcpOptions } from './options.js';
import type { GceInstance, GceOperation, GcpApi } from './sdk.js';
import { regionOfZone } from './zones.js';

const STATES: Readonly<Record<string, InstanceState>> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  REPAIRING: 'running',
  PENDING_STOP: 'terminated',
  STOPPING: 'terminated',
  SUSPENDING: 'terminated',
  SUSPENDED: 'terminated',
  TERMINATED: 'terminated',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function metadataValue(inst: GceInstance, key: string): string | null {
  const item = inst.metadata?.items?.find((i) => i.key === key);
  return item?.value ?? null;
}

export class GcpCapacity implements CapacityProvider {
  readonly name = 'gcp';
  /** Launches per node id that failed for good, for a fresh requestId on the next try. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly api: GcpApi,
    private readonly opts: ResolvedGcpOptions,
  ) {}

  async launch(req: LaunchRequest): Promise<Instance> {
    const { offer, nodeId } = req;
    if (offer.cloud !== 'gcp' || !offer.zone) {
      throw new Error(`gcp cannot launch ${offer.cloud} offer ${offer.instanceType} in zone ${offer.zone}`);
    }
    const zone = offer.zone;
    const name = instanceName(nodeId);
    const existing = await this.find(zone, name);
    if (existing) return this.adopt(existing, zone, nodeId);
    const resource = buildInstance(this.opts, req, name);
    const attempt = this.failures.get(nodeId) ?? 0;
    const requestId = requestIdFor(`${nodeId}/${zone}/${offer.instanceType}/${offer.market}/${attempt}`);
    try {
      const op = await this.api.insertInstance(zone, resource, requestId);
      await this.waitDone(zone, op);
    } catch (err) {
      if (httpStatusOf(err) === 409) {
        // The name exists: an earlier try of this launch got through.
        const again = await this.find(zone, name);
        if (again) return this.adopt(again, zone, nodeId);
      }
      // A timeout leaves the request in flight: keep its requestId so that a retry joins it.
      if (!isCloudError(err, 'Transient') && !isCloudError(err, 'Throttled'))
        this.noteFailure(nodeId, attempt);
      throw err;
    }
    this.failures.delete(nodeId);
    const created = await this.find(zone, name);
    if (!created)
      throw new CloudError('Transient', `GCP instances.insert: ${zone}/${name} done but not found`, 'gcp');
    return this.toInstance(created, zone, null);
  }

  async terminate(providerId: string): Promise<void> {
    const id = parseProviderId(providerId);
    if (!id) throw new Error(`not a gcp providerId (zone/name): '${providerId}'`);
    try {
      // A fresh requestId: delete is idempotent by itself (404 = gone), and a reused id could make GCE
      // ignore the delete of a later instance that got the same name.
      await this.api.deleteInstance(id.zone, id.name, randomUUID());
    } catch (err) {
      if (isCloudError(err, 'NotFound')) return;
      throw err;
    }
    // Not waiting for the delete to finish: the VM shows as STOPPING (terminated) and then disappears;
    // the reconciler terminates again whatever still runs.
  }

  async list(): Promise<Instance[]> {
    const cluster = labelValue(this.opts.clusterLabel);
    const [scopes, opScopes] = await Promise.all([
      this.api.instances(`labels.${CLUSTER_LABEL} = "${cluster}"`),
      this.api.operations('operationType = "compute.instances.preempted"'),
    ]);
    const preempted = this.preemptions(opScopes);
    const out: Instance[] = [];
    const listed = new Set<string>();
    for (const [scope, list] of scopes) {
      const zone = /^zones\/(.+)$/.exec(scope)?.[1];
      if (!zone) continue;
      for (const inst of list.instances ?? []) {
        // The server filters by label; checking again costs nothing and guards against a lax filter.
        if (inst.labels?.[CLUSTER_LABEL] !== cluster || !inst.name) continue;
        const key = providerIdOf(zone, inst.name);
        listed.add(key);
        out.push(this.toInstance(inst, zone, preempted.get(key) ?? null));
      }
    }
    // A spot VM with termination action DELETE is gone after its preemption; the operation remains.
    for (const [key, at] of preempted) {
      const id = parseProviderId(key);
      const nodeId = id ? nodeIdFromName(id.name) : null;
      if (!id || !nodeId || listed.has(key)) continue;
      out.push({
        providerId: key,
        nodeId,
        cloud: 'gcp',
        region: regionOfZone(id.zone),
        zone: id.zone,
        instanceType: 'unknown',
        market: 'spot',
        state: 'terminated',
        launchedAt: at,
        interruptedAt: at,
      });
    }
    return out;
  }

  billableHours(from: Date, to: Date): number {
    // GCE bills per second (after the first minute); wall-clock hours are close enough for budgets.
    return Math.max(0, to.getTime() - from.getTime()) / 3_600_000;
  }

  private noteFailure(nodeId: string, attempt: number): void {
    this.failures.delete(nodeId);
    this.failures.set(nodeId, attempt + 1);
    // Node ids are rarely retried; keep the newest few thousand, oldest out first.
    if (this.failures.size > 5000) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** 'zone/name' → ISO time of the preemption, for operations inside the look-back window. */
  private preemptions(scopes: Array<[string, { operations?: GceOperation[] | null }]>): Map<string, string> {
    const since = this.opts.now().getTime() - this.opts.preemptionLookbackMs;
    const out = new Map<string, string>();
    for (const [, list] of scopes) {
      for (const op of list.operations ?? []) {
        if (op.operationType !== 'compute.instances.preempted') continue;
        const at = Date.parse(op.insertTime ?? op.startTime ?? '');
        const zone = lastSegment(op.zone);
        const name = lastSegment(op.targetLink);
        if (!Number.isFinite(at) || at < since || !zone || !name) continue;
        out.set(providerIdOf(zone, name), new Date(at).toISOString());
      }
    }
    return out;
  }

  private async find(zone: string, name: string): Promise<GceInstance | null> {
    try {
      return await this.api.getInstance(zone, name);
    } catch (err) {
      if (isCloudError(err, 'NotFound')) return null;
      throw err;
    }
  }

  /** An instance found under the node's name: ours only if its labels say so. */
  private adopt(inst: GceInstance, zone: string, nodeId: string): Instance {
    const mine =
      inst.labels?.[CLUSTER_LABEL] === labelValue(this.opts.clusterLabel) &&
      inst.labels?.[NODE_LABEL] === labelValue(nodeId);
    if (!mine) {
      throw new CloudError(
        'Transient',
        `GCP: instance ${zone}/${inst.name} exists but is not node ${nodeId}'s`,
        'gcp',
      );
    }
    return this.toInstance(inst, zone, null);
  }

  private async waitDone(zone: string, first: GceOperation): Promise<void> {
    const deadline = Date.now() + this.opts.operationTimeoutMs;
    let op = first;
    while (op.status !== 'DONE') {
      if (Date.now() >= deadline) {
        throw new CloudError(
          'Transient',
          `GCP operation ${op.name} not done after ${this.opts.operationTimeoutMs} ms`,
          'gcp',
        );
      }
      const asked = Date.now();
      op = await this.api.waitOperation(zone, op.name ?? '');
      // wait normally blocks until done (or ~2 min); one that answers at once must not spin.
      if (op.status !== 'DONE' && Date.now() - asked < 500) await sleep(500);
    }
    const errors = op.error?.errors ?? [];
    if (errors.length > 0) {
      const list = errors.map((e) => ({ code: e.code ?? 'UNKNOWN', message: e.message ?? '' }));
      throw classifyGcpError(new GcpOperationError(op.name ?? '?', list), `compute operation ${op.name}`);
    }
  }

  private toInstance(inst: GceInstance, zone: string, interruptedAt: string | null): Instance {
    const name = inst.name ?? '';
    const spot = inst.scheduling?.provisioningModel === 'SPOT' || inst.scheduling?.preemptible === true;
    const created = Date.parse(inst.creationTimestamp ?? '');
    return {
      providerId: providerIdOf(zone, name),
      nodeId: metadataValue(inst, NODE_ID_KEY) ?? inst.labels?.[NODE_LABEL] ?? nodeIdFromName(name) ?? name,
      cloud: 'gcp',
      region: regionOfZone(zone),
      zone,
      instanceType: metadataValue(inst, TYPE_KEY) ?? instanceTypeOf(inst),
      market: spot ? 'spot' : 'on-demand',
      state: STATES[inst.status ?? ''] ?? 'pending',
      launchedAt: new Date(Number.isFinite(created) ? created : this.opts.now().getTime()).toISOString(),
      interruptedAt,
    };
  }
}

/** The Offer instanceType of an instance without our metadata: machine type (+ attached GPUs). */
function instanceTypeOf(inst: GceInstance): string {
  const machineType = lastSegment(inst.machineType);
  const acc = inst.guestAccelerators?.[0];
  const gpu = canonicalGpu(lastSegment(acc?.acceleratorType));
  return acc && gpu ? `${machineType}+${acc.acceleratorCount ?? 1}x${gpuLabel(gpu)}` : machineType;
}

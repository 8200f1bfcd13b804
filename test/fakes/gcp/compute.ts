// Compute Engine state of the fake: instances and zone operations, with GCE's semantics where
// gpusched relies on them:
// - insert returns a zone operation; the instance appears (PROVISIONING, then RUNNING after
//   `bootMs`) unless the zone is out of capacity or over quota, in which case the operation ends DONE
//   with ZONE_RESOURCE_POOL_EXHAUSTED(_WITH_DETAILS) / QUOTA_EXCEEDED and no instance exists;
// - a repeated requestId returns the first operation (also a failed one) and creates nothing;
// - a name that exists is 409 alreadyExists; delete and get of a missing instance are 404;
// - preempt() records a `compute.instances.preempted` operation and, for termination action DELETE,
//   removes the instance (else leaves it TERMINATED).
import { randomUUID } from 'node:crypto';
import type { Item, Scoped } from './lists.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface CapacityFault {
  code: 'ZONE_RESOURCE_POOL_EXHAUSTED' | 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS' | 'QUOTA_EXCEEDED';
  /** Answer the insert itself with HTTP 503/403 instead of failing the operation. */
  atInsert?: boolean;
}

export interface ComputeOptions {
  project: string;
  zones: () => string[];
  now: () => Date;
  bootMs: number;
  /** How long an operation stays RUNNING before DONE (0: done at once). */
  operationMs: number;
}

const SELF = 'https://www.googleapis.com/compute/v1';

export class ComputeState {
  readonly instances = new Map<string, Item>();
  readonly operations = new Map<string, Item>();
  private readonly byRequestId = new Map<string, Item>();
  private readonly created = new Map<string, number>();
  /** Operation key → when it turns DONE (wall clock); its error shows only then. */
  private readonly pending = new Map<string, { doneAt: number; error?: Item }>();
  readonly capacityFaults = new Map<string, CapacityFault>();
  /** Inserts that actually created an instance. */
  inserts = 0;
  deletes = 0;

  constructor(private readonly o: ComputeOptions) {}

  private link(zone: string, kind: string, name: string): string {
    return `${SELF}/projects/${this.o.project}/zones/${zone}/${kind}/${name}`;
  }

  private operation(zone: string, type: string, target: string, error?: Item): Item {
    const now = this.o.now().toISOString();
    const name = `operation-${Date.now()}-${randomUUID().slice(0, 8)}`;
    const op: Item = {
      kind: 'compute#operation',
      id: String(Math.floor(Math.random() * 1e15)),
      name,
      zone: `${SELF}/projects/${this.o.project}/zones/${zone}`,
      operationType: type,
      targetLink: this.link(zone, 'instances', target),
      status: 'DONE',
      progress: 100,
      insertTime: now,
      startTime: now,
      endTime: now,
      selfLink: this.link(zone, 'operations', name),
      ...(error ? { error, httpErrorStatusCode: 503 } : {}),
    };
    this.operations.set(`${zone}/${name}`, op);
    if (this.o.operationMs > 0 && type !== 'compute.instances.preempted') {
      this.pending.set(`${zone}/${name}`, {
        doneAt: Date.now() + this.o.operationMs,
        ...(error ? { error } : {}),
      });
      Object.assign(op, { status: 'RUNNING', progress: 0 });
      delete op.endTime;
      delete op.error;
      delete op.httpErrorStatusCode;
    }
    return op;
  }

  /** Turns a RUNNING operation DONE once its time has come; returns ms left (0 when done). */
  settle(zone: string, name: string): number {
    const key = `${zone}/${name}`;
    const p = this.pending.get(key);
    const op = this.operations.get(key);
    if (!p || !op) return 0;
    const left = p.doneAt - Date.now();
    if (left > 0) return left;
    this.pending.delete(key);
    Object.assign(op, { status: 'DONE', progress: 100, endTime: this.o.now().toISOString() });
    if (p.error) Object.assign(op, { error: p.error, httpErrorStatusCode: 503 });
    return 0;
  }

  private checkZone(zone: string): void {
    if (!this.o.zones().includes(zone)) {
      throw new HttpError(
        404,
        'notFound',
        `The resource 'projects/${this.o.project}/zones/${zone}' was not found`,
      );
    }
  }

  insert(zone: string, body: Item, requestId: string | null): Item {
    this.checkZone(zone);
    const replay = requestId ? this.byRequestId.get(requestId) : undefined;
    if (replay) return replay;
    const name = String(body.name ?? '');
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
      throw new HttpError(400, 'invalid', `Invalid value for field 'resource.name': '${name}'.`);
    }
    if (this.instances.has(`${zone}/${name}`)) {
      throw new HttpError(
        409,
        'alreadyExists',
        `The resource '${this.link(zone, 'instances', name)}' already exists`,
      );
    }
    const fault = this.capacityFaults.get(zone) ?? this.capacityFaults.get('*');
    let op: Item;
    if (fault?.atInsert) {
      const quota = fault.code === 'QUOTA_EXCEEDED';
      throw new HttpError(
        quota ? 403 : 503,
        quota ? 'quotaExceeded' : fault.code,
        this.faultMessage(fault, zone),
      );
    } else if (fault) {
      op = this.operation(zone, 'insert', name, {
        errors: [{ code: fault.code, message: this.faultMessage(fault, zone) }],
      });
    } else {
      const now = this.o.now();
      const machineType = String(body.machineType ?? '');
      this.instances.set(`${zone}/${name}`, {
        ...body,
        kind: 'compute#instance',
        id: String(Math.floor(Math.random() * 1e15)),
        machineType: machineType.startsWith('http')
          ? machineType
          : `${SELF}/projects/${this.o.project}/${machineType}`,
        zone: `${SELF}/projects/${this.o.project}/zones/${zone}`,
        status: 'PROVISIONING',
        creationTimestamp: now.toISOString(),
        selfLink: this.link(zone, 'instances', name),
      });
      this.created.set(`${zone}/${name}`, Date.now());
      this.inserts++;
      op = this.operation(zone, 'insert', name);
    }
    if (requestId) this.byRequestId.set(requestId, op);
    return op;
  }

  private faultMessage(fault: CapacityFault, zone: string): string {
    if (fault.code === 'QUOTA_EXCEEDED')
      return `Quota 'NVIDIA_T4_GPUS' exceeded.  Limit: 0.0 in region ${zone.replace(/-[a-z]$/, '')}.`;
    return `The zone 'projects/${this.o.project}/zones/${zone}' does not have enough resources available to fulfill the request.  '(resource type:compute)'.`;
  }

  get(zone: string, name: string): Item {
    this.checkZone(zone);
    const inst = this.instances.get(`${zone}/${name}`);
    if (!inst) {
      throw new HttpError(
        404,
        'notFound',
        `The resource '${this.link(zone, 'instances', name)}' was not found`,
      );
    }
    this.advance(`${zone}/${name}`, inst);
    return inst;
  }

  delete(zone: string, name: string): Item {
    this.get(zone, name);
    this.instances.delete(`${zone}/${name}`);
    this.deletes++;
    return this.operation(zone, 'delete', name);
  }

  /** The cloud reclaims a spot VM. */
  preempt(zone: string, name: string): void {
    const inst = this.get(zone, name);
    this.operation(zone, 'compute.instances.preempted', name);
    const scheduling = (inst.scheduling ?? {}) as Item;
    if (scheduling.instanceTerminationAction === 'DELETE') this.instances.delete(`${zone}/${name}`);
    else Object.assign(inst, { status: 'TERMINATED', lastStopTimestamp: this.o.now().toISOString() });
  }

  getOperation(zone: string, name: string): Item {
    const op = this.operations.get(`${zone}/${name}`);
    if (!op)
      throw new HttpError(
        404,
        'notFound',
        `The resource '${this.link(zone, 'operations', name)}' was not found`,
      );
    this.settle(zone, name);
    return op;
  }

  private advance(key: string, inst: Item): void {
    if (inst.status === 'PROVISIONING' && Date.now() - (this.created.get(key) ?? 0) >= this.o.bootMs) {
      inst.status = 'RUNNING';
    }
  }

  instanceScopes(): Scoped[] {
    return this.o.zones().map((zone) => ({
      scope: `zones/${zone}`,
      items: [...this.instances]
        .filter(([key]) => key.startsWith(`${zone}/`))
        .map(([key, inst]) => {
          this.advance(key, inst);
          return inst;
        }),
    }));
  }

  operationScopes(): Scoped[] {
    const zones = this.o.zones().map((zone) => ({
      scope: `zones/${zone}`,
      items: [...this.operations].filter(([key]) => key.startsWith(`${zone}/`)).map(([, op]) => op),
    }));
    return [...zones, { scope: 'global', items: [] }];
  }
}

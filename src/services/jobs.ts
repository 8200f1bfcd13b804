// Submitting and cancelling jobs: the transactional edge between the API and the store. Validation,
// idempotency and dependency resolution happen here so that the API, the CLI (through the API) and
// tests share one path.
import { createHash } from 'node:crypto';
import { type JobSpec, validateJobSpec } from '../core/jobspec.js';
import { isTerminalJobState } from '../core/lifecycle.js';
import { type Job, queuedJob } from '../core/model.js';
import type { Issue } from '../core/validate.js';
import { type IdSource, randomIds } from '../ids.js';
import type { Store } from '../store/store.js';
import { jobRunCost, type Providers } from './billing.js';
import type { Budgets } from './budgets.js';
import type { Provisioner } from './provisioner.js';

/** Who is asking: the token's team is authoritative; an admin acts for any team. */
export interface Caller {
  team: string;
  admin: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

export interface SubmitResult {
  job: Job;
  /** True when an Idempotency-Key matched an earlier submission: nothing new was created. */
  replayed: boolean;
}

export interface JobServiceOptions {
  idempotencyHours: number;
  /** Where job ids come from (src/ids.ts); random unless a replay seeds them. */
  ids?: IdSource;
}

/** What submission and cancellation ask of budgets and the spend ledger (wired in daemon.ts). */
export interface JobBudgets extends Pick<Budgets, 'estimate' | 'admit'> {
  /** Closes a run in the ledger and returns what it cost (services/ledger.ts closeRun). */
  closeRun(job: Job, now: Date): number;
}

/** Canonical JSON (sorted keys), so that the same body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class JobService {
  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    private readonly provisioner: Provisioner,
    private readonly opts: JobServiceOptions,
    /** Absent: no admission control, runs billed without the ledger. */
    private readonly budgets?: JobBudgets,
  ) {}

  submit(caller: Caller, body: unknown, idempotencyKey: string | undefined, now: Date): SubmitResult {
    const result = validateJobSpec(body, now);
    if (!result.ok) throw new ApiError(400, 'invalid_request', 'the job spec is invalid', result.issues);
    const spec = result.spec;
    const team = this.teamFor(caller, spec);
    const bodyHash = createHash('sha256').update(canonical(body)).digest('hex');
    // Priced before the transaction (it reads only offers); checked against the budgets inside it.
    const estimate = this.budgets?.estimate({ team, spec }, now) ?? null;

    return this.store.tx(() => {
      if (idempotencyKey) {
        const notBefore = new Date(now.getTime() - this.opts.idempotencyHours * 3_600_000).toISOString();
        // Keys past the window are dead: removed here, so the table holds about one window of keys.
        this.store.idempotency.purge(notBefore);
        const seen = this.store.idempotency.find(team, idempotencyKey, notBefore);
        if (seen) {
          if (seen.bodyHash !== bodyHash) {
            throw new ApiError(
              422,
              'idempotency_mismatch',
              'this Idempotency-Key was used with a different body',
            );
          }
          const job = this.store.jobs.get(seen.jobId);
          if (job) return { job, replayed: true };
        }
      }
      const job = queuedJob({
        id: `job-${(this.opts.ids ?? randomIds)().slice(0, 12)}`,
        team,
        spec: { ...spec, team },
        submittedAt: now.toISOString(),
        dependsOn: this.resolveDependencies(team, spec),
      });
      this.store.jobs.insert(job);
      // In this transaction: the budgets' headroom is read and this job's commitment written as one step.
      const admitted = this.budgets ? this.budgets.admit(job, estimate, now) : job;
      if (idempotencyKey) this.store.idempotency.put(team, idempotencyKey, bodyHash, job.id, now);
      return { job: admitted, replayed: false };
    });
  }

  /** A job the caller may see, or a 404: another team's job does not exist for them. */
  visible(caller: Caller, id: string): Job {
    const job = this.store.jobs.get(id);
    if (!job || (!caller.admin && job.team !== caller.team))
      throw new ApiError(404, 'not_found', `no job ${id}`);
    return job;
  }

  /** Cancels a job; a running one has its run billed and its nodes given back. */
  cancel(caller: Caller, id: string, now: Date): Job {
    const job = this.visible(caller, id);
    if (isTerminalJobState(job.state))
      throw new ApiError(409, 'conflict', `job ${id} is already ${job.state}`);
    const cancelled = this.store.tx(() => {
      const current = this.store.jobs.get(id)!;
      return this.store.jobs.transition(
        id,
        'cancelled',
        `cancelled by ${caller.admin ? 'admin' : caller.team}`,
        now,
        {
          finishedAt: now.toISOString(),
          addCostUsd: !current.startedAt
            ? 0
            : this.budgets
              ? this.budgets.closeRun(current, now)
              : jobRunCost(this.store, this.providers, current, now),
        },
      );
    });
    // Capacity that only this job used is released now rather than after the idle timeout; the cloud
    // call runs in the background (deleting a VM can take minutes), the node shows `terminating` meanwhile.
    // A node other jobs still share stays.
    for (const nodeId of cancelled.nodeIds) {
      if (this.store.jobs.onNode(nodeId).length > 0) continue;
      this.provisioner.start(() => this.provisioner.terminate(nodeId, `job ${id} cancelled`, now));
    }
    return cancelled;
  }

  private teamFor(caller: Caller, spec: JobSpec): string {
    if (caller.admin) {
      if (!spec.team) {
        throw new ApiError(400, 'invalid_request', 'an admin must name the team', [
          { path: 'team', message: 'is required when submitting with the admin token' },
        ]);
      }
      return spec.team;
    }
    if (spec.team && spec.team !== caller.team) {
      throw new ApiError(403, 'forbidden', `this token belongs to team ${caller.team}, not ${spec.team}`, [
        { path: 'team', message: `must be ${caller.team} (the token's team) or left out` },
      ]);
    }
    return caller.team;
  }

  /** dependsOn names a job id or a job name of the same team (the newest job with that name). */
  private resolveDependencies(team: string, spec: JobSpec): string[] {
    const issues: Issue[] = [];
    const ids = (spec.dependsOn ?? []).map((ref, i) => {
      const byId = this.store.jobs.get(ref);
      const dep = byId && byId.team === team ? byId : this.store.jobs.findByName(team, ref);
      if (!dep) issues.push({ path: `dependsOn.${i}`, message: `no job "${ref}" in team ${team}` });
      return dep?.id ?? '';
    });
    if (issues.length) throw new ApiError(400, 'invalid_request', 'unknown dependencies', issues);
    return ids;
  }
}

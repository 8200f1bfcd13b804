// The snapshot file of `gpusched plan --input FILE`: jobs, offers and running nodes in the API's own
// shapes (so `gpusched jobs --json`, `offers --json` and `nodes --json` output can be pasted in), turned
// into the core's Snapshot. Every problem is reported with its path (and line, through the CLI).
import { type Static, Type } from 'typebox';
import { validateJobSpec } from '../core/jobspec.js';
import {
  CLOUDS,
  type Job,
  MARKETS,
  NO_AVAILABILITY,
  NODE_STATES,
  type Offer,
  queuedJob,
} from '../core/model.js';
import type { Snapshot, SnapshotNode } from '../core/schedule.js';
import { type Issue, schemaIssues } from '../core/validate.js';

const Gpu = Type.Object({
  model: Type.String({ minLength: 1 }),
  count: Type.Integer({ minimum: 1 }),
  memoryGiB: Type.Number({ exclusiveMinimum: 0 }),
});

const OfferInput = Type.Object({
  cloud: Type.Enum(CLOUDS),
  region: Type.String({ minLength: 1 }),
  zone: Type.Union([Type.String(), Type.Null()]),
  zoneId: Type.Optional(Type.String()),
  instanceType: Type.String({ minLength: 1 }),
  gpu: Gpu,
  vcpus: Type.Number({ minimum: 0 }),
  memoryGiB: Type.Number({ minimum: 0 }),
  market: Type.Enum(MARKETS),
  pricePerHour: Type.Number({ exclusiveMinimum: 0 }),
  observedAt: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  availability: Type.Optional(
    Type.Object({
      score: Type.Union([Type.Number(), Type.Null()]),
      blockedUntil: Type.Union([Type.String(), Type.Null()]),
      interruptionsPerHour: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});

const NodeInput = Type.Object({
  id: Type.String({ minLength: 1 }),
  cloud: Type.Enum(CLOUDS),
  region: Type.String({ minLength: 1 }),
  zone: Type.Union([Type.String(), Type.Null()]),
  instanceType: Type.String({ minLength: 1 }),
  market: Type.Enum(MARKETS),
  gpu: Gpu,
  pricePerHour: Type.Number({ exclusiveMinimum: 0 }),
  state: Type.Optional(Type.Enum(NODE_STATES)),
  jobIds: Type.Optional(Type.Array(Type.String())),
});

/** A job as listed by the API (`{id, spec, ...}`), or a bare job spec as submitted. */
const JobInput = Type.Union([
  Type.Object({
    id: Type.String({ minLength: 1 }),
    spec: Type.Unknown(),
    team: Type.Optional(Type.String()),
    priority: Type.Optional(Type.Integer()),
    submittedAt: Type.Optional(Type.String()),
  }),
  Type.Object({ name: Type.String() }),
]);

export const PlanInputSchema = Type.Object({
  /** The instant the plan is made for (default: now). */
  now: Type.Optional(Type.String({ format: 'date-time' })),
  jobs: Type.Array(JobInput),
  /** Default: the bundled catalog. */
  offers: Type.Optional(Type.Array(OfferInput)),
  nodes: Type.Optional(Type.Array(NodeInput)),
});

export type PlanInput = Static<typeof PlanInputSchema>;

export type PlanSnapshot =
  | { ok: true; now: Date; snapshot: Snapshot; offersGiven: boolean }
  | { ok: false; issues: Issue[] };

export function toSnapshot(doc: unknown, clock: Date, catalog: () => Offer[]): PlanSnapshot {
  const shape = schemaIssues(PlanInputSchema, doc);
  if (shape.length) return { ok: false, issues: shape };
  const input = doc as PlanInput;
  const now = input.now ? new Date(input.now) : clock;
  const issues: Issue[] = [];
  const pending: Job[] = [];
  input.jobs.forEach((raw, i) => {
    const api =
      'spec' in raw
        ? (raw as { id: string; spec: unknown; team?: string; priority?: number; submittedAt?: string })
        : null;
    const specDoc = api ? api.spec : raw;
    const r = validateJobSpec(specDoc, new Date(0)); // a plan may be made for any instant: deadlines are not checked against the clock here
    if (!r.ok) {
      for (const issue of r.issues)
        issues.push({
          path: `jobs.${i}${api ? '.spec' : ''}${issue.path ? `.${issue.path}` : ''}`,
          message: issue.message,
        });
      return;
    }
    pending.push(
      queuedJob({
        id: api?.id ?? `${r.spec.name}#${i}`,
        team: api?.team ?? r.spec.team ?? 'default',
        spec: r.spec,
        submittedAt: api?.submittedAt ?? now.toISOString(),
        ...(api?.priority !== undefined ? { priority: api.priority } : {}),
      }),
    );
  });
  if (issues.length) return { ok: false, issues };
  const offers: Offer[] = input.offers
    ? input.offers.map((o) => ({
        ...o,
        observedAt: o.observedAt ?? now.toISOString(),
        source: o.source ?? 'input',
        availability: o.availability ?? NO_AVAILABILITY,
      }))
    : catalog();
  const nodes: SnapshotNode[] = (input.nodes ?? []).map((n) => ({
    ...n,
    provider: 'input',
    state: n.state ?? 'ready',
    providerId: n.id,
    createdAt: now.toISOString(),
    readyAt: now.toISOString(),
    lastBusyAt: now.toISOString(),
    terminatedAt: null,
    interruptedAt: null,
    costUsd: 0,
    jobIds: n.jobIds ?? [],
  }));
  return {
    ok: true,
    now,
    offersGiven: input.offers !== undefined,
    snapshot: { pending, dependencyStates: new Map(), nodes, offers },
  };
}

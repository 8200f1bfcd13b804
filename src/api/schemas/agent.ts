// The agent ⇄ daemon protocol (docs/agent-protocol.md): request and answer bodies, shared by the daemon's
// routes (src/api/routes/agent.ts) and the agent's client (src/agent/client.ts). TypeBox: validation, OpenAPI
// and types in one. The agent pulls: every heartbeat carries its telemetry and its jobs' states in, and its
// assignments and commands out, so that nodes behind NAT and firewalls need no inbound port.
import { type Static, Type } from 'typebox';
import { CLOUDS } from '../../core/model.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Iso = Type.String({ format: 'date-time', description: 'ISO-8601 time' });

export const GpuTelemetry = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    uuid: Type.Optional(Type.String({ maxLength: 128 })),
    name: Type.Optional(Type.String({ maxLength: 128 })),
    utilizationPct: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]),
    memoryUsedMiB: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    memoryTotalMiB: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  },
  { additionalProperties: true },
);

export const Telemetry = Type.Object(
  {
    at: Iso,
    gpus: Type.Array(GpuTelemetry, { maxItems: 64 }),
    host: Type.Optional(
      Type.Object(
        {
          load1: Type.Optional(Type.Number({ minimum: 0 })),
          memoryUsedMiB: Type.Optional(Type.Number({ minimum: 0 })),
          memoryTotalMiB: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export type GpuTelemetry = Static<typeof GpuTelemetry>;
export type Telemetry = Static<typeof Telemetry>;

export const RegisterBody = Type.Object(
  {
    nodeId: Id,
    cloud: Type.Enum(CLOUDS),
    agentVersion: Type.String({ minLength: 1, maxLength: 64 }),
    runtime: Type.Enum(['docker', 'process']),
    /** The cloud's own instance id, as the agent reads it from the metadata server (when it can). */
    instanceId: Type.Optional(Type.String({ maxLength: 256 })),
    telemetry: Type.Optional(Telemetry),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const RegisterReply = Type.Object({
  nodeId: Id,
  /** The node's session token: sent on every later call; the bootstrap token is spent. */
  token: Type.String(),
  heartbeatSeconds: Type.Number(),
});
export type RegisterReply = Static<typeof RegisterReply>;

/** What the agent knows of each job it runs. */
export const AgentJobState = Type.Object(
  {
    jobId: Id,
    state: Type.Enum(['starting', 'running', 'exited']),
    /** Set with `exited`: the process's exit code (128 + n for signal n). */
    exitCode: Type.Optional(Type.Integer()),
    /** When it started or exited (the agent's clock), for billing to the instant. */
    at: Type.Optional(Iso),
  },
  { additionalProperties: false },
);
export type AgentJobState = Static<typeof AgentJobState>;

export const HeartbeatBody = Type.Object(
  {
    telemetry: Type.Optional(Telemetry),
    jobs: Type.Array(AgentJobState, { maxItems: 256 }),
  },
  { additionalProperties: false },
);
export type HeartbeatBody = Static<typeof HeartbeatBody>;

/** The slot one unit of the job holds on this node (core/placement/slices-base.ts SlotAssignment). */
export const Slot = Type.Union([
  Type.Object({ kind: Type.Literal('whole'), gpuIndices: Type.Array(Type.Integer({ minimum: 0 })) }),
  Type.Object({
    kind: Type.Literal('mig'),
    gpuIndices: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 1 }),
    profile: Type.String(),
    profileId: Type.Integer(),
    start: Type.Integer(),
    size: Type.Integer(),
    memoryGiB: Type.Number(),
  }),
  Type.Object({
    kind: Type.Literal('shared'),
    gpuIndices: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 1 }),
    fraction: Type.Number(),
    memoryGiB: Type.Number(),
  }),
]);

/** A job this node is to run (it stays in every heartbeat answer while the job is placed here). */
export const Assignment = Type.Object({
  jobId: Id,
  /** Which unit of the job this node runs (a gang member, a replica), and its slot. */
  unit: Type.Integer({ minimum: 0 }),
  slot: Slot,
  image: Type.Optional(Type.String()),
  command: Type.Optional(Type.Array(Type.String())),
  env: Type.Record(Type.String(), Type.String()),
  /** The job's checkpoint directory (spec.checkpoint.dir); absent: the job does not checkpoint. */
  checkpointDir: Type.Optional(Type.String()),
  /** Absolute path of the checkpoint to resume from (GPUSCHED_RESUME_FROM). */
  resumeFrom: Type.Optional(Type.String()),
  checkpointSignal: Type.String({ description: 'signal name (default SIGUSR1) or an http(s) URL' }),
  checkpointGraceSeconds: Type.Number(),
  checkpointEveryMinutes: Type.Optional(Type.Number()),
});
export type Assignment = Static<typeof Assignment>;

export const Command = Type.Union([
  /** Deliver the checkpoint signal now and report the checkpoint by `deadline`. Idempotent. */
  Type.Object({ kind: Type.Literal('checkpoint'), jobId: Id, reason: Type.String(), deadline: Iso }),
  /** Stop the job (SIGTERM, then SIGKILL after the grace). */
  Type.Object({ kind: Type.Literal('stop'), jobId: Id, reason: Type.String(), graceSeconds: Type.Number() }),
]);
export type Command = Static<typeof Command>;
export type Slot = Static<typeof Slot>;

export const HeartbeatReply = Type.Object({
  assignments: Type.Array(Assignment),
  commands: Type.Array(Command),
  heartbeatSeconds: Type.Number(),
});
export type HeartbeatReply = Static<typeof HeartbeatReply>;

export const NoticeBody = Type.Object(
  {
    cloud: Type.Enum(CLOUDS),
    kind: Type.Enum(['preempt', 'rebalance', 'maintenance']),
    /** When the node goes; null when the cloud does not say (GCP). */
    deadline: Type.Union([Iso, Type.Null()]),
    /** The metadata body as read, for the record. */
    raw: Type.Optional(Type.String({ maxLength: 65536 })),
  },
  { additionalProperties: false },
);
export type NoticeBody = Static<typeof NoticeBody>;

export const CheckpointBody = Type.Object(
  {
    jobId: Id,
    step: Type.Integer({ minimum: 0 }),
    /** The checkpoint's directory, relative to the job's checkpoint directory. */
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    at: Iso,
    bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type CheckpointBody = Static<typeof CheckpointBody>;

export const OutputItem = Type.Union([
  Type.Object(
    {
      jobId: Id,
      at: Iso,
      stream: Type.Enum(['stdout', 'stderr']),
      text: Type.String({ maxLength: 65536 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      jobId: Id,
      at: Iso,
      step: Type.Optional(Type.Number()),
      values: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
    },
    { additionalProperties: false },
  ),
]);

export const LogsBody = Type.Object(
  {
    items: Type.Array(OutputItem, { maxItems: 5000 }),
    /** Items the agent had to drop since its last report (its buffer was full). */
    dropped: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type LogsBody = Static<typeof LogsBody>;
export type OutputItem = Static<typeof OutputItem>;

// Request schemas shared by routes (TypeBox: validation, OpenAPI and types in one).
import { Type } from 'typebox';

export const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const JobState = Type.Union(
  [
    'queued',
    'held',
    'scheduled',
    'provisioning',
    'running',
    'checkpointing',
    'migrating',
    'suspended',
    'succeeded',
    'failed',
    'cancelled',
  ].map((s) => Type.Literal(s)),
);

export const NodeState = Type.Union(
  ['provisioning', 'ready', 'draining', 'terminating', 'terminated', 'lost'].map((s) => Type.Literal(s)),
);

export const Cloud = Type.Union([Type.Literal('aws'), Type.Literal('gcp'), Type.Literal('azure')]);
export const MarketName = Type.Union([Type.Literal('spot'), Type.Literal('on-demand')]);

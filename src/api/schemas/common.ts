// Request schemas shared by routes (TypeBox: validation, OpenAPI and types in one).
import { Type } from 'typebox';
import { CLOUDS, JOB_STATES, MARKETS, NODE_STATES } from '../../core/model.js';

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const JobState = Type.Enum(JOB_STATES);
export const NodeState = Type.Enum(NODE_STATES);

export const Cloud = Type.Enum(CLOUDS);
export const MarketName = Type.Enum(MARKETS);

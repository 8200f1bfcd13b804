// The budget policy file format (policies/README.md), as TypeBox schemas: validation, defaults and the
// TypeScript type in one. Rules JSON Schema cannot say (a known time zone, a scope that names something, no
// URL anywhere in the file) live in load.ts with the same issue shape.
import { type Static, Type } from 'typebox';
import { BUDGET_ACTIONS, PERIODS } from '../core/budget.js';

const strict = { additionalProperties: false } as const;

/** Policy names: they key the alert history, so they are plain and lower case. */
export const POLICY_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
/** Team names, as tokens have them (src/api/routes/tokens.ts). */
export const TEAM_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
/** Label keys, as job specs have them (src/core/jobspec.ts). */
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$';
/**
 * A Slack webhook reference: lower-case words joined by `-` or `_`. `ml-infra` is read from
 * GPUSCHED_SLACK_WEBHOOK_ML_INFRA or the secret file `slack-ml-infra` (src/alerts/webhooks.ts).
 */
export const SLACK_REF_PATTERN = '^[a-z0-9]+([_-][a-z0-9]+)*$';

export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];

const LabelValue = Type.String({ minLength: 1, maxLength: 256 });

export const ScopeSchema = Type.Object(
  {
    team: Type.Optional(
      Type.String({ pattern: TEAM_PATTERN, description: "The job's team (from its token; never a label)." }),
    ),
    project: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Shorthand for the label selector project: X.',
      }),
    ),
    labels: Type.Optional(
      Type.Record(
        Type.String({ pattern: LABEL_KEY_PATTERN }),
        Type.Union([LabelValue, Type.Array(LabelValue, { minItems: 1, maxItems: 64, uniqueItems: true })]),
        {
          ...strict,
          description: 'Label selector: every key must match; a list means any of its values.',
        },
      ),
    ),
    all: Type.Optional(Type.Literal(true, { description: 'Every job, whatever its team and labels.' })),
  },
  {
    ...strict,
    description: 'Which jobs the policy counts and governs; every condition given must hold.',
  },
);

export const AlertsSchema = Type.Object(
  {
    thresholds: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1000 }), {
      maxItems: 20,
      uniqueItems: true,
      default: [...DEFAULT_THRESHOLDS],
      description: 'Alert when the money spent reaches these % of the limit; [] for none.',
    }),
    forecast: Type.Boolean({
      default: true,
      description: 'Alert once a period when the forecast to the end of the period passes the limit.',
    }),
    slack: Type.Optional(
      Type.String({
        maxLength: 64,
        pattern: SLACK_REF_PATTERN,
        description:
          'Webhook reference; the URL comes from the environment or a secret file, never from here.',
      }),
    ),
  },
  { ...strict, default: {} },
);

export const PolicySchema = Type.Object(
  {
    name: Type.String({ pattern: POLICY_NAME_PATTERN, description: 'Unique across all policy files.' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    scope: ScopeSchema,
    period: Type.Enum(PERIODS),
    timezone: Type.String({
      minLength: 1,
      default: 'UTC',
      description: 'IANA time zone the period follows (Europe/Berlin); days start at local midnight.',
    }),
    limitUsd: Type.Number({ exclusiveMinimum: 0, description: 'Budget per period in US dollars.' }),
    burnRateUsdPerHour: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Cap on what the jobs in scope may cost per hour together, running at once.',
      }),
    ),
    action: Type.Enum(BUDGET_ACTIONS, {
      default: 'alert',
      description: 'What happens at the limit: alert, block-new, spot-only, suspend.',
    }),
    alerts: AlertsSchema,
  },
  strict,
);

/** A file with several policies: `policies: [ … ]`. A file without the `policies` key is one policy. */
export const PolicyFileSchema = Type.Object(
  { policies: Type.Array(PolicySchema, { minItems: 1, maxItems: 500 }) },
  strict,
);

export type PolicyScope = Static<typeof ScopeSchema>;
export type PolicyAlerts = Static<typeof AlertsSchema>;
export type PolicySpec = Static<typeof PolicySchema>;

/** A loaded policy: the file's values with every default filled, and where it was written. */
export interface Policy extends PolicySpec {
  readonly source: { readonly file: string; readonly line: number };
}

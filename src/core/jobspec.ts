// The job spec of DESIGN.md: one TypeBox schema that is at once the API body's validation, the CLI's
// pre-flight check and the TypeScript type. Rules that JSON Schema cannot say (either whole GPUs or a
// fraction, maxHours ≥ estimateHours, ...) live in `specRuleIssues`, with the same Issue shape.
import { type Static, Type } from 'typebox';
import { isKnownGpuModel } from './gpus.js';
import { CLOUDS } from './model.js';
import { type Issue, schemaIssues } from './validate.js';

const Name = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
  description: 'letters, digits, . _ -',
});
/** Regions are written `cloud:region` so that one list can span clouds. */
const CloudRegion = Type.String({ pattern: '^(aws|gcp|azure):[a-z0-9-]+$', description: 'cloud:region' });
const Cloud = Type.Enum(CLOUDS);
const strict = { additionalProperties: false } as const;

export const GpuRequestSchema = Type.Object(
  {
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 16 })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    minMemoryGiB: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    fraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    memoryGiB: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  strict,
);

export const JobSpecSchema = Type.Object(
  {
    name: Name,
    kind: Type.Optional(Type.Union([Type.Literal('batch'), Type.Literal('inference')])),
    team: Type.Optional(Name),
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 256 })),
    // additionalProperties: false makes TypeBox refuse keys that miss the pattern (it only emits
    // patternProperties otherwise, which lets any other key through).
    env: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), strict),
    ),
    resources: Type.Object(
      {
        gpu: GpuRequestSchema,
        nodes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
        cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        memoryGiB: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      },
      strict,
    ),
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    data: Type.Optional(
      Type.Array(
        Type.Object(
          {
            uri: Type.String({ minLength: 1 }),
            region: CloudRegion,
            sizeGiB: Type.Number({ minimum: 0 }),
          },
          strict,
        ),
        { maxItems: 64 },
      ),
    ),
    checkpoint: Type.Optional(
      Type.Object(
        {
          dir: Type.String({ minLength: 1 }),
          signal: Type.Optional(Type.String({ pattern: '^(SIG[A-Z0-9]+|https?://.+)$' })),
          graceSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
          everyMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        strict,
      ),
    ),
    runtime: Type.Optional(
      Type.Object(
        {
          estimateHours: Type.Number({ exclusiveMinimum: 0, maximum: 8760 }),
          maxHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 8760 })),
        },
        strict,
      ),
    ),
    deadline: Type.Optional(Type.String({ format: 'date-time' })),
    market: Type.Optional(
      Type.Union([Type.Literal('spot'), Type.Literal('on-demand'), Type.Literal('auto')]),
    ),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    dependsOn: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 64 })),
    labels: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }),
        Type.String({ maxLength: 256 }),
        strict,
      ),
    ),
    constraints: Type.Optional(
      Type.Object(
        {
          clouds: Type.Optional(Type.Array(Cloud, { minItems: 1 })),
          regions: Type.Optional(Type.Array(CloudRegion, { minItems: 1 })),
          regionsExclude: Type.Optional(Type.Array(CloudRegion)),
          maxPricePerHour: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        strict,
      ),
    ),
  },
  { ...strict, $id: 'JobSpec' },
);

export type JobSpec = Static<typeof JobSpecSchema>;

/** Rules across fields. `now` is passed in: the core never reads the clock. */
export function specRuleIssues(spec: JobSpec, now: Date): Issue[] {
  const issues: Issue[] = [];
  const gpu = spec.resources.gpu;
  const kind = spec.kind ?? 'batch';
  if (gpu.count === undefined && gpu.fraction === undefined) {
    issues.push({
      path: 'resources.gpu',
      message: 'give either count (whole GPUs) or fraction (a shared GPU)',
    });
  }
  if (gpu.count !== undefined && gpu.fraction !== undefined) {
    issues.push({ path: 'resources.gpu.fraction', message: 'cannot be combined with count' });
  }
  if (gpu.fraction !== undefined && gpu.memoryGiB === undefined) {
    issues.push({ path: 'resources.gpu.memoryGiB', message: 'is required with fraction' });
  }
  if (gpu.memoryGiB !== undefined && gpu.fraction === undefined) {
    issues.push({
      path: 'resources.gpu.memoryGiB',
      message: 'only with fraction; use minMemoryGiB for whole GPUs',
    });
  }
  gpu.models?.forEach((m, i) => {
    if (!isKnownGpuModel(m))
      issues.push({ path: `resources.gpu.models.${i}`, message: `unknown GPU model "${m}"` });
  });
  if (!spec.image && !spec.command)
    issues.push({ path: 'image', message: 'give an image, a command, or both' });
  if (kind === 'batch' && !spec.runtime) {
    issues.push({ path: 'runtime.estimateHours', message: 'is required for batch jobs (it prices the job)' });
  }
  if (kind === 'batch' && spec.replicas !== undefined) {
    issues.push({ path: 'replicas', message: 'only for kind: inference' });
  }
  if (kind === 'inference' && (spec.resources.nodes ?? 1) > 1) {
    issues.push({ path: 'resources.nodes', message: 'inference scales by replicas, not nodes' });
  }
  if (kind === 'inference' && spec.deadline)
    issues.push({ path: 'deadline', message: 'only for batch jobs' });
  const rt = spec.runtime;
  if (rt?.maxHours !== undefined && rt.maxHours < rt.estimateHours) {
    issues.push({ path: 'runtime.maxHours', message: 'must be at least runtime.estimateHours' });
  }
  if (spec.deadline && Date.parse(spec.deadline) <= now.getTime()) {
    issues.push({ path: 'deadline', message: 'is in the past' });
  }
  const cs = spec.constraints;
  if (cs?.clouds && cs.regions) {
    cs.regions.forEach((r, i) => {
      if (!cs.clouds?.includes(r.split(':')[0] as 'aws')) {
        issues.push({ path: `constraints.regions.${i}`, message: `${r} is outside constraints.clouds` });
      }
    });
  }
  if (spec.dependsOn && new Set(spec.dependsOn).size !== spec.dependsOn.length) {
    issues.push({ path: 'dependsOn', message: 'lists a job twice' });
  }
  if (spec.dependsOn?.includes(spec.name))
    issues.push({ path: 'dependsOn', message: 'a job cannot depend on itself' });
  return issues;
}

export type SpecResult = { ok: true; spec: JobSpec } | { ok: false; issues: Issue[] };

/** Schema first; the cross-field rules only run on a document of the right shape. */
export function validateJobSpec(input: unknown, now: Date): SpecResult {
  const issues = schemaIssues(JobSpecSchema, input);
  if (issues.length > 0) return { ok: false, issues };
  const spec = input as JobSpec;
  const rules = specRuleIssues(spec, now);
  return rules.length > 0 ? { ok: false, issues: rules } : { ok: true, spec };
}

/** How many nodes a job occupies: gang size for batch, replicas for inference. */
export function nodesNeeded(spec: JobSpec): number {
  return (spec.kind ?? 'batch') === 'inference' ? (spec.replicas ?? 1) : (spec.resources.nodes ?? 1);
}

/** Whole GPUs needed per node; a fractional request takes one GPU until shared-GPU packing lands. */
export function gpusPerNode(spec: JobSpec): number {
  return spec.resources.gpu.count ?? 1;
}

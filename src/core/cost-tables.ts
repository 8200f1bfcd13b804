// The two tables the cost model reads (config/gpu-speed.yaml, config/egress.yaml): their schemas, their types,
// the checks JSON Schema cannot express, and the lookups. Pure: the values come in already parsed; reading
// the files is src/config/cost-tables.ts's business.
import { type Static, Type } from 'typebox';
import { canonicalGpu, GPU_MODEL_NAMES, GPU_MODELS } from './gpus.js';
import { CLOUDS, type CloudName } from './model.js';
import { deepFreeze, type PathIssue, schemaIssuePaths } from './validate.js';

const strict = { additionalProperties: false } as const;

// ---------------------------------------------------------------------------------------------------------
// GPU speed

export const SPEED_BASES = ['baseline', 'benchmark', 'derived', 'estimate'] as const;

export const SpeedEntrySchema = Type.Object(
  {
    /** Training throughput of one GPU relative to the baseline model (baseline = 1). */
    speed: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    /** benchmark: measured; derived: from measured ratios of other models; estimate: from datasheet figures. */
    basis: Type.Enum(SPEED_BASES),
    /** Where the figure comes from, in words a reader can look up. */
    source: Type.String({ minLength: 1 }),
  },
  strict,
);

export const SpeedTableSchema = Type.Object(
  {
    baseline: Type.String({ minLength: 1 }),
    // Keys are checked against core/gpus.ts by speedTableIssues (a schema cannot name the canonical list
    // and still say "X is a spelling of Y").
    models: Type.Record(Type.String(), SpeedEntrySchema, strict),
  },
  strict,
);

export type SpeedEntry = Static<typeof SpeedEntrySchema>;
export type SpeedTable = Static<typeof SpeedTableSchema>;

/** Schema problems, then unknown or non-canonical model names, then the baseline's own rules. */
export function speedTableIssues(value: unknown): PathIssue[] {
  const shape = schemaIssuePaths(SpeedTableSchema, value);
  if (shape.length > 0) return shape;
  const table = value as SpeedTable;
  const issues: PathIssue[] = [];
  for (const name of Object.keys(table.models)) {
    if (GPU_MODELS[name]) continue;
    const canonical = canonicalGpu(name)?.model;
    const message = canonical
      ? `"${name}" is a spelling of ${canonical}; key the table by the canonical model name`
      : `unknown GPU model "${name}" (known models: ${GPU_MODEL_NAMES.join(', ')})`;
    issues.push({ path: ['models', name], message });
  }
  const base = table.models[table.baseline];
  if (!base) {
    issues.push({
      path: ['baseline'],
      message: `the baseline "${table.baseline}" has no entry under models`,
    });
  } else if (base.speed !== 1) {
    issues.push({
      path: ['models', table.baseline, 'speed'],
      message: `the baseline's speed must be 1, got ${base.speed}`,
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Egress

/** Continents as the clouds' bandwidth price lists group regions. */
export const CONTINENTS = [
  'north-america',
  'south-america',
  'europe',
  'asia',
  'oceania',
  'middle-east',
  'africa',
] as const;
export type Continent = (typeof CONTINENTS)[number];

const Rate = Type.Number({ minimum: 0, maximum: 10, description: 'USD per GB' });

export const EgressRuleSchema = Type.Object(
  {
    // Every condition given must hold; an absent one matches anything.
    from: Type.Optional(Type.Enum(CONTINENTS)),
    to: Type.Optional(Type.Enum(CONTINENTS)),
    fromRegion: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$' })),
    toRegion: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$' })),
    usdPerGB: Rate,
    note: Type.Optional(Type.String()),
  },
  strict,
);

/** A default rate and refinements; the first rule that matches wins, else the default. */
export const EgressRatesSchema = Type.Object(
  { usdPerGB: Rate, rules: Type.Optional(Type.Array(EgressRuleSchema)) },
  strict,
);

export const CloudEgressSchema = Type.Object(
  {
    source: Type.String({ minLength: 1 }),
    /** Between two regions of this cloud, charged by the source region. */
    interRegion: EgressRatesSchema,
    /** Out of this cloud to the internet, which is how data reaches another cloud. */
    internet: EgressRatesSchema,
  },
  strict,
);

export const EgressTableSchema = Type.Object(
  {
    /** When the figures were taken from the price lists. */
    asOf: Type.String({ minLength: 1 }),
    /** Effective throughput of a bulk copy between regions, Gbit/s; turns GB into transfer hours. */
    bandwidthGbps: Type.Number({ exclusiveMinimum: 0, maximum: 10000 }),
    clouds: Type.Object(
      Object.fromEntries(CLOUDS.map((c) => [c, CloudEgressSchema])) as Record<
        CloudName,
        typeof CloudEgressSchema
      >,
      strict,
    ),
  },
  strict,
);

export type EgressRule = Static<typeof EgressRuleSchema>;
export type EgressRates = Static<typeof EgressRatesSchema>;
export type EgressTable = Static<typeof EgressTableSchema>;

export function egressTableIssues(value: unknown): PathIssue[] {
  const shape = schemaIssuePaths(EgressTableSchema, value);
  if (shape.length > 0) return shape;
  // A region named in a rule must be on the continent the same rule names, or the rule can never match.
  const issues: PathIssue[] = [];
  const table = value as EgressTable;
  for (const cloud of CLOUDS) {
    for (const kind of ['interRegion', 'internet'] as const) {
      table.clouds[cloud][kind].rules?.forEach((rule, i) => {
        const path = ['clouds', cloud, kind, 'rules', String(i)];
        if (rule.fromRegion && rule.from && continentOf(cloud, rule.fromRegion) !== rule.from)
          issues.push({
            path: [...path, 'fromRegion'],
            message: `${rule.fromRegion} is not in ${rule.from}`,
          });
      });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Both tables

export interface CostTables {
  readonly speed: Readonly<SpeedTable>;
  readonly egress: Readonly<EgressTable>;
}

export type CostTablesResult =
  | { ok: true; tables: CostTables }
  | { ok: false; issues: { table: 'speed' | 'egress'; issue: PathIssue }[] };

/** Validates both tables and returns them deep-frozen (copies: the caller's values are left as they were). */
export function buildCostTables(speed: unknown, egress: unknown): CostTablesResult {
  const issues = [
    ...speedTableIssues(speed).map((issue) => ({ table: 'speed' as const, issue })),
    ...egressTableIssues(egress).map((issue) => ({ table: 'egress' as const, issue })),
  ];
  if (issues.length > 0) return { ok: false, issues };
  const tables = {
    speed: structuredClone(speed) as SpeedTable,
    egress: structuredClone(egress) as EgressTable,
  };
  return { ok: true, tables: deepFreeze(tables) };
}

// ---------------------------------------------------------------------------------------------------------
// Regions → continents

// AWS and GCP names start with a geographic prefix; the exceptions are AWS's Oceania regions, which share
// the Asia Pacific prefix (Sydney, Melbourne, Auckland).
const PREFIX: Readonly<Record<string, Continent>> = {
  us: 'north-america',
  ca: 'north-america',
  mx: 'north-america',
  northamerica: 'north-america',
  sa: 'south-america',
  southamerica: 'south-america',
  eu: 'europe',
  europe: 'europe',
  ap: 'asia',
  asia: 'asia',
  australia: 'oceania',
  me: 'middle-east',
  il: 'middle-east',
  af: 'africa',
  africa: 'africa',
};
const AWS_OCEANIA = new Set(['ap-southeast-2', 'ap-southeast-4', 'ap-southeast-6']);

// Azure names are words (eastus, westeurope, japaneast). Order matters: "australiaeast" contains "us", and
// "southafricanorth" must not fall to a later pattern.
const AZURE: readonly [RegExp, Continent][] = [
  [/^(australia|newzealand)/, 'oceania'],
  [/^(brazil|chile)/, 'south-america'],
  [/^(canada|mexico)/, 'north-america'],
  [/^southafrica/, 'africa'],
  [/^(uae|qatar|israel|saudi|kuwait)/, 'middle-east'],
  [
    /^(uk|france|germany|norway|sweden|switzerland|poland|italy|spain|austria|belgium|denmark|finland|greece)|europe$/,
    'europe',
  ],
  [/^(japan|korea|taiwan|indonesia|malaysia|singapore)|asia$|india/, 'asia'],
  [/us\d*(euap)?$/, 'north-america'],
];

/** The continent of a region, from its name; null when the name follows no known pattern. */
export function continentOf(cloud: CloudName, region: string): Continent | null {
  if (cloud === 'azure') return AZURE.find(([re]) => re.test(region))?.[1] ?? null;
  if (cloud === 'aws' && AWS_OCEANIA.has(region)) return 'oceania';
  const prefix = region.split('-')[0] ?? '';
  return PREFIX[prefix] ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Egress lookup

export interface Place {
  /** A cloud name; anything else is treated as outside the three clouds. */
  cloud: string;
  region: string;
}

export interface EgressQuote {
  kind: 'same-region' | 'inter-region' | 'internet';
  usdPerGB: number;
  /** Which figure applied, for explain: `aws interRegion rule 2 (from asia)` or `gcp internet default`. */
  rule: string;
}

function isCloud(name: string): name is CloudName {
  return (CLOUDS as readonly string[]).includes(name);
}

/** 'aws:us-east-1' → { cloud: 'aws', region: 'us-east-1' } (frozen, and the same object for the same text). */
export function parsePlace(cloudRegion: string): Place {
  let place = PLACES.get(cloudRegion);
  if (!place) {
    const at = cloudRegion.indexOf(':');
    place = Object.freeze(
      at < 0
        ? { cloud: '', region: cloudRegion }
        : { cloud: cloudRegion.slice(0, at), region: cloudRegion.slice(at + 1) },
    );
    if (PLACES.size >= 10_000) PLACES.clear();
    PLACES.set(cloudRegion, place);
  }
  return place;
}

const PLACES = new Map<string, Place>();

/**
 * What moving one GB from `from` to `to` costs: 0 within a region; the source cloud's inter-region rate within a
 * cloud; the source cloud's internet egress across clouds (the receiving cloud charges nothing for ingress).
 */
export function egressQuote(table: EgressTable, from: Place, to: Place): EgressQuote {
  // Asked for every (job, offer) pair of every tick, of a few hundred regions: remembered per frozen table, in
  // maps nested by the four names (a key joined from them would be a new string to hash at every call); and the
  // last answer at once, as a job's offers come region by region.
  const last = LAST_QUOTE;
  if (
    last !== null &&
    last.table === table &&
    last.from === from &&
    last.toCloud === to.cloud &&
    last.toRegion === to.region
  )
    return last.quote;
  let memo = QUOTES.get(table);
  if (!memo) {
    memo = new Map();
    QUOTES.set(table, memo);
  }
  const byTo = within(within(memo, from.cloud), from.region);
  const byRegion = within(byTo, to.cloud);
  let quote = byRegion.get(to.region) as EgressQuote | undefined;
  if (!quote) {
    quote = Object.freeze(quoteEgress(table, from, to));
    byRegion.set(to.region, quote);
  }
  // Only a frozen place (parsePlace's) is known by identity.
  LAST_QUOTE = Object.isFrozen(from) ? { table, from, toCloud: to.cloud, toRegion: to.region, quote } : null;
  return quote;
}

let LAST_QUOTE: {
  table: EgressTable;
  from: Place;
  toCloud: string;
  toRegion: string;
  quote: EgressQuote;
} | null = null;

type Nested = Map<string, Nested | EgressQuote>;

function within(map: Nested, key: string): Nested {
  let inner = map.get(key) as Nested | undefined;
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

const QUOTES = new WeakMap<EgressTable, Nested>();

function quoteEgress(table: EgressTable, from: Place, to: Place): EgressQuote {
  if (from.cloud === to.cloud && from.region === to.region)
    return { kind: 'same-region', usdPerGB: 0, rule: 'same region' };
  // A source outside the three clouds has no price list here; the receiving cloud's internet rate stands in.
  const payer: CloudName | null = isCloud(from.cloud) ? from.cloud : isCloud(to.cloud) ? to.cloud : null;
  if (payer === null) return { kind: 'internet', usdPerGB: 0, rule: 'no cloud price list applies' };
  const kind = from.cloud === to.cloud ? 'interRegion' : 'internet';
  const rates = table.clouds[payer][kind];
  const fromContinent = isCloud(from.cloud) ? continentOf(from.cloud, from.region) : null;
  const toContinent = isCloud(to.cloud) ? continentOf(to.cloud, to.region) : null;
  const index = (rates.rules ?? []).findIndex(
    (r) =>
      (r.from === undefined || r.from === fromContinent) &&
      (r.to === undefined || r.to === toContinent) &&
      (r.fromRegion === undefined || r.fromRegion === from.region) &&
      (r.toRegion === undefined || r.toRegion === to.region),
  );
  const rule = index >= 0 ? rates.rules?.[index] : undefined;
  const label = rule ? `${payer} ${kind} rule ${index}${ruleText(rule)}` : `${payer} ${kind} default`;
  return {
    kind: kind === 'interRegion' ? 'inter-region' : 'internet',
    usdPerGB: rule?.usdPerGB ?? rates.usdPerGB,
    rule: label,
  };
}

function ruleText(rule: EgressRule): string {
  const parts = [rule.fromRegion ?? rule.from, rule.toRegion ?? rule.to];
  const [f, t] = parts;
  if (f && t) return ` (${f} → ${t})`;
  if (f) return ` (from ${f})`;
  return t ? ` (to ${t})` : '';
}

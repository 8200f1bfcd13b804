// The bundled interruption priors (data/interruption-priors/aws-spot-advisor.csv; provenance in its README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export function defaultPriorsPath(): string {
  return fileURLToPath(new URL('../../data/interruption-priors/aws-spot-advisor.csv', import.meta.url));
}

/** `region/instanceType` → Spot Advisor bucket (0..4), for AWS. */
export function loadAwsSpotAdvisorBuckets(path = defaultPriorsPath()): Map<string, number> {
  const rows = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const buckets = new Map<string, number>();
  rows.forEach((r, i) => {
    const bucket = Number(r.bucket);
    if (!r.region || !r.instance_type || !Number.isInteger(bucket) || bucket < 0 || bucket > 4) {
      throw new Error(`${path}: row ${i + 2} is malformed (region,instance_type,bucket 0..4 expected)`);
    }
    buckets.set(`${r.region}/${r.instance_type}`, bucket);
  });
  return buckets;
}

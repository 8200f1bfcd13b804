// Reading TypeBox schemas as data: one keyword, the properties, the schema at a path, and the chain of
// schemas along an error's schema path. Pure; used by validation's wording and by the config loader.
import type { TSchema } from 'typebox';

export function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Reads one keyword of a schema; TypeBox types `TSchema` as an empty interface. */
export function schemaField(node: TSchema, keyword: string): unknown {
  return (node as Record<string, unknown>)[keyword];
}

/** The `properties` of an object schema; {} for any other schema. */
export function schemaProperties(node: TSchema | undefined): Record<string, TSchema> {
  const properties = node === undefined ? undefined : schemaField(node, 'properties');
  return isSchemaObject(properties) ? (properties as Record<string, TSchema>) : {};
}

/**
 * The schema that governs the value at `path` under `root`, or undefined where the schema allows nothing there
 * (or cannot say: a `$ref`). Follows properties, pattern properties, additional-property schemas, list items
 * and tuple positions; through a union or intersection, the first branch that has the key.
 */
export function schemaAt(path: readonly string[], root: TSchema): TSchema | undefined {
  let node: TSchema | undefined = root;
  for (const key of path) {
    if (node === undefined) return undefined;
    node = childSchema(node, key);
  }
  return node;
}

function childSchema(node: TSchema, key: string): TSchema | undefined {
  const own = schemaProperties(node)[key];
  if (own !== undefined) return own;
  const patterns = schemaField(node, 'patternProperties');
  if (isSchemaObject(patterns)) {
    for (const [pattern, child] of Object.entries(patterns as Record<string, TSchema>)) {
      if (matches(pattern, key)) return child;
    }
  }
  const additional = schemaField(node, 'additionalProperties');
  if (isSchemaObject(additional)) return additional as TSchema;
  if (/^\d+$/.test(key)) {
    const index = Number(key);
    const items = schemaField(node, 'items');
    const prefix = schemaField(node, 'prefixItems');
    if (Array.isArray(items)) return items[index] as TSchema | undefined;
    if (Array.isArray(prefix) && index < prefix.length) return prefix[index] as TSchema;
    if (isSchemaObject(items)) return items as TSchema;
  }
  for (const keyword of ['anyOf', 'allOf', 'oneOf']) {
    const branches = schemaField(node, keyword);
    if (!Array.isArray(branches)) continue;
    for (const branch of branches as TSchema[]) {
      const found = isSchemaObject(branch) ? childSchema(branch, key) : undefined;
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function matches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern).test(key);
  } catch {
    return false;
  }
}

// Keywords whose value maps names (or positions) to schemas: their next pointer segment is a name, not a keyword.
const NAMED_CHILDREN = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]);
const LISTED_CHILDREN = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems', 'items']);

/** Every schema from `root` down to the one at `schemaPath` (`#/properties/a/anyOf/0`); [] if it leaves the tree. */
export function schemasAlong(root: TSchema, schemaPath: string): TSchema[] {
  const segments = pointerToPath(schemaPath.replace(/^#/, ''));
  const chain: TSchema[] = [root];
  let node: unknown = root;
  for (let i = 0; i < segments.length; i++) {
    const keyword = segments[i] as string;
    let child = (node as Record<string, unknown>)[keyword];
    if (NAMED_CHILDREN.has(keyword) || (LISTED_CHILDREN.has(keyword) && Array.isArray(child))) {
      i += 1;
      child =
        isSchemaObject(child) || Array.isArray(child)
          ? (child as Record<string, unknown>)[segments[i] ?? '']
          : undefined;
    }
    if (!isSchemaObject(child)) return [];
    node = child;
    chain.push(child as TSchema);
  }
  return chain;
}

export function isSchemaObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

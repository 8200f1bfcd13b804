// Paging and filtering as the Compute API does them, small enough for a fake:
// - aggregatedList pages a flat list of (scope, item) pairs; every scope of the project appears on
//   every page, either with its items on that page or with `warning: NO_RESULTS_ON_PAGE`
//   (see test/fixtures/gcp/compute.acceleratorTypes.aggregatedList.2018.json);
// - filters: the regular-expression form `field eq 'regex'` and the AIP-160 form `field = "value"`,
//   each optionally in parentheses, several joined by spaces or AND. Anything else is a 400, so that
//   a filter the real API would reject does not pass silently here.

export type Item = Record<string, unknown>;
export type Filter = (item: Item) => boolean;

export class FilterError extends Error {}

function field(item: Item, path: string): unknown {
  let v: unknown = item;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

const TERM = /^\(?\s*([a-zA-Z][\w.-]*)\s+(eq|ne|=|!=)\s+(?:'([^']*)'|"([^"]*)"|(\S+?))\s*\)?$/;

export function parseFilter(filter: string | null): Filter {
  if (!filter || filter.trim() === '') return () => true;
  const parts = filter
    .split(/\)\s+(?:AND\s+)?\(|\s+AND\s+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const tests = parts.map((p): Filter => {
    const m = TERM.exec(p);
    if (!m?.[1] || !m[2])
      throw new FilterError(`Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`);
    const [, path, op] = m;
    const value = m[3] ?? m[4] ?? m[5] ?? '';
    if (op === 'eq' || op === 'ne') {
      const re = new RegExp(`^(?:${value})$`);
      return (item) => re.test(String(field(item, path) ?? '')) === (op === 'eq');
    }
    return (item) => (String(field(item, path) ?? '') === value) === (op === '=');
  });
  return (item) => tests.every((t) => t(item));
}

export interface Scoped {
  scope: string;
  items: Item[];
}

/**
 * One page of an aggregated list. `key` is the items' field name (acceleratorTypes, instances...);
 * `unreachable` scopes answer with an UNREACHABLE warning and no items.
 */
export function aggregatedPage(
  scopes: readonly Scoped[],
  key: string,
  filter: Filter,
  pageSize: number,
  pageToken: string | null,
  unreachable: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const flat: Array<[string, Item]> = [];
  for (const s of scopes) {
    if (unreachable.has(s.scope)) continue;
    for (const item of s.items) if (filter(item)) flat.push([s.scope, item]);
  }
  const start = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) : 0;
  const page = flat.slice(start, start + pageSize);
  const items: Record<string, unknown> = {};
  for (const s of scopes) {
    const mine = page.filter(([scope]) => scope === s.scope).map(([, item]) => item);
    if (unreachable.has(s.scope)) {
      items[s.scope] = {
        warning: {
          code: 'UNREACHABLE',
          message: `Scope '${s.scope}' is unreachable.`,
          data: [{ key: 'scope', value: s.scope }],
        },
      };
    } else if (mine.length > 0) {
      items[s.scope] = { [key]: mine };
    } else {
      items[s.scope] = {
        warning: {
          code: 'NO_RESULTS_ON_PAGE',
          message: `There are no results for scope '${s.scope}' on this page.`,
          data: [{ key: 'scope', value: s.scope }],
        },
      };
    }
  }
  const next =
    start + pageSize < flat.length ? Buffer.from(String(start + pageSize)).toString('base64url') : null;
  return { items, ...(next ? { nextPageToken: next } : {}) };
}

import { Type } from 'typebox';
import { Settings } from 'typebox/system';
import { describe, expect, it } from 'vitest';
import {
  deepFreeze,
  formatIssues,
  type Issue,
  joinPath,
  MAX_SCHEMA_ERRORS,
  pointerToPath,
  schemaAt,
  schemaIssuePaths,
  schemaIssues,
} from '../../src/core/validate.js';

const strict = { additionalProperties: false } as const;

// A small job-spec-like document: nested objects, a list of objects, a nullable string, an enum, a secret.
const Doc = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    kind: Type.Optional(Type.Union([Type.Literal('batch'), Type.Literal('inference')])),
    level: Type.Optional(Type.Enum(['info', 'debug'])),
    catalog: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
    token: Type.Optional(Type.String({ minLength: 16, secret: true })),
    resources: Type.Optional(
      Type.Object(
        {
          gpu: Type.Object({ count: Type.Integer({ minimum: 1 }) }, strict),
          cpus: Type.Optional(Type.Number()),
        },
        strict,
      ),
    ),
    data: Type.Optional(
      Type.Array(
        Type.Object(
          {
            uri: Type.String({ minLength: 1 }),
            region: Type.String({ pattern: '^(aws|gcp|azure):[a-z0-9-]+$' }),
            sizeGiB: Type.Number({ minimum: 0 }),
          },
          strict,
        ),
      ),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 3 }))),
    credentials: Type.Optional(
      Type.Object({ key: Type.String({ minLength: 8 }) }, { ...strict, secret: true }),
    ),
  },
  strict,
);

const valid = {
  name: 'train',
  kind: 'batch',
  resources: { gpu: { count: 1 } },
  data: [{ uri: 's3://a', region: 'aws:us-east-1', sizeGiB: 1 }],
};

/** Issues of `valid` with `change` applied; a key changed to undefined is left out, as JSON would. */
const issuesOf = (change: Record<string, unknown>): Issue[] =>
  schemaIssues(Doc, JSON.parse(JSON.stringify({ ...valid, ...change })));

describe('schemaIssues', () => {
  it('finds nothing wrong with a value that conforms', () => {
    expect(schemaIssues(Doc, valid)).toEqual([]);
  });

  it('reports every error, well past TypeBox’s default cap of 8', () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const Wide = Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer()])));
    const issues = schemaIssues(Wide, Object.fromEntries(keys.map((k) => [k, 'x'])));
    expect(issues).toEqual(keys.map((path) => ({ path, message: 'expected an integer, got "x"' })));
  });

  it('reports every one of many list items, with their indexes', () => {
    const data = Array.from({ length: 20 }, () => ({ uri: 's3://a', region: 'mars', sizeGiB: 1 }));
    expect(issuesOf({ data }).map((i) => i.path)).toEqual(data.map((_, n) => `data.${n}.region`));
  });

  const cases: { rule: string; change: Record<string, unknown>; expected: Issue[] }[] = [
    {
      rule: 'an unknown key is reported once, on the key itself, naming the keys known there',
      change: { nmae: 'x' },
      expected: [
        {
          path: 'nmae',
          message:
            'unknown key "nmae" (known keys: name, kind, level, catalog, token, resources, data, labels, credentials)',
        },
      ],
    },
    {
      rule: 'a nested unknown key is reported at its full path',
      change: { resources: { gpu: { count: 1 }, gpus: 8 } },
      expected: [{ path: 'resources.gpus', message: 'unknown key "gpus" (known keys: gpu, cpus)' }],
    },
    {
      rule: 'an unknown key inside a list item is reported at its index',
      change: { data: [{ uri: 's3://a', region: 'aws:x', sizeGiB: 1, zone: 'b' }] },
      expected: [{ path: 'data.0.zone', message: 'unknown key "zone" (known keys: uri, region, sizeGiB)' }],
    },
    {
      rule: 'a missing required key is reported at its own path',
      change: { resources: { gpu: {} } },
      expected: [{ path: 'resources.gpu.count', message: 'is required' }],
    },
    {
      rule: 'a missing required key at the top level is reported by its name',
      change: { name: undefined },
      expected: [{ path: 'name', message: 'is required' }],
    },
    {
      rule: 'a value of the wrong type names the expected type and the value',
      change: { resources: { gpu: { count: 'eight' } } },
      expected: [{ path: 'resources.gpu.count', message: 'expected an integer, got "eight"' }],
    },
    {
      rule: 'a value out of range names the limit and the value',
      change: { resources: { gpu: { count: 0 } } },
      expected: [{ path: 'resources.gpu.count', message: 'must be at least 1, got 0' }],
    },
    {
      rule: 'a string|null union given an empty string says what is wrong with the string',
      change: { catalog: '' },
      expected: [{ path: 'catalog', message: 'must not be empty' }],
    },
    {
      rule: 'a string|null union given another type lists both choices',
      change: { catalog: 5 },
      expected: [{ path: 'catalog', message: 'expected a string or null, got 5' }],
    },
    {
      rule: 'an enum lists its allowed values',
      change: { level: 'verbose' },
      expected: [{ path: 'level', message: 'expected one of info, debug, got "verbose"' }],
    },
    {
      rule: 'a union of literals lists its allowed values, like an enum',
      change: { kind: 'service' },
      expected: [{ path: 'kind', message: 'expected one of batch, inference, got "service"' }],
    },
    {
      rule: 'a field inside a list item is reported at its index',
      change: {
        data: [
          { uri: 's3://a', region: 'aws:us-east-1', sizeGiB: 1 },
          { uri: 's3://b', region: 'us-east-1', sizeGiB: -1 },
        ],
      },
      expected: [
        {
          path: 'data.1.region',
          message: 'must match the pattern ^(aws|gcp|azure):[a-z0-9-]+$, got "us-east-1"',
        },
        { path: 'data.1.sizeGiB', message: 'must be at least 0, got -1' },
      ],
    },
    {
      rule: 'a key containing dots and slashes is one segment of the dotted path',
      change: { labels: { 'app.kubernetes.io/name': 'toolong' } },
      expected: [
        { path: 'labels.app.kubernetes.io/name', message: 'must be at most 3 characters long, got 7' },
      ],
    },
  ];

  it.each(cases)('$rule', ({ change, expected }) => {
    expect(issuesOf(change)).toEqual(expected);
  });

  it('reports a value of the wrong type at the root as the empty path', () => {
    expect(schemaIssues(Doc, [1, 2])).toEqual([{ path: '', message: 'expected a mapping, got a list' }]);
  });
});

describe('a secret is never echoed', () => {
  const secrets: { what: string; change: Record<string, unknown>; leak: string; expected: Issue }[] = [
    {
      what: 'a secret string that is too short',
      change: { token: 'hunter2' },
      leak: 'hunter2',
      expected: { path: 'token', message: 'must be at least 16 characters long, got 7' },
    },
    {
      what: 'a secret of the wrong type',
      change: { token: 123456789 },
      leak: '123456789',
      expected: { path: 'token', message: 'expected a string, got a number' },
    },
    {
      what: 'a key under an object marked secret',
      change: { credentials: { key: 4242 } },
      leak: '4242',
      expected: { path: 'credentials.key', message: 'expected a string, got a number' },
    },
  ];

  it.each(secrets)('$what is described by its kind only', ({ change, leak, expected }) => {
    const issues = issuesOf(change);
    expect(issues).toEqual([expected]);
    expect(formatIssues(issues)).not.toContain(leak);
  });

  it('a secret union given the wrong type is described by its kind only', () => {
    const S = Type.Object({ key: Type.Union([Type.String(), Type.Null()], { secret: true }) });
    expect(schemaIssues(S, { key: 31337 })).toEqual([
      { path: 'key', message: 'expected a string or null, got a number' },
    ]);
  });
});

describe("TypeBox's error cap", () => {
  it('is lifted to MAX_SCHEMA_ERRORS during a call and restored afterwards', () => {
    const saved = Settings.Get().maxErrors;
    try {
      Settings.Set({ maxErrors: 3 });
      const Wide = Type.Object(
        Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, Type.String()])),
      );
      expect(schemaIssues(Wide, {})).toHaveLength(10);
      expect(Settings.Get().maxErrors).toBe(3);
    } finally {
      Settings.Set({ maxErrors: saved });
    }
  });

  it('is restored even when validation throws', () => {
    const saved = Settings.Get().maxErrors;
    // Fails the quick check (a number), then throws while TypeBox collects the errors.
    let reads = 0;
    const value = {
      get a(): unknown {
        reads += 1;
        if (reads > 1) throw new Error('read twice');
        return 1;
      },
    };
    expect(() => schemaIssues(Type.Object({ a: Type.String() }), value)).toThrow('read twice');
    expect(Settings.Get().maxErrors).toBe(saved);
  });

  it('still bounds the list', () => {
    const many = Array.from({ length: MAX_SCHEMA_ERRORS + 50 }, () => 'x');
    expect(schemaIssues(Type.Array(Type.Integer()), many).length).toBeLessThanOrEqual(MAX_SCHEMA_ERRORS);
  });
});

describe('schemaIssuePaths', () => {
  it('gives paths as key lists, so a key containing dots stays one key', () => {
    expect(schemaIssuePaths(Doc, { ...valid, labels: { 'a.b': 'long' } })).toEqual([
      { path: ['labels', 'a.b'], message: 'must be at most 3 characters long, got 4' },
    ]);
  });

  it('gives the root as the empty list', () => {
    expect(schemaIssuePaths(Doc, 'x')).toEqual([{ path: [], message: 'expected a mapping, got "x"' }]);
  });
});

describe('helpers', () => {
  it.each([
    ['', []],
    ['/a', ['a']],
    ['/data/0/region', ['data', '0', 'region']],
    ['/labels/app.kubernetes.io~1name', ['labels', 'app.kubernetes.io/name']],
    ['/a~0b', ['a~b']],
  ])('pointerToPath(%j) is %j', (pointer, path) => {
    expect(pointerToPath(pointer)).toEqual(path);
  });

  it.each([
    ['', 'name', 'name'],
    ['data', 0, 'data.0'],
    ['data.0', 'region', 'data.0.region'],
  ] as const)('joinPath(%j, %j) is %j', (parent, key, path) => {
    expect(joinPath(parent, key)).toBe(path);
  });

  it('formatIssues writes one issue a line and the root as (root)', () => {
    expect(
      formatIssues([
        { path: '', message: 'expected a mapping' },
        { path: 'a.b', message: 'is required' },
      ]),
    ).toBe('(root): expected a mapping\na.b: is required');
  });

  it.each([
    [['resources', 'gpu', 'count'], 'integer'],
    [['data', '3', 'region'], 'string'],
    [['labels', 'anything'], 'string'],
    [['nope'], undefined],
  ])('schemaAt(%j) finds the schema of type %s', (path, type) => {
    expect((schemaAt(path, Doc) as { type?: string } | undefined)?.type).toBe(type);
  });

  it('deepFreeze freezes nested objects and lists', () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
  });
});

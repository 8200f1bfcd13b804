import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import {
  checkJobText,
  type FileIssue,
  formatFileIssue,
  parseJobText,
  readJobFile,
  STDIN_NAME,
} from '../../src/cli/jobfile.js';
import { findJsonSyntaxError, lineAtOffset } from '../../src/cli/json-syntax.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'jobs');
const NOW = new Date('2026-06-01T00:00:00Z');

/** Inline rather than a fixture file: a broken .yaml file in the tree would fail the project's linter. */
const SYNTAX_ERROR_YAML = [
  'name: broken',
  'resources:',
  '  gpu: { count: 8',
  'runtime:',
  '  estimateHours: 1',
  '',
].join('\n');

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

function issuesOf(name: string): FileIssue[] {
  const result = checkJobText(fixture(name), name, NOW);
  if (result.ok) throw new Error(`${name} was expected to be invalid`);
  return result.issues;
}

function lineOf(text: string, path: string): number {
  const parsed = parseJobText(text, 'job.yaml');
  if (!parsed.ok) throw new Error(parsed.issues.map(formatFileIssue).join('\n'));
  return parsed.parsed.lineOf(path);
}

describe('reading a valid job file', () => {
  it('accepts the DESIGN.md example in YAML and keeps every field', () => {
    const result = checkJobText(fixture('llama-finetune.yaml'), 'llama-finetune.yaml', NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({
      name: 'llama-8b-finetune',
      command: ['python', 'train.py', '--epochs', '3'],
      resources: { gpu: { models: ['A100', 'H100'], count: 8, minMemoryGiB: 40 }, nodes: 1 },
      data: [{ uri: 's3://acme-datasets/c4', region: 'aws:us-east-1', sizeGiB: 800 }],
      labels: { project: 'llm' },
    });
  });

  it('keeps an unquoted YAML timestamp as the ISO string the API expects, not a Date', () => {
    const result = checkJobText(fixture('llama-finetune.yaml'), 'llama-finetune.yaml', NOW);
    expect(result.ok && result.spec.deadline).toBe('2030-12-03T09:00:00Z');
  });

  it('reads JSON with the same parser and the same result shape', () => {
    const result = checkJobText(fixture('llama-finetune.json'), 'llama-finetune.json', NOW);
    expect(result.ok).toBe(true);
    expect(result.ok && result.spec.resources.gpu.count).toBe(8);
  });
});

describe('syntax errors', () => {
  it.each([
    {
      case: 'an unclosed YAML flow map is reported where the parser notices it',
      text: SYNTAX_ERROR_YAML,
      file: 'syntax-error.yaml',
      line: 4,
    },
    {
      case: 'a JSON value missing after a key is reported on its line',
      text: '{\n  "name": "x",\n  "resources": ,\n  "command": ["a"]\n}\n',
      file: 'job.json',
      line: 3,
    },
    {
      case: 'a trailing comma in a .json file is an error (YAML alone would accept it)',
      text: '{\n  "name": "x",\n  "command": ["a"],\n}\n',
      file: 'job.json',
      line: 4,
    },
    {
      case: 'an unterminated JSON object is reported on its last line',
      text: '{\n  "name": "x",\n  "command": ["a"]\n\n',
      file: 'job.json',
      line: 3,
    },
    {
      case: 'a duplicate key is an error, not a silent overwrite',
      text: 'name: a\nname: b\n',
      file: 'dup.yaml',
      line: 2,
    },
    { case: 'a second document is refused', text: 'name: a\n---\nname: b\n', file: 'two.yaml', line: 2 },
  ])('$case', ({ text, file, line }) => {
    const result = checkJobText(text, file, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.stage).toBe('syntax');
    expect(result.issues[0]).toMatchObject({ file, line });
    expect(formatFileIssue(result.issues[0]!)).toMatch(
      new RegExp(`^${file.replace('.', '\\.')}:${line}: \\S`),
    );
  });
});

describe('formats', () => {
  it('reads JSON on standard input (no file name) through the YAML parser', () => {
    const json = JSON.stringify({
      name: 'x',
      command: ['a'],
      resources: { gpu: { count: 1 } },
      runtime: { estimateHours: 1 },
    });
    expect(checkJobText(json, STDIN_NAME, NOW).ok).toBe(true);
  });

  it('reads one-line YAML flow style from standard input', () => {
    const text = '{name: x, command: [a], resources: {gpu: {count: 1}}, runtime: {estimateHours: 1}}';
    expect(checkJobText(text, STDIN_NAME, NOW).ok).toBe(true);
  });

  it('holds a .json file to JSON: comments and unquoted keys are syntax errors', () => {
    const result = checkJobText('{\n  # note\n  "name": "x"\n}', 'job.json', NOW);
    expect(result.ok || result.issues[0]).toMatchObject({ line: 2 });
  });
});

describe('strict JSON checking', () => {
  it.each([
    '{}',
    '\ufeff{"a": 1}',
    ' [1, -2.5e+3, 0, true, false, null, "x\\n\\u00e9\\"", {"b": []}] \n',
    '"just a string"',
  ])('accepts %j', (text) => {
    expect(findJsonSyntaxError(text)).toBeNull();
  });

  it.each([
    { text: '', offset: 0, message: /expected a value, found end of input/ },
    { text: '{"a" 1}', offset: 5, message: /expected ':'/ },
    { text: '{"a": 1 "b": 2}', offset: 8, message: /expected ',' or '}'/ },
    { text: '[1,]', offset: 3, message: /trailing comma/ },
    { text: '{a: 1}', offset: 1, message: /property name in double quotes/ },
    { text: '[01]', offset: 2, message: /expected ',' or ']'/ },
    { text: '["a\\x"]', offset: 3, message: /bad escape/ },
    { text: '["a\tb"]', offset: 3, message: /control character/ },
    { text: '[tru]', offset: 1, message: /expected a value/ },
    { text: '{} {}', offset: 3, message: /after the JSON value/ },
    { text: '["open', offset: 6, message: /unterminated string/ },
  ])('rejects $text at offset $offset', ({ text, offset, message }) => {
    const err = findJsonSyntaxError(text);
    expect(err?.offset).toBe(offset);
    expect(err?.message).toMatch(message);
  });

  it('puts an error at the very end on the last line with text', () => {
    expect(lineAtOffset('{\n  "a": 1\n\n\n', 14)).toBe(2);
    expect(lineAtOffset('a\nb\nc', 4)).toBe(3);
  });
});

describe('validation issues are mapped to the line of their node', () => {
  it.each([
    { path: 'name', line: 3, why: 'a scalar reports its own line' },
    { path: 'resources.gpu.count', line: 10, why: 'a nested key reports its line' },
    { path: 'resources.gpus', line: 12, why: 'an unknown field reports the line to delete' },
    { path: 'data.0.region', line: 15, why: 'a key inside a list item reports its line' },
    { path: 'checkpoint.dir', line: 17, why: 'a missing field falls back to its parent' },
    { path: 'labels.app.kubernetes.io/name', line: 22, why: 'a key containing dots is still found' },
  ])('bad-schema.yaml: $path on line $line ($why)', ({ path, line }) => {
    const issue = issuesOf('bad-schema.yaml').find((i) => i.path === path);
    expect(issue).toMatchObject({ file: 'bad-schema.yaml', line, path });
  });

  it('bad-schema.yaml: reports exactly those six issues, in file order', () => {
    const issues = issuesOf('bad-schema.yaml');
    expect(issues.map((i) => i.path)).toEqual([
      'name',
      'resources.gpu.count',
      'resources.gpus',
      'data.0.region',
      'checkpoint.dir',
      'labels.app.kubernetes.io/name',
    ]);
    expect(issues.map((i) => i.line)).toEqual([3, 10, 12, 15, 17, 22]);
  });

  it.each([
    { path: 'resources.gpu.memoryGiB', line: 5, why: 'missing with fraction: reported at gpu:' },
    { path: 'resources.gpu.models.1', line: 6, why: 'a list item inside a flow sequence' },
    { path: 'resources.gpu.fraction', line: 8, why: 'cross-field rule on one field' },
    { path: 'runtime.maxHours', line: 11, why: 'maxHours below estimateHours' },
    { path: 'deadline', line: 12, why: 'a deadline in the past' },
    { path: 'dependsOn', line: 13, why: 'a job depending on itself' },
  ])('bad-rules.yaml: $path on line $line ($why)', ({ path, line }) => {
    const issue = issuesOf('bad-rules.yaml').find((i) => i.path === path);
    expect(issue).toMatchObject({ file: 'bad-rules.yaml', line, path });
  });

  it('prints every issue as FILE:LINE: path: message', () => {
    const lines = issuesOf('bad-rules.yaml').map(formatFileIssue);
    expect(lines).toContain('bad-rules.yaml:12: deadline: is in the past');
    for (const line of lines) expect(line).toMatch(/^bad-rules\.yaml:\d+: [\w.]+: .+/);
  });

  it('names the root "(root)" and puts it on the first line of content', () => {
    const result = checkJobText('# just a comment\n- a list\n', 'list.yaml', NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatFileIssue(result.issues[0]!)).toMatch(/^list\.yaml:2: \(root\): /);
  });

  it('reports an empty file as invalid at line 1', () => {
    const result = checkJobText('', 'empty.yaml', NOW);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]?.line).toBe(1);
  });
});

describe('lineOf', () => {
  const text = [
    'name: x', // 1
    'resources:', // 2
    '  gpu: { count: 8,', // 3
    '         models: [A100] }', // 4
    'defaults: &d', // 5
    '  cpus: 4', // 6
    'other: *d', // 7
    'command:', // 8
    '  - python', // 9
    '  - train.py', // 10
  ].join('\n');

  it.each([
    { path: '', line: 1 },
    { path: 'resources', line: 2 },
    { path: 'resources.gpu.models', line: 4 },
    { path: 'resources.gpu.models.0', line: 4 },
    { path: 'resources.gpu.nope.deeper', line: 3 },
    { path: 'command.1', line: 10 },
    { path: 'command.7', line: 8 },
    { path: 'other.cpus', line: 6 },
    { path: 'missing', line: 1 },
  ])('"$path" is on line $line', ({ path, line }) => {
    expect(lineOf(text, path)).toBe(line);
  });
});

describe('readJobFile', () => {
  it('reads standard input for "-" and calls it <stdin> in messages', async () => {
    const read = await readJobFile('-', async () => 'name: x\n');
    expect(read).toEqual({ name: STDIN_NAME, text: 'name: x\n' });
  });

  it('turns a missing file into invalid input (exit 2) naming the file', async () => {
    const err = await readJobFile(join(FIXTURES, 'nope.yaml'), async () => '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/cannot read .*nope\.yaml \(ENOENT\)/);
  });
});

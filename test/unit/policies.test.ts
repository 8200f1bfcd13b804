// Budget policy files: the format, every refusal with its file, line and field, and which policies a job
// falls under. Files are given as text: no file system here (the folder and hot reload are integration tests).
import { describe, expect, it } from 'vitest';
import {
  formatPolicyIssue,
  isPolicyFileName,
  parsePolicyFiles,
  parsePolicyText,
} from '../../src/policies/load.js';
import { describeScope, policiesFor, scopeMatches, teamOfScope } from '../../src/policies/match.js';
import type { PolicyScope } from '../../src/policies/schema.js';

const RESEARCH = `# the research team's monthly budget
name: research-monthly
scope: { team: research }
period: monthly
timezone: Europe/Berlin
limitUsd: 20000
burnRateUsdPerHour: 150
action: block-new
alerts:
  thresholds: [50, 80, 100]
  forecast: true
  slack: research
`;

const errorsOf = (text: string, file = 'policies/x.yaml') =>
  parsePolicyText(text, file).issues.map(formatPolicyIssue);

describe('a valid policy file', () => {
  it('loads one policy with its source line and every default filled', () => {
    const { policies, issues } = parsePolicyText(RESEARCH, 'policies/research.yaml');
    expect(issues).toEqual([]);
    expect(policies).toEqual([
      {
        name: 'research-monthly',
        scope: { team: 'research' },
        period: 'monthly',
        timezone: 'Europe/Berlin',
        limitUsd: 20000,
        burnRateUsdPerHour: 150,
        action: 'block-new',
        alerts: { thresholds: [50, 80, 100], forecast: true, slack: 'research' },
        source: { file: 'policies/research.yaml', line: 2 },
      },
    ]);
  });

  it('defaults: UTC, the alert action, thresholds 50/80/100, forecast alerts on, no webhook', () => {
    const { policies } = parsePolicyText(
      'name: p\nscope: { all: true }\nperiod: daily\nlimitUsd: 10\n',
      'p.yaml',
    );
    expect(policies[0]).toMatchObject({
      timezone: 'UTC',
      action: 'alert',
      alerts: { thresholds: [50, 80, 100], forecast: true },
    });
    expect(policies[0]?.alerts.slack).toBeUndefined();
  });

  it('an alerts: block with every line commented out means the defaults', () => {
    const text = 'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 10\nalerts:\n#  thresholds: [90]\n';
    const { policies, issues } = parsePolicyText(text, 'p.yaml');
    expect(issues).toEqual([]);
    expect(policies[0]?.alerts).toEqual({ thresholds: [50, 80, 100], forecast: true });
  });

  it('holds several policies under policies:, each with its own line', () => {
    const text = `policies:
  - name: llm-weekly
    scope: { project: llm }
    period: weekly
    limitUsd: 5000
  - name: prod-daily
    scope: { labels: { env: prod, tier: [gold, silver] } }
    period: daily
    timezone: America/New_York
    limitUsd: 800
    action: spot-only
`;
    const { policies, issues } = parsePolicyText(text, 'p.yaml');
    expect(issues).toEqual([]);
    expect(policies.map((p) => [p.name, p.source.line, p.action])).toEqual([
      ['llm-weekly', 2, 'alert'],
      ['prod-daily', 6, 'spot-only'],
    ]);
  });
});

describe('a bad policy file is refused with FILE:LINE: field: message', () => {
  it.each<[string, string, string[]]>([
    [
      'a negative limit',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: -5\n',
      ['policies/x.yaml:4: limitUsd: must be greater than 0, got -5'],
    ],
    [
      'a period that does not exist',
      'name: p\nscope: { team: a }\nperiod: yearly\nlimitUsd: 5\n',
      ['policies/x.yaml:3: period: expected one of daily, weekly, monthly, got "yearly"'],
    ],
    [
      'a time zone that does not exist',
      'name: p\nscope: { team: a }\nperiod: daily\ntimezone: Europe/Berln\nlimitUsd: 5\n',
      [
        'policies/x.yaml:4: timezone: unknown IANA time zone "Europe/Berln" (e.g. UTC, Europe/Berlin, America/New_York)',
      ],
    ],
    [
      'an action that does not exist',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\naction: stop\n',
      ['policies/x.yaml:5: action: expected one of alert, block-new, spot-only, suspend, got "stop"'],
    ],
    [
      'a missing limit (the line of the policy)',
      'name: p\nscope: { team: a }\nperiod: daily\n',
      ['policies/x.yaml:1: limitUsd: is required'],
    ],
    [
      'a misspelt key, with the keys that exist',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\nlimitUSD: 6\n',
      [
        'policies/x.yaml:5: limitUSD: unknown key "limitUSD" (known keys: name, description, scope, period, timezone, limitUsd, burnRateUsdPerHour, action, alerts)',
      ],
    ],
    [
      'a scope that names nothing',
      'name: p\nscope: {}\nperiod: daily\nlimitUsd: 5\n',
      ['policies/x.yaml:2: scope: must name a team, a project, labels (a selector), or all: true'],
    ],
    [
      'all: true together with a team',
      'name: p\nscope:\n  team: a\n  all: true\nperiod: daily\nlimitUsd: 5\n',
      ['policies/x.yaml:4: scope.all: all: true covers every job; leave out team (or drop all)'],
    ],
    [
      'a label key jobs cannot have',
      'name: p\nscope:\n  labels: { "my project": llm }\nperiod: daily\nlimitUsd: 5\n',
      [
        'policies/x.yaml:3: scope.labels.my project: label key "my project" must be letters, digits and . _ / - (starting with a letter or digit, at most 63), as in job specs',
      ],
    ],
    [
      'the project given twice',
      'name: p\nscope:\n  project: llm\n  labels: { project: cv }\nperiod: daily\nlimitUsd: 5\n',
      [
        'policies/x.yaml:4: scope.labels.project: the project is already given as scope.project; give it once',
      ],
    ],
    [
      'a threshold of 0 % and a repeated one',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\nalerts:\n  thresholds: [0, 50, 50]\n',
      [
        'policies/x.yaml:6: alerts.thresholds.0: must be greater than 0, got 0',
        'policies/x.yaml:6: alerts.thresholds: must not list the same item twice',
      ],
    ],
    [
      'a webhook name with spaces',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\nalerts: { slack: "Research Team" }\n',
      [
        'policies/x.yaml:5: alerts.slack: must be a webhook name: lower-case letters and digits, words joined by - or _ (e.g. research, ml-infra), got "Research Team"',
      ],
    ],
    [
      'a policy name with capitals',
      'name: Research\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\n',
      ['policies/x.yaml:1: name: must match the pattern ^[a-z0-9][a-z0-9._-]{0,62}$, got "Research"'],
    ],
    [
      'a YAML syntax error, at its line',
      'name: p\nscope: { team: a\nperiod: daily\n',
      ['policies/x.yaml:3: Flow map in block collection must be sufficiently indented and end with a }'],
    ],
    [
      'an empty file (a policy must not vanish because a save was cut short)',
      '# nothing here yet\n',
      [
        'policies/x.yaml:1: the file is empty: it must hold a policy (or policies: with a list); to remove its policies, delete the file',
      ],
    ],
    [
      'a list at the top level',
      '- name: p\n',
      [
        'policies/x.yaml:1: (root): the top level must be a policy (a mapping with name, scope, period, limitUsd, …) or policies: with a list',
      ],
    ],
    ['an empty policies list', 'policies: []\n', ['policies/x.yaml:1: policies: must not be empty']],
    [
      'policies: that is not a list',
      'policies: 5\n',
      ['policies/x.yaml:1: policies: expected a list, got 5'],
    ],
    [
      'two YAML documents in one file',
      'name: a\n---\nname: b\n',
      [
        'policies/x.yaml:2: a policy file holds one YAML document (no ---); put several policies under policies: as a list',
      ],
    ],
    [
      'an infinite limit',
      'name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: .inf\n',
      ['policies/x.yaml:4: limitUsd: expected a number, got Infinity'],
    ],
    [
      'a bad policy among good ones, at its own path',
      'policies:\n  - name: a\n    scope: { team: a }\n    period: daily\n    limitUsd: 5\n  - name: b\n    scope: { team: b }\n    period: daily\n    limitUsd: 0\n',
      ['policies/x.yaml:9: policies.1.limitUsd: must be greater than 0, got 0'],
    ],
  ])('%s', (_story, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });

  it('reports every problem of a file at once, in line order', () => {
    const text = 'name: p\nscope: {}\nperiod: yearly\ntimezone: Mars/Olympus\nlimitUsd: -1\n';
    expect(errorsOf(text)).toEqual([
      'policies/x.yaml:3: period: expected one of daily, weekly, monthly, got "yearly"',
      'policies/x.yaml:5: limitUsd: must be greater than 0, got -1',
    ]);
    // The rules (scope, time zone) speak once the shape is right.
    expect(errorsOf('name: p\nscope: {}\nperiod: daily\ntimezone: Mars/Olympus\nlimitUsd: 1\n')).toEqual([
      'policies/x.yaml:2: scope: must name a team, a project, labels (a selector), or all: true',
      'policies/x.yaml:4: timezone: unknown IANA time zone "Mars/Olympus" (e.g. UTC, Europe/Berlin, America/New_York)',
    ]);
  });
});

describe('a URL in a policy file is refused, and never quoted', () => {
  const webhook = 'https://hooks.slack.com/services/T0000/B0000/SECRETSECRET';
  it.each<[string, string, string]>([
    ['as the webhook reference', `alerts: { slack: "${webhook}" }`, 'alerts.slack'],
    ['under a key of its own', `alerts: { webhook: "${webhook}" }`, 'alerts.webhook'],
    ['in the description', `description: "see ${webhook}"`, 'description'],
    ['without a scheme', 'alerts: { slack: "hooks.slack.com/services/T0/B0/X" }', 'alerts.slack'],
  ])('%s', (_story, line, path) => {
    const text = `name: p\nscope: { team: a }\nperiod: daily\nlimitUsd: 5\n${line}\n`;
    const errors = errorsOf(text);
    expect(errors).toEqual([
      `policies/x.yaml:5: ${path}: holds a URL; policy files must not contain URLs: a Slack webhook URL is a secret, so name the webhook (slack: research) and put its URL in GPUSCHED_SLACK_WEBHOOK_RESEARCH or the secret file <dataDir>/secrets/slack-research`,
    ]);
    expect(errors.join('\n')).not.toContain('SECRET');
  });
});

describe('a folder of files', () => {
  const file = (name: string, text: string) => ({ name: `policies/${name}`, text });

  it('loads every file, in the order given', () => {
    const { policies, issues } = parsePolicyFiles([
      file('a.yaml', 'name: a\nscope: { team: a }\nperiod: daily\nlimitUsd: 1\n'),
      file('b.yaml', 'name: b\nscope: { team: b }\nperiod: daily\nlimitUsd: 1\n'),
    ]);
    expect(issues).toEqual([]);
    expect(policies.map((p) => `${p.name}@${p.source.file}`)).toEqual([
      'a@policies/a.yaml',
      'b@policies/b.yaml',
    ]);
  });

  it('refuses a policy name used twice, at the second, naming the first', () => {
    const { policies, issues } = parsePolicyFiles([
      file('a.yaml', 'name: shared\nscope: { team: a }\nperiod: daily\nlimitUsd: 1\n'),
      file(
        'b.yaml',
        'policies:\n  - name: other\n    scope: { team: b }\n    period: daily\n    limitUsd: 1\n  - name: shared\n    scope: { team: b }\n    period: daily\n    limitUsd: 1\n',
      ),
    ]);
    expect(policies).toEqual([]);
    expect(issues.map(formatPolicyIssue)).toEqual([
      'policies/b.yaml:6: policies.1.name: policy name "shared" is already used at policies/a.yaml:1; names must be unique across all policy files',
    ]);
  });

  it('loads nothing when any file is bad: a set is in force whole or not at all', () => {
    const { policies, issues } = parsePolicyFiles([
      file('a.yaml', 'name: a\nscope: { team: a }\nperiod: daily\nlimitUsd: 1\n'),
      file('b.yaml', 'name: b\nscope: { team: b }\nperiod: daily\nlimitUsd: 0\n'),
    ]);
    expect(policies).toEqual([]);
    expect(issues).toHaveLength(1);
  });

  it.each<[string, boolean]>([
    ['research.yaml', true],
    ['research.yml', true],
    ['RESEARCH.YAML', true],
    ['README.md', false],
    ['.research.yaml.swp', false],
    ['.hidden.yaml', false],
    ['research.yaml~', false],
    ['research.yaml.bak', false],
  ])('%s is read as a policy file: %s', (name, read) => {
    expect(isPolicyFileName(name)).toBe(read);
  });
});

describe('which policies apply to a job', () => {
  const job = { team: 'research', labels: { project: 'llm', env: 'prod', tier: 'gold' } };
  it.each<[string, PolicyScope, boolean]>([
    ['its team', { team: 'research' }, true],
    ['another team', { team: 'vision' }, false],
    ['its project', { project: 'llm' }, true],
    ['another project', { project: 'cv' }, false],
    ['a selector it matches in full', { labels: { env: 'prod', tier: 'gold' } }, true],
    ['a selector it matches in part only', { labels: { env: 'prod', tier: 'silver' } }, false],
    ['a selector with a list of values', { labels: { tier: ['silver', 'gold'] } }, true],
    ['a label it does not have', { labels: { owner: 'ana' } }, false],
    ['team and project, both its own', { team: 'research', project: 'llm' }, true],
    ['its team but another project', { team: 'research', project: 'cv' }, false],
    ['all: every job', { all: true }, true],
  ])('a scope of %s: %s', (_story, scope, applies) => {
    expect(scopeMatches(scope, job)).toBe(applies);
  });

  it('a job without labels matches team and all scopes only', () => {
    expect(scopeMatches({ team: 'research' }, { team: 'research' })).toBe(true);
    expect(scopeMatches({ project: 'llm' }, { team: 'research' })).toBe(false);
  });

  it('policiesFor keeps every policy that applies, in order', () => {
    const policies = [
      { name: 'org', scope: { all: true as const } },
      { name: 'vision', scope: { team: 'vision' } },
      { name: 'llm', scope: { project: 'llm' } },
    ];
    expect(policiesFor(policies, job).map((p) => p.name)).toEqual(['org', 'llm']);
  });

  it.each<[PolicyScope, string, string | null]>([
    [{ team: 'research' }, 'team research', 'research'],
    [{ team: 'research', project: 'llm' }, 'team research, project llm', 'research'],
    [{ labels: { env: 'prod', tier: ['a', 'b'] } }, 'labels env=prod, tier in (a, b)', null],
    [{ all: true }, 'every job', null],
  ])('%j reads "%s"; its alerts are visible to team %s', (scope, text, team) => {
    expect(describeScope(scope)).toBe(text);
    expect(teamOfScope(scope)).toBe(team);
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/cli/client.js';
import {
  apiErrorLines,
  jobDetail,
  jobGpus,
  jobsTable,
  money,
  nodesTable,
  offersTable,
  relative,
  sourcesLine,
  table,
  unreachableMessage,
} from '../../src/cli/format.js';
import { run } from '../../src/cli/main.js';
import { ago, aJob, aJobDetail, aNode, anOffer, NOW } from '../fixtures/jobs/api.js';

describe('money', () => {
  it.each([
    [0, '$0.00'],
    [1.234, '$1.23'],
    [1.235, '$1.24'],
    [9.999, '$10.00'],
    [1234567.891, '$1,234,567.89'],
    [-2.5, '-$2.50'],
    [-0.001, '$0.00'],
    [null, '-'],
    [Number.NaN, '-'],
  ])('%s is shown as %s', (usd, text) => {
    expect(money(usd)).toBe(text);
  });
});

describe('relative times', () => {
  it.each([
    [ago(0), 'just now'],
    [ago(0.5), '30s ago'],
    [ago(3), '3m ago'],
    [ago(125), '2h ago'],
    [ago(60 * 24 * 3), '3d ago'],
    [ago(-90), 'in 1h'],
    [null, '-'],
    ['not a date', 'not a date'],
  ])('%s is %s', (iso, text) => {
    expect(relative(iso, NOW)).toBe(text);
  });
});

describe('tables', () => {
  it('aligns columns without borders, right-aligns where asked, and has no trailing blanks', () => {
    const text = table(
      ['ID', 'COST'],
      [
        ['a', '$1.00'],
        ['bbbb', '$100.00'],
      ],
      ['left', 'right'],
    );
    expect(text).toBe(['ID       COST', 'a       $1.00', 'bbbb  $100.00'].join('\n'));
  });

  it('lists jobs with what they ask for, where they run, their cost and why they wait', () => {
    const held = aJob({
      id: 'job-2',
      name: 'eval',
      state: 'held',
      reason: 'budget research-monthly: limit reached',
      placement: null,
      costUsd: 0,
      spec: { name: 'eval', command: ['x'], resources: { gpu: { fraction: 0.25, memoryGiB: 10 } } },
    });
    const lines = jobsTable([aJob(), held], NOW).split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TEAM\s+STATE\s+GPUS\s+PLACEMENT\s+COST\s+SUBMITTED\s+REASON$/);
    expect(lines[1]).toMatch(
      /^job-1\s+llama-8b-finetune\s+research\s+running\s+8x A100\|H100\s+aws us-east-1a p4d\.24xlarge spot\s+\$12\.50\s+3h ago$/,
    );
    expect(lines[2]).toMatch(
      /^job-2\s+eval\s+research\s+held\s+0\.25 GPU \(10 GiB\)\s+-\s+\$0\.00\s+3h ago\s+budget research-monthly: limit reached$/,
    );
  });

  it.each([
    {
      case: 'whole GPUs of several models',
      gpu: { models: ['A100', 'H100'], count: 8 },
      extra: {},
      text: '8x A100|H100',
    },
    { case: 'any model', gpu: { count: 2 }, extra: {}, text: '2x any' },
    {
      case: 'a gang of nodes',
      gpu: { count: 8, models: ['H100'] },
      extra: { nodes: 4 },
      text: '4 nodes x 8x H100',
    },
    {
      case: 'a fraction of one model',
      gpu: { fraction: 0.5, memoryGiB: 20, models: ['L4'] },
      extra: {},
      text: '0.5 L4 (20 GiB)',
    },
  ])('describes the GPU request: $case', ({ gpu, extra, text }) => {
    const job = aJob({ spec: { name: 'x', command: ['x'], resources: { gpu, ...extra } } });
    expect(jobGpus(job)).toBe(text);
  });

  it('counts inference replicas in the GPU request', () => {
    const spec = {
      name: 'x',
      kind: 'inference' as const,
      replicas: 3,
      command: ['x'],
      resources: { gpu: { count: 1 } },
    };
    expect(jobGpus(aJob({ spec }))).toBe('3 replicas x 1x any');
  });

  it('shows one job with ISO and relative times, its placement, and its events table', () => {
    const text = jobDetail(aJobDetail(), NOW);
    expect(text).toContain('Submitted   2026-06-01T09:00:00.000Z (3h ago)');
    expect(text).toContain('Cost        $12.50 so far, $40.00 expected');
    expect(text).toContain('Placement   aws us-east-1a p4d.24xlarge spot at $9.83/h on node-1');
    expect(text).toMatch(
      /Events:\nAT\s+FROM\s+TO\s+REASON\n2026-06-01T09:00:00\.000Z\s+-\s+queued\s+submitted\n/,
    );
    expect(text.split('\n').at(-1)).toMatch(/provisioning\s+running\s+node ready$/);
  });

  it('says so when a job has no events yet', () => {
    expect(jobDetail(aJobDetail({ events: [] }), NOW)).toMatch(/Events: none$/);
  });

  it('lists offers cheapest first, with the price per GPU, availability and age', () => {
    const dear = anOffer();
    const cheap = anOffer({
      cloud: 'gcp',
      region: 'us-central1',
      zone: 'us-central1-a',
      instanceType: 'a2-highgpu-1g',
      gpu: { model: 'A100', count: 1, memoryGiB: 40 },
      pricePerHour: 1.1,
      availability: { score: null, blockedUntil: ago(-10), interruptionsPerHour: null },
    });
    const lines = offersTable([dear, cheap], NOW).split('\n');
    expect(lines[0]).toMatch(
      /^CLOUD\s+REGION\s+ZONE\s+INSTANCE\s+GPUS\s+VCPUS\s+MEMORY\s+MARKET\s+PRICE\/H\s+PER GPU\/H\s+AVAIL\s+INTR\/H\s+OBSERVED$/,
    );
    expect(lines[1]).toMatch(
      /^gcp\s+us-central1\s+us-central1-a\s+a2-highgpu-1g\s+1x A100 40GiB .*\$1\.10\s+\$1\.10\s+blocked for 10m\s+-\s+2m ago$/,
    );
    expect(lines[2]).toMatch(
      /^aws\s+us-east-1\s+us-east-1a\s+p4d\.24xlarge\s+8x A100 40GiB\s+96\s+1152GiB\s+spot\s+\$9\.83\s+\$1\.23\s+0\.80\s+0\.050\s+2m ago$/,
    );
  });

  it('shows a regional offer (no zone) with a dash', () => {
    const text = offersTable([anOffer({ cloud: 'azure', region: 'eastus', zone: null })], NOW);
    expect(text.split('\n')[1]).toMatch(/^azure\s+eastus\s+-\s+/);
  });

  it('sums up price-source freshness on one line and flags stale sources', () => {
    const line = sourcesLine(
      [
        { cloud: 'aws', kind: 'spot', fetchedAt: ago(3), stale: false },
        { cloud: 'gcp', kind: 'catalog', fetchedAt: null, stale: true },
      ],
      NOW,
    );
    expect(line).toBe('sources: aws spot 3m ago, gcp catalog never fetched (STALE)');
    expect(sourcesLine([], NOW)).toBe('sources: none');
  });

  it('says why a failing source is stale', () => {
    const failing = {
      cloud: 'aws',
      kind: 'live',
      fetchedAt: ago(20),
      stale: true,
      lastError: 'Throttled: Rate exceeded',
    };
    expect(sourcesLine([failing], NOW)).toBe('sources: aws live 20m ago (STALE: Throttled: Rate exceeded)');
  });

  it('lists nodes with their price, state, cost and jobs', () => {
    const lines = nodesTable(
      [aNode(), aNode({ id: 'node-2', zone: null, state: 'terminated', jobIds: [] })],
      NOW,
    ).split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+CLOUD\s+REGION\s+ZONE\s+INSTANCE\s+GPUS\s+MARKET\s+PRICE\/H\s+STATE\s+CREATED\s+COST\s+JOBS$/,
    );
    expect(lines[1]).toMatch(
      /^node-1\s+aws\s+us-east-1\s+us-east-1a\s+p4d\.24xlarge\s+8x A100\s+spot\s+\$9\.83\s+ready\s+2h ago\s+\$20\.48\s+job-1$/,
    );
    expect(lines[2]).toMatch(/^node-2\s+aws\s+us-east-1\s+-\s+.*terminated.*\s+-$/);
  });
});

describe('error messages', () => {
  const conn = { tokenSource: 'none' as const, tokenFile: '/srv/gpusched/var/admin.token' };

  it('prints the server message and every issue as path: message', () => {
    const err = new ApiError(400, 'invalid', 'the job spec is invalid', [
      { path: 'resources.gpu.count', message: 'must be integer' },
      { path: '', message: 'must be object' },
    ]);
    expect(apiErrorLines(err, conn)).toEqual([
      'gpusched: the job spec is invalid',
      '  resources.gpu.count: must be integer',
      '  (root): must be object',
    ]);
  });

  it('explains a 401: which token was sent and how to set one', () => {
    const lines = apiErrorLines(new ApiError(401, 'unauthorized', 'bad token'), conn).join('\n');
    expect(lines).toMatch(/token is missing or wrong \(no token was sent: bad token\)/);
    expect(lines).toContain('GPUSCHED_TOKEN');
    expect(lines).toContain('--token');
    expect(lines).toContain('/srv/gpusched/var/admin.token');
    const fromEnv = apiErrorLines(new ApiError(401, 'unauthorized', 'bad token'), {
      ...conn,
      tokenSource: 'GPUSCHED_TOKEN',
    });
    expect(fromEnv[0]).toContain('the token from GPUSCHED_TOKEN was refused');
  });

  it('says the daemon is unreachable in one line, with the URL, the reason and what to do', () => {
    expect(unreachableMessage('http://127.0.0.1:7878', 'ECONNREFUSED')).toBe(
      'gpusched: cannot reach the daemon at http://127.0.0.1:7878 (ECONNREFUSED) — is it running? start it with "npm start" or set GPUSCHED_URL',
    );
  });
});

describe('--json output', () => {
  /** A fetch that answers each path with a canned body, so the commands run without a server. */
  function cannedFetch(bodies: Record<string, unknown>): typeof fetch {
    return async (input) => {
      const url = new URL(String(input));
      const body = bodies[url.pathname];
      return body === undefined
        ? new Response(JSON.stringify({ error: 'not_found', message: 'no such thing' }), { status: 404 })
        : new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          });
    };
  }

  const jobs = { items: [aJob()], nextCursor: null };
  const offers = {
    items: [anOffer(), anOffer({ pricePerHour: 1.5, instanceType: 'p3.2xlarge' })],
    sources: [{ cloud: 'aws', kind: 'spot', fetchedAt: ago(1), stale: false }],
  };
  const nodes = { items: [aNode()] };

  it.each([
    { command: ['jobs'], expected: jobs },
    { command: ['job', 'job-1'], expected: aJobDetail() },
    { command: ['nodes'], expected: nodes },
    { command: ['offers'], expected: { ...offers, items: [offers.items[1], offers.items[0]] } },
  ])(
    'gpusched $command.0 --json prints the API answer as JSON and nothing else',
    async ({ command, expected }) => {
      let out = '';
      let err = '';
      const code = await run([...command, '--json'], {
        out: (s) => {
          out += s;
        },
        err: (s) => {
          err += s;
        },
        env: { GPUSCHED_TOKEN: 't' },
        now: () => NOW,
        fetch: cannedFetch({
          '/v1/jobs': jobs,
          '/v1/jobs/job-1': aJobDetail(),
          '/v1/offers': offers,
          '/v1/nodes': nodes,
        }),
      });
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(out)).toEqual(expected);
    },
  );
});

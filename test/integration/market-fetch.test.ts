// `gpusched market fetch` and `gpusched catalog build --live`: one poll of a live cloud from the command
// line (the real AWS SDK against the fake, endpoints from the environment as an operator would set them),
// and a bundled-catalog snapshot that loads back to the same offers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import { run } from '../../src/cli/main.js';
import type { Offer } from '../../src/core/model.js';
import { poolKey } from '../../src/core/model.js';
import { type AwsFake, startAwsFake } from '../fakes/aws/index.js';

let fake: AwsFake;
const saved = { ...process.env };
beforeAll(async () => {
  fake = await startAwsFake();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  await fake.close();
  process.env = saved;
});

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { GPUSCHED_AWS_ENDPOINT: fake.endpoint, GPUSCHED_AWS_PRICING_ENDPOINT: fake.pricingEndpoint },
  });
  return { code, out, err };
}

describe('market fetch', () => {
  it('prints the live offers of the regions asked for, as JSON', async () => {
    const r = await cli(['market', 'fetch', '--cloud', 'aws', '--regions', 'us-east-1', '--json']);
    expect(r.code, r.err).toBe(0);
    const offers = JSON.parse(r.out) as Offer[];
    expect(offers.length).toBeGreaterThan(0);
    expect(new Set(offers.map((o) => o.region))).toEqual(new Set(['us-east-1']));
    expect(offers.every((o) => o.source === 'live' && o.cloud === 'aws')).toBe(true);
  });

  it('prints a table by default', async () => {
    const r = await cli(['market', 'fetch', '--cloud', 'aws', '--regions', 'us-east-1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/offers from aws/);
  });

  it('says what failed when the cloud cannot be reached', async () => {
    let err = '';
    const code = await run(['market', 'fetch', '--cloud', 'aws', '--regions', 'us-east-1'], {
      out: () => {},
      err: (t) => {
        err += t;
      },
      env: {
        GPUSCHED_AWS_ENDPOINT: 'http://127.0.0.1:1',
        GPUSCHED_AWS_PRICING_ENDPOINT: 'http://127.0.0.1:1',
      },
    });
    expect(code).toBe(1);
    expect(err).toMatch(/market fetch from aws failed/);
  }, 20_000);

  it('refuses to fetch without regions', async () => {
    const r = await cli(['market', 'fetch', '--cloud', 'aws']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no regions/);
  });
});

describe('catalog build --live', () => {
  it('writes a snapshot that loads back to the same pools and prices', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gpusched-snap-')), 'snap.json');
    const fetched = JSON.parse(
      (await cli(['market', 'fetch', '--cloud', 'aws', '--regions', 'us-west-2', '--json'])).out,
    ) as Offer[];
    const r = await run(['catalog', 'build', '--live', 'aws', '--out', out], {
      out: () => {},
      err: () => {},
      env: {
        GPUSCHED_AWS_ENDPOINT: fake.endpoint,
        GPUSCHED_AWS_PRICING_ENDPOINT: fake.pricingEndpoint,
        GPUSCHED_CONFIG: writeRegionsConfig('us-west-2'),
      },
    });
    expect(r).toBe(0);
    const loaded = loadCatalog(out, new Date().toISOString());
    const price = (list: Offer[]) => new Map(list.map((o) => [poolKey(o), o.pricePerHour]));
    const want = price(
      fetched.filter((o) =>
        fetched.some(
          (p) => p.market === 'on-demand' && p.instanceType === o.instanceType && p.zone === o.zone,
        ),
      ),
    );
    expect(price(loaded)).toEqual(want);
  });

  it('needs exactly one of --source and --live', async () => {
    expect(await run(['catalog', 'build'], { out: () => {}, err: () => {} })).toBe(2);
  });
});

function writeRegionsConfig(region: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gpusched-cfg-')), 'c.yaml');
  writeFileSync(file, `clouds:\n  aws:\n    regions: [${region}]\n`);
  return file;
}

// Cold start with and without cloud SDKs: a fresh Node process loads the daemon's modules and builds the
// adapters of the enabled clouds (no network call). Baseline: the same with no cloud enabled, which is
// what `npm start` on the simulated clouds pays. Median of 3 runs per variant.
//   npm run bench:cold-start
import { execFileSync } from 'node:child_process';

const variants = { none: [], aws: ['aws'], gcp: ['gcp'], azure: ['azure'], all: ['aws', 'gcp', 'azure'] };

const child = (clouds) => `
const t0 = performance.now();
await import('./dist/daemon.js');
const { loadLiveClouds } = await import('./dist/clouds/live.js');
const { loadConfig } = await import('./dist/config/load.js');
const c = structuredClone(loadConfig({ env: {} }));
const dead = 'http://127.0.0.1:9';
Object.assign(c.clouds.aws, { regions: ['us-east-1'], endpoint: dead, pricingEndpoint: dead, launch: { ...c.clouds.aws.launch, imageId: 'ami-1' } });
Object.assign(c.clouds.gcp, { project: 'p', regions: ['us-central1'], apiEndpoint: dead, launch: { image: 'i' } });
Object.assign(c.clouds.azure, { subscriptionId: 's', resourceGroup: 'g', regions: ['eastus'], endpoint: 'https://127.0.0.1:9',
  retailPricesUrl: dead, launch: { ...c.clouds.azure.launch, image: 'a:b:c:d', subnetId: '/x' } });
for (const k of ['aws', 'gcp', 'azure']) c.clouds[k].enabled = ${JSON.stringify(clouds)}.includes(k);
await loadLiveClouds(c, () => new Date());
console.log(JSON.stringify({ ms: performance.now() - t0, rssMiB: process.memoryUsage().rss / 2 ** 20 }));
process.exit(0);
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [name, clouds] of Object.entries(variants)) {
  const runs = [0, 1, 2].map(() =>
    JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', child(clouds)], {
        encoding: 'utf8',
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      })
        .trim()
        .split('\n')
        .pop(),
    ),
  );
  results[name] = { ms: median(runs.map((r) => r.ms)), rss: median(runs.map((r) => r.rssMiB)) };
}
const base = results.none;
console.log('clouds\tstart ms\t× none\tRSS MiB\t× none');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name}\t${r.ms.toFixed(0)}\t\t${(r.ms / base.ms).toFixed(2)}\t${r.rss.toFixed(0)}\t${(r.rss / base.rss).toFixed(2)}`,
  );
}

// A full market poll of each cloud against its wire-level fake serving realistic volume (30 regions ×
// 50 GPU shapes), through the real SDKs. Wall time and peak RSS, with the same poll of one region as the
// baseline measured in the same run (the ratio shows how a poll scales with regions).
//   npm run bench:poll
// The fakes run in the same process and share its two cores; figures include serving the answers.
import { it } from 'vitest';
import type { CloudAdapter } from '../src/clouds/ports.js';
import { awsOptions } from '../test/fakes/aws/harness.js';
import { startAwsFake } from '../test/fakes/aws/index.js';
import { startAzureFakes } from '../test/fakes/azure/index.js';
import { fakeAuthClient } from '../test/fakes/gcp/auth.js';
import { startGcpFake } from '../test/fakes/gcp/server.js';

interface Setup {
  adapter: CloudAdapter;
  close(): Promise<void>;
}

async function aws(regions: number, shapes: number): Promise<Setup> {
  const fake = await startAwsFake({ scale: { regions, typesPerRegion: shapes } });
  const { createAwsCloud } = await import('../src/clouds/aws/index.js');
  const adapter = await createAwsCloud(awsOptions(fake, { now: () => new Date() }));
  return {
    adapter,
    close: async () => {
      adapter.close();
      await fake.close();
    },
  };
}

async function gcp(regions: number, shapes: number): Promise<Setup> {
  const fake = await startGcpFake({ scale: { regions, shapes }, fillerSkus: 20_000 });
  const { createGcpCloud } = await import('../src/clouds/gcp/index.js');
  const adapter = await createGcpCloud({
    project: fake.project,
    regions: [],
    apiEndpoint: fake.url,
    authClient: fakeAuthClient(),
    launch: { image: 'unused' },
    clusterLabel: 'bench',
  });
  return { adapter, close: () => fake.close() };
}

async function azure(regions: number, shapes: number): Promise<Setup> {
  const fakes = await startAzureFakes({ scale: { regions, sizesPerRegion: shapes }, armPageSize: 100 });
  const { createAzureCloud } = await import('../src/clouds/azure/index.js');
  const adapter = await createAzureCloud(fakes.options());
  return { adapter, close: () => fakes.close() };
}

async function measure(setup: () => Promise<Setup>) {
  const s = await setup();
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  const offers = await s.adapter.market.poll(new Date());
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await s.close();
  return { ms, offers: offers.length, peakMiB: (peak - rss0) / 2 ** 20 };
}

it('polls every cloud at 1 and 30 regions × 50 shapes', async () => {
  const rows: string[] = ['cloud\tregions\toffers\tpoll ms\tratio to 1 region\tpeak RSS growth MiB'];
  for (const [name, setup] of [
    ['aws', aws],
    ['gcp', gcp],
    ['azure', azure],
  ] as const) {
    await measure(() => setup(1, 5)); // warm-up: the SDK's first load is the cold-start figure, not the poll's
    const one = await measure(() => setup(1, 50));
    const full = await measure(() => setup(30, 50));
    rows.push(`${name}\t1\t${one.offers}\t${one.ms.toFixed(0)}\t1.0\t${one.peakMiB.toFixed(0)}`);
    rows.push(
      `${name}\t30\t${full.offers}\t${full.ms.toFixed(0)}\t${(full.ms / one.ms).toFixed(1)}\t${full.peakMiB.toFixed(0)}`,
    );
  }
  console.log(`\n${rows.join('\n')}\n`);
});

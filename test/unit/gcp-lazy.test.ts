// The daemon imports src/clouds/gcp/index.ts only when GCP is enabled, and even then the SDKs
// (@google-cloud/compute costs ~1.2 s to load) must wait until createGcpCloud runs.
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

it('importing the GCP adapter does not load the Google SDKs', async () => {
  const m = await import('../../src/clouds/gcp/index.js');
  expect(typeof m.createGcpCloud).toBe('function');
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) =>
    k.includes('@google-cloud/'),
  );
  expect(loaded).toEqual([]);
});

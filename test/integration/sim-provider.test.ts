import { describe, expect, it } from 'vitest';
import { SimProvider } from '../../src/clouds/sim/provider.js';
import { poolKey } from '../../src/core/model.js';
import { migrate, openDb } from '../../src/store/db.js';
import { capacityProviderConformance } from '../conformance/capacity-provider.js';
import { offer, T0 } from '../helpers/builders.js';

capacityProviderConformance('the simulated cloud', async () => {
  const db = openDb(':memory:');
  migrate(db);
  const provider = new SimProvider(db, { timeScale: 360, bootSeconds: 90, now: () => T0 });
  const o = offer();
  return {
    provider,
    offer: o,
    failLaunchesForCapacity: () => provider.injectLaunchFault(poolKey(o), 'InsufficientCapacity'),
    cleanup: () => {
      db.close();
    },
  };
});

describe('what the simulated cloud lists', () => {
  it('follows launches, notices and terminations as a fresh reader of its table does, for an hour after a launch', async () => {
    const db = openDb(':memory:');
    migrate(db);
    let now = T0.getTime();
    const opts = { timeScale: 1, bootSeconds: 60, now: () => new Date(now) };
    const provider = new SimProvider(db, opts);
    const listed = async (p: SimProvider) => (await p.list()).map((i) => `${i.nodeId}:${i.state}`);
    const expectListed = async (expected: string[]) => {
      expect(await listed(provider)).toEqual(expected);
      expect(await listed(new SimProvider(db, opts))).toEqual(expected);
    };
    const launch = (nodeId: string, market: 'spot' | 'on-demand') =>
      provider.launch({ nodeId, offer: offer({ market }), tags: {} });
    expect(await provider.list()).toEqual([]);
    const a = await launch('a', 'spot');
    now += 30_000;
    const b = await launch('b', 'on-demand');
    await expectListed(['a:pending', 'b:pending']);
    now += 60_000;
    provider.interrupt(a.providerId);
    await expectListed(['a:running', 'b:running']);
    now += 121_000; // past the AWS notice
    await provider.terminate(b.providerId);
    await expectListed(['a:terminated', 'b:terminated']);
    now = T0.getTime() + 3_600_000 + 10_000; // an hour after a's launch, not yet after b's
    await expectListed(['b:terminated']);
    now += 60_000;
    await expectListed([]);
    db.close();
  });
});

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

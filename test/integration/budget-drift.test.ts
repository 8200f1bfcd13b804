// Reconciling the ledger with Azure's bill: the real Azure adapter reads usage details (@azure/arm-consumption)
// from the ARM fake, and each policy gets the part of every node's bill that its jobs' share of that node's
// ledger spend makes, over the whole UTC days of its period so far.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAzureCloud } from '../../src/clouds/azure/index.js';
import { queuedJob } from '../../src/core/model.js';
import { loadPolicyDir } from '../../src/policies/load.js';
import type { Policy } from '../../src/policies/schema.js';
import { BudgetReconciler, billingSources } from '../../src/services/budget-reconcile.js';
import { openStore, type Store } from '../../src/store/store.js';
import { type AzureFakes, startAzureFakes } from '../fakes/azure/index.js';
import { node, spec } from '../helpers/builders.js';

let fakes: AzureFakes | undefined;
afterEach(async () => {
  await fakes?.close();
  fakes = undefined;
});

const NOW = new Date('2026-11-03T10:00:00Z');
const ours = (nodeId: string) => ({ 'gpusched-node': nodeId, 'gpusched-cluster': 'test-cluster' });

function policies(): Policy[] {
  const dir = mkdtempSync(join(tmpdir(), 'gpusched-drift-'));
  writeFileSync(
    join(dir, 'p.yaml'),
    'name: research-monthly\nscope: { team: research }\nperiod: monthly\nlimitUsd: 1000\n',
  );
  const loaded = loadPolicyDir(dir);
  if (!loaded.ok) throw new Error('bad test policy');
  return [...loaded.set.policies];
}

/** A store whose ledger holds `usd` for `team` on `nodeId` over [from, to). */
function spend(store: Store, team: string, nodeId: string, from: string, to: string, usd: number): void {
  const id = `job-${team}-${nodeId}-${from}`;
  store.jobs.insert(queuedJob({ id, team, spec: spec(), submittedAt: from }));
  if (!store.nodes.get(nodeId))
    store.nodes.insert({ ...node({ id: nodeId, cloud: 'azure', provider: 'azure' }) });
  const [a, b] = [Date.parse(from), Date.parse(to)];
  store.budgets.append(id, from, 'azure', {
    nodeId,
    from: a,
    to: b,
    pricePerHour: usd / ((b - a) / 3_600_000),
    share: 1,
    hours: (b - a) / 3_600_000,
    usd,
    opensPeriod: true,
  });
}

describe('drift against Azure usage details', () => {
  it('shares each node’s bill by the ledger’s split of it, over the period’s whole days so far', async () => {
    fakes = await startAzureFakes({ armPageSize: 2 });
    const cloud = await createAzureCloud(fakes.options());
    const store = openStore(':memory:');
    spend(store, 'research', 'n1', '2026-11-01T08:00:00Z', '2026-11-01T18:00:00Z', 10);
    spend(store, 'vision', 'n1', '2026-11-02T08:00:00Z', '2026-11-02T13:00:00Z', 5);
    spend(store, 'research', 'n2', '2026-11-02T01:00:00Z', '2026-11-02T05:00:00Z', 4);
    // Today is not compared: Azure has not billed it yet.
    spend(store, 'research', 'n2', '2026-11-03T01:00:00Z', '2026-11-03T05:00:00Z', 4);
    fakes.arm.addUsage({ date: '2026-11-01', cost: 12, tags: ours('n1') });
    fakes.arm.addUsage({ date: '2026-11-02', cost: 6, tags: ours('n1') });
    fakes.arm.addUsage({ date: '2026-11-02', cost: 4.4, tags: ours('n2') });
    fakes.arm.addUsage({ date: '2026-11-02', cost: 7, tags: ours('n3') }); // idle: no job ran on it

    const reconciler = new BudgetReconciler(
      store,
      policies,
      billingSources({ azure: cloud, aws: {} }),
      pino({ level: 'silent' }),
    );
    await reconciler.reconcile(NOW);
    // n1 billed $18, research spent 10 of its 15 ledger dollars there → $12; n2's $4.40 is all research's.
    const [drift] = store.budgets.drift('research-monthly', '2026-11');
    expect(drift).toMatchObject({
      cloud: 'azure',
      fromDay: '2026-11-01',
      toDay: '2026-11-03',
      ledgerUsd: 14,
      checkedAt: NOW.toISOString(),
    });
    expect(drift?.billedUsd).toBeCloseTo(16.4, 9);

    // A failed read keeps the last drift rather than replacing it with nothing.
    fakes.arm.faults.fail(10, { status: 500, match: 'usageDetails' });
    await reconciler.reconcile(new Date('2026-11-04T10:00:00Z'));
    expect(store.budgets.drift('research-monthly', '2026-11')).toEqual([drift]);
    store.close();
  });

  it('finds the clouds whose adapter can read a bill, and no other', () => {
    const reader = { spendByNode: async () => ({ currency: 'USD', byNode: {} }) };
    expect(billingSources({ azure: reader, aws: {}, gcp: undefined }).map((s) => s.cloud)).toEqual(['azure']);
  });
});

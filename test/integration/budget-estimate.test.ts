// A job's estimate at submission is its cheapest expected cost over the offers. With a floor under the cost
// (the nodes' time alone) the offers are tried from the lowest floor up and the search stops early; the answer
// must be the one pricing every offer gives, ties included, for jobs whose cost the floor misses by much (data
// far away, deadlines, interruptions).
import { describe, expect, it } from 'vitest';
import { defaultCatalogPath, loadCatalog } from '../../src/catalog/load.js';
import { loadCostTables } from '../../src/config/cost-tables.js';
import { validateJobSpec } from '../../src/core/jobspec.js';
import { costModel, nodeTimeFloor } from '../../src/core/placement/model-cost.js';
import type { BudgetBook } from '../../src/services/budget-book.js';
import { type BudgetDeps, Budgets } from '../../src/services/budgets.js';
import { openStore } from '../../src/store/store.js';
import { T0 } from '../helpers/builders.js';

const tables = loadCostTables();
const offers = loadCatalog(defaultCatalogPath(), T0.toISOString());
const deps: BudgetDeps = {
  store: openStore(':memory:'),
  book: {} as BudgetBook,
  policies: () => [],
  cost: costModel({ tables, restartHours: 5 / 60, noticeMarginSeconds: 5 }),
  offers: () => offers,
};
const everyOffer = new Budgets(deps);
const withFloor = new Budgets({
  ...deps,
  costFloor: nodeTimeFloor({ tables }),
});

const specs: [string, object][] = [
  [
    'one A100 for two hours',
    { resources: { gpu: { models: ['A100'], count: 1 } }, runtime: { estimateHours: 2 } },
  ],
  [
    'eight GPUs of any model, data in another cloud',
    {
      resources: { gpu: { count: 8 } },
      runtime: { estimateHours: 10 },
      data: [{ uri: 'gs://d', region: 'gcp:us-central1', sizeGiB: 2000 }],
    },
  ],
  [
    'a deadline that spot cannot make',
    {
      resources: { gpu: { models: ['V100', 'T4'], count: 1 } },
      runtime: { estimateHours: 3 },
      deadline: new Date(T0.getTime() + 3.2 * 3_600_000).toISOString(),
    },
  ],
  [
    'spot with no checkpoint (interruptions cost it the run)',
    { resources: { gpu: { models: ['H100'], count: 8 } }, runtime: { estimateHours: 20 }, market: 'spot' },
  ],
  [
    'a fraction of a GPU, serving',
    { kind: 'inference', resources: { gpu: { fraction: 0.5, memoryGiB: 10 } } },
  ],
  [
    'a model nobody sells',
    { resources: { gpu: { models: ['B200'], count: 1 } }, runtime: { estimateHours: 1 } },
  ],
];

describe('the estimate with a floor under the cost', () => {
  it.each(specs)('is the estimate of every offer priced: %s', (_, over) => {
    const parsed = validateJobSpec({ name: 'j', image: 'i', ...over }, T0);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const subject = { team: 'research', spec: parsed.spec };
    expect(withFloor.estimate(subject, T0)).toEqual(everyOffer.estimate(subject, T0));
  });
});

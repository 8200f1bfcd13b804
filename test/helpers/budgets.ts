// Budgets in integration tests: a test daemon with policy files written into its (otherwise empty) policy folder,
// the simulated cloud billing wall-clock time (timeScale 1, so an hour of the test clock is an hour of spend),
// and small verbs for jobs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { ADMIN, type TestDaemon, testDaemon } from './daemon.js';

export const HOUR = 3600;

/** A whole 8×A100 node's worth of work: each job pays its whole node, so prices are easy to follow. */
export function a100Job(over: Record<string, unknown> = {}) {
  return {
    name: 'train',
    image: 'ghcr.io/acme/train:1',
    resources: { gpu: { models: ['A100'], count: 8 } },
    runtime: { estimateHours: 2 },
    ...over,
  };
}

/** A daemon whose policy folder holds `files` (name → YAML) when it starts. */
export async function budgetDaemon(
  files: Record<string, string>,
  change: (c: Config) => void = () => {},
): Promise<TestDaemon> {
  return testDaemon((c) => {
    c.sim.timeScale = 1;
    // A run is written to the ledger every minute; what it spent since is counted live.
    c.policies.ledgerSeconds = 60;
    for (const [name, text] of Object.entries(files)) writeFileSync(join(c.policies.dir, name), text);
    change(c);
  });
}

export async function submit(d: TestDaemon, token: string, body: object = a100Job()) {
  const r = await d.call('POST', '/v1/jobs', token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; state: string; reason: string | null };
}

export async function job(d: TestDaemon, id: string) {
  return (await d.call('GET', `/v1/jobs/${id}`, ADMIN)).body;
}

/** Launch, boot (90 s) and start: the job runs from the clock's time then. */
export async function startAll(d: TestDaemon): Promise<void> {
  await d.advance(0);
  await d.advance(90);
}

/** One policy of GET /v1/budgets, as the admin sees it. */
export async function budget(d: TestDaemon, name: string) {
  const items = (await d.call('GET', '/v1/budgets', ADMIN)).body.items as { name: string }[];
  const found = items.find((b) => b.name === name);
  expect(found, `policy ${name} in ${JSON.stringify(items)}`).toBeDefined();
  return found as any;
}

/** What the ledger counted in [from, to) for every job, from its rows (pro-rated as the budgets count them). */
export function ledgerSpend(d: TestDaemon, from: string, to: string): number {
  return d.store.budgets.spentByGroup(Date.parse(from), Date.parse(to)).reduce((sum, g) => sum + g.usd, 0);
}

/** Advances the clock in steps of at most `step` seconds (each runs a control tick). */
export async function run(d: TestDaemon, seconds: number, step = 600): Promise<void> {
  for (let left = seconds; left > 0; left -= step) await d.advance(Math.min(step, left));
}

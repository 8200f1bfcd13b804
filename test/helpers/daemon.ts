// A daemon for integration tests: the real composition root on an in-memory database, a temporary data
// directory and a clock the test moves; no port, no timers (the test calls tick()).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { type Daemon, startDaemon } from '../../src/daemon.js';
import { T0 } from './builders.js';

export const ADMIN = 'test-admin-token-0123456789';

export interface TestDaemon extends Daemon {
  clock: { now: Date };
  /** Moves the clock by wall seconds and runs one control tick. */
  advance(seconds: number): Promise<void>;
  /** Calls the API as a bearer of `token`. */
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  teamToken(team: string): Promise<string>;
}

export async function testDaemon(change: (c: Config) => void = () => {}): Promise<TestDaemon> {
  const base = loadConfig({ env: {} });
  const config = structuredClone(base) as Config;
  config.dataDir = mkdtempSync(join(tmpdir(), 'gpusched-test-'));
  // No budgets unless a test writes policies: the examples in policies/ are not the tests' business.
  config.policies.dir = mkdtempSync(join(tmpdir(), 'gpusched-policies-'));
  // Removed when the daemon stops: a suite run leaves nothing behind in the temp folder.
  const made = [config.dataDir, config.policies.dir];
  config.database.file = ':memory:';
  config.api.adminToken = ADMIN;
  config.log.level = 'silent';
  change(config);
  const clock = { now: T0 };
  const d = await startDaemon(config, {
    now: () => clock.now,
    manualTicks: true,
    noListen: true,
    logger: pino({ level: 'silent' }),
  });
  const call: TestDaemon['call'] = async (method, url, token, body, headers = {}) => {
    const res = await d.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  return {
    ...d,
    async stop() {
      await d.stop();
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
    clock,
    call,
    async advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
      await d.tick();
    },
    async teamToken(team) {
      const r = await call('POST', '/v1/tokens', ADMIN, { team });
      return r.body.token as string;
    },
  };
}

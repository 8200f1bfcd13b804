// `gpusched agent` as the boot scripts start it, in-process: settings from the environment they write, the
// agent registers and heartbeats, and SIGTERM stops it (exit 0). Its log carries the node id and never the token.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { startMetadataServer } from '../../src/clouds/sim/metadata-server.js';
import { FakeAgentDaemon } from '../fakes/agent-daemon.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('gpusched agent', () => {
  it('runs with the boot script’s environment until SIGTERM', async () => {
    const daemon = await FakeAgentDaemon.start({ nodeId: 'node-cli', heartbeatSeconds: 5 });
    const metadata = await startMetadataServer({ cloud: 'gcp' });
    const written: string[] = [];
    // pino writes to fd 1 through its own stream; keep what it writes.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let err = '';
    try {
      const exit = run(
        [
          'agent',
          '--heartbeat-seconds',
          '0.1',
          '--data-dir',
          mkdtempSync(join(tmpdir(), 'gpusched-agent-cli-')),
        ],
        {
          env: {
            GPUSCHED_URL: daemon.url,
            GPUSCHED_TOKEN: daemon.bootstrapToken,
            GPUSCHED_NODE_ID: 'node-cli',
            GPUSCHED_CLOUD: 'gcp',
            GPUSCHED_AGENT_RUNTIME: 'process',
            GPUSCHED_METADATA_ENDPOINT: metadata.url,
          },
          err: (s) => {
            err += s;
          },
        },
      );
      await daemon.waitFor('two heartbeats', () => daemon.heartbeats.length >= 2);
      process.kill(process.pid, 'SIGTERM');
      expect(await exit).toBe(0);
      expect(err).toBe('gpusched agent: stopped\n');
      expect(daemon.registers[0]!.body).toMatchObject({
        nodeId: 'node-cli',
        cloud: 'gcp',
        runtime: 'process',
      });
    } finally {
      vi.restoreAllMocks();
      await daemon.close();
      await metadata.close();
    }
    const log = written.join('');
    expect(log).toContain('"nodeId":"node-cli"');
    expect(log).toContain('registered with the daemon');
    expect(log).not.toContain(daemon.bootstrapToken);
    expect(log).not.toContain(daemon.sessionToken);
  });
});

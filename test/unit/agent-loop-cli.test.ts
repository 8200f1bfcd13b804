// `gpusched agent`'s settings: flags, then the variables the boot scripts write (src/agent/bootstrap.ts), and a
// usage error (exit 2) naming both for whatever is missing. The token's value is never shown.
import { describe, expect, it } from 'vitest';
import { resolveAgentSettings } from '../../src/cli/commands/agent.js';
import { CliError } from '../../src/cli/errors.js';
import { run } from '../../src/cli/main.js';

const env = {
  GPUSCHED_URL: 'https://sched.example.test:7878/',
  GPUSCHED_TOKEN: 'boot-secret-value',
  GPUSCHED_NODE_ID: 'node-7',
  GPUSCHED_CLOUD: 'gcp',
  GPUSCHED_AGENT_RUNTIME: 'docker',
  GPUSCHED_METADATA_ENDPOINT: '127.0.0.1:9999',
};

function usageError(f: () => unknown): CliError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return e as CliError;
  }
  throw new Error('expected a usage error');
}

describe('gpusched agent settings', () => {
  it('reads what the boot script writes', () => {
    expect(resolveAgentSettings({}, env)).toMatchObject({
      daemonUrl: 'https://sched.example.test:7878',
      token: 'boot-secret-value',
      tokenSource: 'GPUSCHED_TOKEN',
      nodeId: 'node-7',
      cloud: 'gcp',
      runtime: 'docker',
      metadataEndpoint: '127.0.0.1:9999',
      dataDir: '/var/lib/gpusched',
      checkpointRoot: '/var/lib/gpusched/checkpoints',
      scratchRoot: '/var/lib/gpusched/scratch',
      sessionFile: '/var/lib/gpusched/agent/session-node-7.json',
      logLevel: 'info',
    });
  });

  it('lets flags win over the environment', () => {
    const s = resolveAgentSettings(
      {
        nodeId: 'node-8',
        cloud: 'azure',
        runtime: 'process',
        metadataEndpoint: 'http://127.0.0.1:1',
        daemonUrl: 'http://10.0.0.1:7878',
        url: 'http://ignored:1',
        dataDir: '/tmp/agent',
        checkpointRoot: '/shared/ckpt',
        heartbeatSeconds: 1,
      },
      env,
    );
    expect(s).toMatchObject({
      nodeId: 'node-8',
      cloud: 'azure',
      runtime: 'process',
      metadataEndpoint: 'http://127.0.0.1:1',
      daemonUrl: 'http://10.0.0.1:7878',
      checkpointRoot: '/shared/ckpt',
      scratchRoot: '/tmp/agent/scratch',
      heartbeatSeconds: 1,
    });
    expect(
      resolveAgentSettings({ url: 'http://global:1' }, { ...env, GPUSCHED_URL: undefined }).daemonUrl,
    ).toBe('http://global:1');
    expect(resolveAgentSettings({}, { ...env, GPUSCHED_METADATA_ENDPOINT: undefined }).metadataEndpoint).toBe(
      undefined,
    );
  });

  it.each([
    ['GPUSCHED_NODE_ID', 'no node id: pass --node-id or set GPUSCHED_NODE_ID'],
    ['GPUSCHED_CLOUD', 'no cloud: pass --cloud or set GPUSCHED_CLOUD'],
    ['GPUSCHED_AGENT_RUNTIME', 'no runtime: pass --runtime or set GPUSCHED_AGENT_RUNTIME'],
    ['GPUSCHED_URL', 'no daemon URL: pass --daemon-url or set GPUSCHED_URL'],
    ['GPUSCHED_TOKEN', 'no bootstrap token: pass --token or set GPUSCHED_TOKEN'],
  ])('names the flag and the variable when %s is missing', (name, message) => {
    const err = usageError(() => resolveAgentSettings({}, { ...env, [name]: undefined }));
    expect(err.message).toBe(`gpusched agent: ${message}`);
    // Blank counts as missing.
    expect(usageError(() => resolveAgentSettings({}, { ...env, [name]: '  ' })).message).toBe(err.message);
  });

  it('refuses values it cannot use, without showing the token', () => {
    expect(usageError(() => resolveAgentSettings({}, { ...env, GPUSCHED_CLOUD: 'oci' })).message).toMatch(
      /GPUSCHED_CLOUD must be one of aws, gcp, azure, got "oci"/,
    );
    expect(
      usageError(() => resolveAgentSettings({}, { ...env, GPUSCHED_AGENT_RUNTIME: 'podman' })).message,
    ).toMatch(/docker or process/);
    expect(usageError(() => resolveAgentSettings({}, { ...env, GPUSCHED_URL: 'ftp://x' })).message).toMatch(
      /http:\/\/ or https:\/\//,
    );
    const bad = usageError(() => resolveAgentSettings({}, { ...env, GPUSCHED_URL: 'not a url' }));
    expect(bad.message).not.toContain('boot-secret-value');
  });

  it('exits 2 from the command line, naming what is missing', async () => {
    let err = '';
    const code = await run(['agent', '--cloud', 'aws', '--runtime', 'process'], {
      env: { GPUSCHED_URL: 'http://127.0.0.1:1', GPUSCHED_TOKEN: 't' },
      err: (s) => {
        err += s;
      },
      out: () => {},
    });
    expect(code).toBe(2);
    expect(err).toBe('gpusched agent: no node id: pass --node-id or set GPUSCHED_NODE_ID\n');
  });

  it('refuses an unknown --cloud through commander', async () => {
    let err = '';
    const code = await run(['agent', '--cloud', 'oci'], {
      env: {},
      err: (s) => {
        err += s;
      },
      out: () => {},
    });
    expect(code).toBe(2);
    expect(err).toMatch(/--cloud <cloud>' argument 'oci' is invalid/);
  });
});

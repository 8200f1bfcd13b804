// The boot scripts under a real bash: every variant parses (`bash -n`, and `sh -n` for the run-agent
// wrapper it writes), and a script actually run — its paths moved into a temporary directory, with
// stand-in `npm`, `docker`, `systemctl` and `gpusched` on PATH that record what they were given —
// hands the agent every value exactly as written, hostile quoting included.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AgentInstall,
  type AgentRuntime,
  type BootstrapInput,
  bootstrapScript,
} from '../../src/agent/bootstrap.js';
import { CLOUDS } from '../../src/core/model.js';

const INSTALLS: AgentInstall[] = [
  { method: 'npm', version: '0.1.0' },
  { method: 'image', image: 'registry.acme.test/gpusched:0.1.0' },
  { method: 'command', command: 'cp /opt/gpusched/bin/gpusched /usr/local/bin/ && echo "installed"' },
  { method: 'preinstalled' },
];
const RUNTIMES: AgentRuntime[] = ['docker', 'process'];

// Values that break naive quoting: quotes of both kinds, spaces, $, backticks, command substitution.
const HOSTILE = {
  daemonUrl: "https://d.example:7878/p?a='1'&b=$HOME",
  nodeId: 'n \'1\' "two" $HOME `id` \\ ;touch PWNED',
  bootstrapToken: 't0k\'en $(touch PWNED) "q" `x`',
};
const AGENT_VARS = [
  'GPUSCHED_URL',
  'GPUSCHED_TOKEN',
  'GPUSCHED_NODE_ID',
  'GPUSCHED_CLOUD',
  'GPUSCHED_AGENT_RUNTIME',
  'GPUSCHED_METADATA_ENDPOINT',
];

// The scripts run with a PATH of stand-ins only, so bash itself is named by its full path.
const BASH = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();

const base = (over: Partial<BootstrapInput> = {}): BootstrapInput => ({
  cloud: 'gcp',
  ...HOSTILE,
  install: { method: 'npm', version: '0.1.0' },
  runtime: 'process',
  ...over,
});

/** The run-agent wrapper, as the script writes it (the body of its heredoc). */
function runAgentBody(text: string): string {
  const all = text.split('\n');
  const start = all.indexOf(`cat > /etc/gpusched/run-agent <<'GPUSCHED_EOF'`);
  const end = all.indexOf('GPUSCHED_EOF', start + 1);
  return all.slice(start + 1, end).join('\n');
}

function syntaxCheck(shell: 'bash' | 'sh', text: string) {
  return spawnSync(shell, ['-n'], { input: text, encoding: 'utf8' });
}

describe('every variant parses', () => {
  const variants = CLOUDS.flatMap((cloud) =>
    INSTALLS.flatMap((install) =>
      RUNTIMES.map((runtime) => [cloud, install.method, runtime, install] as const),
    ),
  );

  it.each(variants)('%s, %s install, %s runtime', (cloud, _method, runtime, install) => {
    const { text } = bootstrapScript(base({ cloud, install, runtime }));
    const script = syntaxCheck('bash', text);
    expect(script.stderr).toBe('');
    expect(script.status).toBe(0);
    const wrapper = syntaxCheck('sh', runAgentBody(text));
    expect(wrapper.stderr).toBe('');
    expect(wrapper.status).toBe(0);
  });
});

describe('a script run on a stand-in machine', () => {
  let root = '';
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = '';
  });

  /** A temporary "machine": its /etc, /var and systemd paths, and a bin of recording stand-ins. */
  function machine(opts: { systemd: boolean; tools: Array<'npm' | 'docker' | 'systemctl'> }) {
    root = mkdtempSync(join(tmpdir(), 'gpusched-boot-'));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    // Only the system tools the scripts use: a real npm, docker or systemctl on this machine must
    // never be reached (npm would go to the network).
    const sys = join(root, 'sysbin');
    mkdirSync(sys);
    for (const t of ['install', 'cat', 'chmod', 'mv', 'nohup', 'sh']) {
      const found = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(found, join(sys, t));
    }
    mkdirSync(join(root, 'systemd'));
    if (opts.systemd) mkdirSync(join(root, 'run-systemd'));
    const tool = (name: string, body: string[]) => {
      writeFileSync(join(bin, name), ['#!/bin/sh', ...body, ''].join('\n'));
      chmodSync(join(bin, name), 0o755);
    };
    // What the agent was started with: its arguments, one per line, then its environment.
    const record = (file: string) => [
      `{ printf 'arg=%s\\n' "$@"`,
      ...AGENT_VARS.map((v) => `  printf '${v}=%s\\n' "$${v}"`),
      `} > '${root}/${file}.tmp' && mv '${root}/${file}.tmp' '${root}/${file}'`,
    ];
    tool('gpusched', [
      `if [ "$1" = --version ]; then cat '${root}/installed-version' 2>/dev/null; exit 0; fi`,
      ...record('agent.record'),
    ]);
    if (opts.tools.includes('npm')) {
      tool('npm', [
        `printf '%s\\n' "$*" >> '${root}/npm.calls'`,
        'for a in "$@"; do last=$a; done',
        `printf '%s' "\${last##*@}" > '${root}/installed-version'`,
      ]);
    }
    if (opts.tools.includes('docker')) {
      tool('docker', [
        `printf '%s\\n' "$1" >> '${root}/docker.calls'`,
        'if [ "$1" = run ]; then',
        ...record('docker-run.record'),
        'fi',
      ]);
    }
    if (opts.tools.includes('systemctl'))
      tool('systemctl', [`printf '%s\\n' "$*" >> '${root}/systemctl.calls'`]);
    return { bin, path: `${bin}:${sys}` };
  }

  /** The script with its absolute paths moved under `root`. */
  function relocate(text: string): string {
    return text
      .replaceAll('/etc/systemd/system', join(root, 'systemd'))
      .replaceAll('/run/systemd/system', join(root, 'run-systemd'))
      .replaceAll('/etc/gpusched', join(root, 'etc'))
      .replaceAll('/var/lib/gpusched', join(root, 'data'))
      .replaceAll('/var/log/gpusched-agent.log', join(root, 'agent.log'));
  }

  function runScript(text: string, path: string) {
    const file = join(root, 'bootstrap.sh');
    writeFileSync(file, relocate(text));
    return spawnSync(BASH, [file], { cwd: root, encoding: 'utf8', env: { PATH: path, HOME: root } });
  }

  async function waitFor(file: string): Promise<string> {
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
    return readFileSync(file, 'utf8');
  }

  const expectedRecord = (input: BootstrapInput, endpoint: string) =>
    [
      'arg=agent',
      'arg=--node-id',
      `arg=${input.nodeId}`,
      'arg=--cloud',
      `arg=${input.cloud}`,
      'arg=--runtime',
      `arg=${input.runtime}`,
      'arg=--metadata-endpoint',
      `arg=${endpoint}`,
      `GPUSCHED_URL=${input.daemonUrl}`,
      `GPUSCHED_TOKEN=${input.bootstrapToken}`,
      `GPUSCHED_NODE_ID=${input.nodeId}`,
      `GPUSCHED_CLOUD=${input.cloud}`,
      `GPUSCHED_AGENT_RUNTIME=${input.runtime}`,
      `GPUSCHED_METADATA_ENDPOINT=${endpoint}`,
      '',
    ].join('\n');

  it('without systemd: installs with npm and starts the agent with every value exactly as written', async () => {
    const { path } = machine({ systemd: false, tools: ['npm'] });
    const input = base();
    const run = runScript(bootstrapScript(input).text, path);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('gpusched-bootstrap: no systemd: starting the agent in the background');
    expect(run.stderr).toContain('gpusched-bootstrap: agent started');

    const record = await waitFor(join(root, 'agent.record'));
    expect(record).toBe(expectedRecord(input, 'http://metadata.google.internal'));
    expect(readFileSync(join(root, 'npm.calls'), 'utf8')).toBe(
      'install -g --no-audit --no-fund gpusched@0.1.0\n',
    );
    // Secrets stay in files only root can read; nothing the quoting let through ran.
    expect(statSync(join(root, 'etc')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'etc', 'agent.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'etc', 'run-agent')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
    expect(run.stdout + run.stderr).not.toContain('t0k');
  });

  it('run again (GCE runs it on every boot): keeps the installed version', async () => {
    const { path } = machine({ systemd: false, tools: ['npm'] });
    const { text } = bootstrapScript(base());
    expect(runScript(text, path).status).toBe(0);
    await waitFor(join(root, 'agent.record'));
    rmSync(join(root, 'agent.record'));
    expect(runScript(text, path).status).toBe(0);
    await waitFor(join(root, 'agent.record'));
    expect(readFileSync(join(root, 'npm.calls'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('with systemd: writes the unit, enables and restarts it; the unit command starts the agent', async () => {
    const { path } = machine({ systemd: true, tools: ['npm', 'systemctl'] });
    const input = base({ cloud: 'aws' });
    const run = runScript(bootstrapScript(input).text, path);
    expect(run.status).toBe(0);
    expect(readFileSync(join(root, 'systemctl.calls'), 'utf8')).toBe(
      'daemon-reload\nenable gpusched-agent.service\nrestart gpusched-agent.service\n',
    );
    const unit = readFileSync(join(root, 'systemd', 'gpusched-agent.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${join(root, 'etc', 'run-agent')}\n`);
    expect(statSync(join(root, 'systemd', 'gpusched-agent.service')).mode & 0o777).toBe(0o644);
    expect(existsSync(join(root, 'agent.record'))).toBe(false);

    // What systemd would do: run ExecStart with its own (minimal) environment.
    const service = spawnSync(join(root, 'etc', 'run-agent'), [], { env: { PATH: path }, encoding: 'utf8' });
    expect(service.status).toBe(0);
    expect(readFileSync(join(root, 'agent.record'), 'utf8')).toBe(
      expectedRecord(input, 'http://169.254.169.254'),
    );
  });

  it('agent image and docker runtime: pulls the image and runs the agent in it, the token in its environment', async () => {
    const { path } = machine({ systemd: false, tools: ['docker'] });
    const input = base({
      cloud: 'azure',
      runtime: 'docker',
      install: { method: 'image', image: 'registry.acme.test/gpusched:0.1.0' },
      metadataEndpoint: 'http://127.0.0.1:8090',
    });
    const run = runScript(bootstrapScript(input).text, path);
    expect(run.status).toBe(0);
    const record = await waitFor(join(root, 'docker-run.record'));
    expect(readFileSync(join(root, 'docker.calls'), 'utf8')).toBe('pull\nrm\nrun\n');
    const args = record
      .split('\n')
      .filter((l) => l.startsWith('arg='))
      .map((l) => l.slice(4));
    expect(args.slice(0, 6)).toEqual(['run', '--rm', '--name', 'gpusched-agent', '--network', 'host']);
    expect(args).toContain('GPUSCHED_TOKEN'); // -e NAME: passed through by name
    expect(args.join(' ')).not.toContain('t0k');
    const image = args.indexOf('registry.acme.test/gpusched:0.1.0');
    expect(args.slice(image + 1)).toEqual([
      'gpusched',
      'agent',
      '--node-id',
      input.nodeId,
      '--cloud',
      'azure',
      '--runtime',
      'docker',
      '--metadata-endpoint',
      'http://127.0.0.1:8090',
    ]);
    expect(record).toContain(`GPUSCHED_TOKEN=${input.bootstrapToken}\n`);
  });

  it.each([
    ['npm is missing', { method: 'npm', version: '0.1.0' }, 'process', /npm not found/],
    [
      'docker is missing for the docker runtime',
      { method: 'npm', version: '0.1.0' },
      'docker',
      /docker not found/,
    ],
    ['the image lacks a preinstalled agent', { method: 'preinstalled' }, 'process', /gpusched not found/],
  ] as const)(
    'stops with a plain message when %s, and prints no secret',
    (_case, install, runtime, message) => {
      const { path } = machine({ systemd: false, tools: [] });
      if (install.method === 'preinstalled') rmSync(join(root, 'bin', 'gpusched'));
      const run = runScript(bootstrapScript(base({ install, runtime })).text, path);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout + run.stderr).not.toContain('t0k');
    },
  );
});

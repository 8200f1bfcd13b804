// The boot scripts as generated text: what each cloud's launch gets (field, encoding), the lines that
// matter written out exactly, shell quoting of hostile values, where the secret token may and may not
// appear, and the inputs refused. That bash accepts and runs them: test/integration/bootstrap-bash.test.ts.
import { describe, expect, it } from 'vitest';
import {
  type AgentInstall,
  type BootstrapInput,
  bootstrapScript,
  shellQuote,
} from '../../src/agent/bootstrap.js';

const TOKEN = 'gst_boot_4f1c9a';

const input = (over: Partial<BootstrapInput> = {}): BootstrapInput => ({
  cloud: 'aws',
  daemonUrl: 'https://gpusched.internal:7878',
  nodeId: 'n-0042',
  bootstrapToken: TOKEN,
  install: { method: 'npm', version: '0.1.0' },
  runtime: 'process',
  ...over,
});

const lines = (text: string) => text.split('\n');

describe('shell quoting', () => {
  it.each([
    ['plain', 'n-0042', `'n-0042'`],
    ['empty', '', `''`],
    ['spaces', 'a b  c', `'a b  c'`],
    ['a single quote', "it's", `'it'\\''s'`],
    ['dollar, backticks, command substitution', '$HOME `id` $(id)', `'$HOME \`id\` $(id)'`],
    ['double quotes and backslashes', '"a\\b"', `'"a\\b"'`],
  ])('quotes %s so that it arrives as written', (_case, value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it('refuses NUL, which no shell string can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('what each cloud launch gets', () => {
  it.each([
    ['aws', 'UserData', 'base64', 'EC2 user-data: cloud-init runs it once, as root, on first boot'],
    ['gcp', 'startup-script', 'none', 'GCE startup-script: the guest agent runs it as root on every boot'],
    ['azure', 'customData', 'base64', 'Azure customData: cloud-init runs it once, as root, on first boot'],
  ] as const)('%s: %s, %s on the wire', (cloud, field, encoding, header) => {
    const s = bootstrapScript(input({ cloud }));
    expect(s).toMatchObject({ cloud, field, encoding });
    expect(lines(s.text)[0]).toBe('#!/bin/bash');
    expect(lines(s.text)[1]).toContain(header);
    const decoded = encoding === 'base64' ? Buffer.from(s.wire, 'base64').toString('utf8') : s.wire;
    expect(decoded).toBe(s.text);
  });

  it.each([
    ['aws', 'http://169.254.169.254'],
    ['gcp', 'http://metadata.google.internal'],
    ['azure', 'http://169.254.169.254'],
  ] as const)('%s: watches %s unless told otherwise', (cloud, endpoint) => {
    expect(lines(bootstrapScript(input({ cloud })).text)).toContain(
      `export GPUSCHED_METADATA_ENDPOINT='${endpoint}'`,
    );
    const custom = bootstrapScript(input({ cloud, metadataEndpoint: 'http://10.0.0.5:8080' }));
    expect(lines(custom.text)).toContain(`export GPUSCHED_METADATA_ENDPOINT='http://10.0.0.5:8080'`);
  });
});

describe('the agent environment file', () => {
  it('holds every setting, single-quoted, between a quoted heredoc', () => {
    const text = bootstrapScript(input()).text;
    const start = lines(text).indexOf(`cat > /etc/gpusched/agent.env <<'GPUSCHED_EOF'`);
    expect(lines(text).slice(start, start + 9)).toEqual([
      `cat > /etc/gpusched/agent.env <<'GPUSCHED_EOF'`,
      `export GPUSCHED_URL='https://gpusched.internal:7878'`,
      `export GPUSCHED_TOKEN='${TOKEN}'`,
      `export GPUSCHED_NODE_ID='n-0042'`,
      `export GPUSCHED_CLOUD='aws'`,
      `export GPUSCHED_AGENT_RUNTIME='process'`,
      `export GPUSCHED_METADATA_ENDPOINT='http://169.254.169.254'`,
      'GPUSCHED_EOF',
      'chmod 0600 /etc/gpusched/agent.env',
    ]);
  });

  it('quotes hostile values (quotes, spaces, $, backticks)', () => {
    const text = bootstrapScript(
      input({ nodeId: `n '1' "$HOME" \`id\``, bootstrapToken: `t'k $(reboot)` }),
    ).text;
    expect(lines(text)).toContain(`export GPUSCHED_NODE_ID='n '\\''1'\\'' "$HOME" \`id\`'`);
    expect(lines(text)).toContain(`export GPUSCHED_TOKEN='t'\\''k $(reboot)'`);
  });
});

describe('installing and starting the agent', () => {
  const text = (install: AgentInstall, runtime: 'docker' | 'process' = 'process') =>
    lines(bootstrapScript(input({ install, runtime })).text);
  const agentLine =
    'exec gpusched agent --node-id "$GPUSCHED_NODE_ID" --cloud "$GPUSCHED_CLOUD" --runtime "$GPUSCHED_AGENT_RUNTIME" --metadata-endpoint "$GPUSCHED_METADATA_ENDPOINT"';

  it('npm: installs the pinned version unless it is already there (GCE reruns the script on boot)', () => {
    const t = text({ method: 'npm', version: '0.1.0' });
    expect(t).toContain(`if [ "$(gpusched --version 2>/dev/null || true)" != '0.1.0' ]; then`);
    expect(t).toContain(`  npm install -g --no-audit --no-fund 'gpusched@0.1.0'`);
    expect(t).toContain(agentLine);
  });

  it('npm: another package name and a private registry', () => {
    const t = text({
      method: 'npm',
      version: '2.0.0',
      package: '@acme/gpusched',
      registry: 'https://artifacts.acme.test/npm/',
    });
    expect(t).toContain(
      `  npm install -g --no-audit --no-fund --registry 'https://artifacts.acme.test/npm/' '@acme/gpusched@2.0.0'`,
    );
  });

  it('image: pulls it and runs the agent in it, the token passed by name only', () => {
    const t = text({ method: 'image', image: 'registry.acme.test/gpusched:0.1.0' });
    expect(t).toContain(`export GPUSCHED_AGENT_IMAGE='registry.acme.test/gpusched:0.1.0'`);
    expect(t).toContain(`docker pull 'registry.acme.test/gpusched:0.1.0'`);
    expect(t).toContain('exec docker run --rm --name gpusched-agent --network host --user 0:0 --gpus all \\');
    expect(t).toContain(
      '  -e GPUSCHED_URL -e GPUSCHED_TOKEN -e GPUSCHED_NODE_ID -e GPUSCHED_CLOUD -e GPUSCHED_AGENT_RUNTIME \\',
    );
    expect(t.some((l) => l.startsWith('  "$GPUSCHED_AGENT_IMAGE" gpusched agent --node-id'))).toBe(true);
  });

  it('command: runs the operator command as written, then checks it left gpusched on PATH', () => {
    const t = text({
      method: 'command',
      command: 'curl -fsS https://artifacts.acme.test/agent.tgz | tar -xz -C /usr/local',
    });
    const at = t.indexOf('curl -fsS https://artifacts.acme.test/agent.tgz | tar -xz -C /usr/local');
    expect(at).toBeGreaterThan(0);
    expect(t[at + 1]).toBe('if ! command -v gpusched >/dev/null 2>&1; then');
  });

  it('preinstalled: only checks that the image has it', () => {
    const t = text({ method: 'preinstalled' });
    expect(t).toContain('if ! command -v gpusched >/dev/null 2>&1; then');
    expect(t.some((l) => l.includes('npm install'))).toBe(false);
  });

  it.each([
    ['the docker runtime', { method: 'npm', version: '0.1.0' }, 'docker', true],
    ['the agent image', { method: 'image', image: 'x/y:1' }, 'process', true],
    ['npm and the process runtime', { method: 'npm', version: '0.1.0' }, 'process', false],
  ] as const)(
    'requires Docker (and orders the unit after it) for %s: %s',
    (_case, install, runtime, needed) => {
      const t = text(install, runtime);
      expect(t.includes('if ! command -v docker >/dev/null 2>&1; then')).toBe(needed);
      expect(t.includes('After=network-online.target docker.service')).toBe(needed);
      expect(t.includes('Requires=docker.service')).toBe(needed);
    },
  );

  it('runs the agent as a systemd unit that lets the agent signal the job on shutdown', () => {
    const t = text({ method: 'npm', version: '0.1.0' });
    for (const line of [
      'ExecStart=/etc/gpusched/run-agent',
      'Restart=always',
      'KillMode=mixed',
      'TimeoutStopSec=25',
      '  systemctl enable gpusched-agent.service',
      '  systemctl restart gpusched-agent.service',
    ]) {
      expect(t).toContain(line);
    }
    expect(t).toContain('  nohup /etc/gpusched/run-agent >>/var/log/gpusched-agent.log 2>&1 </dev/null &');
  });
});

describe('the bootstrap token is a secret', () => {
  const installs: AgentInstall[] = [
    { method: 'npm', version: '0.1.0' },
    { method: 'image', image: 'x/y:1' },
    { method: 'command', command: 'true' },
    { method: 'preinstalled' },
  ];

  it.each(installs)('appears once, in the 0600 environment file, never on a command line (%o)', (install) => {
    const s = bootstrapScript(input({ install, runtime: 'docker' }));
    const holding = lines(s.text).filter((l) => l.includes(TOKEN));
    expect(holding).toEqual([`export GPUSCHED_TOKEN='${TOKEN}'`]);
    // Only the pass-through `-e GPUSCHED_TOKEN` of docker run names the variable elsewhere.
    const naming = lines(s.text).filter((l) => l.includes('GPUSCHED_TOKEN') && !l.startsWith('export '));
    expect(naming.every((l) => /-e GPUSCHED_TOKEN(?!=)/.test(l))).toBe(true);
    const code = lines(s.text).filter((l) => !l.startsWith('#'));
    expect(code.filter((l) => /set -x|set -o xtrace|\$GPUSCHED_TOKEN/.test(l))).toEqual([]);
    expect(s.text).toContain('umask 077');
  });

  it('is masked in the loggable form', () => {
    const s = bootstrapScript(input({ bootstrapToken: "t'k" }));
    expect(s.redacted).not.toContain("t'\\''k");
    expect(lines(s.redacted)).toContain(`export GPUSCHED_TOKEN='***'`);
    expect(s.redacted.replace(`'***'`, shellQuote("t'k"))).toBe(s.text);
  });
});

describe('inputs a script cannot carry', () => {
  it.each([
    ['a daemon URL that is no URL', { daemonUrl: 'gpusched:7878' }, /daemonUrl/],
    ['a daemon URL that is not http(s)', { daemonUrl: 'ftp://gpusched' }, /daemonUrl must be http/],
    ['a metadata endpoint that is no URL', { metadataEndpoint: '169.254.169.254' }, /metadataEndpoint/],
    ['an empty node id', { nodeId: '' }, /nodeId is empty/],
    ['an empty token', { bootstrapToken: '' }, /bootstrapToken is empty/],
    // A newline could end the heredoc early and turn the rest of the value into commands.
    [
      'a newline in the node id',
      { nodeId: 'n1\nGPUSCHED_EOF\nreboot' },
      /GPUSCHED_NODE_ID contains a line break/,
    ],
    ['a carriage return in the token', { bootstrapToken: 'abc\r' }, /GPUSCHED_TOKEN contains a line break/],
    ['a newline in the version', { install: { method: 'npm', version: '1\n2' } }, /install.version contains/],
    ['an empty version', { install: { method: 'npm', version: ' ' } }, /install.version is empty/],
    ['an empty image', { install: { method: 'image', image: '' } }, /install.image is empty/],
    ['an unknown runtime', { runtime: 'podman' }, /docker or process/],
    ['an unknown cloud', { cloud: 'oci' }, /no bootstrap for cloud 'oci'/],
  ] as Array<[string, Partial<BootstrapInput>, RegExp]>)('refuses %s', (_case, over, message) => {
    expect(() => bootstrapScript(input(over))).toThrow(message);
  });
});

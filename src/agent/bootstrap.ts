// The boot scripts that a cloud launch sends to install and start the node agent: EC2 user-data, the GCE
// `startup-script` metadata item, Azure customData. Pure text generation; the launch path puts `text`
// in LaunchRequest.bootstrap and each adapter encodes it as its API wants (`wire` shows that encoding).
//
// What a script does, on every cloud:
// 1. writes /etc/gpusched/agent.env (mode 0600): the daemon URL, the bootstrap token, the node id, the
//    cloud, the runtime, the metadata endpoint, as shell assignments, each value single-quoted;
// 2. writes /etc/gpusched/run-agent, a fixed wrapper that reads that file and execs `gpusched agent`
//    (the token reaches the agent through its environment, never its command line, which `ps` shows);
// 3. installs the agent (npm, a container image, an operator's command, or nothing when the image has it);
// 4. starts it as the systemd unit gpusched-agent.service (Restart=always; KillMode=mixed so that on
//    shutdown — a GCP preemption is an ACPI power-off — the agent, not systemd, signals the job first),
//    or in the background where there is no systemd.
//
// The bootstrap token is a secret. It sits in the script, and the script is readable where the cloud
// keeps it (EC2 user-data and GCE metadata through the metadata server by any process on the VM and the
// API by anyone allowed to describe the instance; Azure customData under /var/lib/waagent, root only).
// That is why it is a short-lived, node-scoped token the daemon swaps for the agent's own at
// registration. The script never prints it and never turns on tracing (set -x), because cloud-init and
// the GCE guest agent keep the script's output in logs (/var/log/cloud-init-output.log, the serial
// console). Callers must not log `text` or `wire` either: `redacted` is the loggable form.
import type { CloudName } from '../core/model.js';
import { DEFAULT_METADATA_ENDPOINTS } from './watchers/notice.js';

export type AgentRuntime = 'docker' | 'process';

/** How the agent gets onto the machine. */
export type AgentInstall =
  /** `npm install -g <package>@<version>`; the image needs Node.js 20+ with npm. */
  | { method: 'npm'; version: string; package?: string; registry?: string }
  /** The agent runs in this container image (host network, the Docker socket, all GPUs). */
  | { method: 'image'; image: string }
  /** An operator's own shell commands (trusted configuration, run as written); they leave `gpusched` on PATH. */
  | { method: 'command'; command: string }
  /** The machine image already has `gpusched` on PATH. */
  | { method: 'preinstalled' };

export interface BootstrapInput {
  cloud: CloudName;
  /** Where the agent reaches the daemon (GPUSCHED_URL). */
  daemonUrl: string;
  nodeId: string;
  /** The node-scoped bootstrap token issued for this launch. Secret: never log it. */
  bootstrapToken: string;
  install: AgentInstall;
  runtime: AgentRuntime;
  /** The metadata server the agent watches. Default: the cloud's link-local one. */
  metadataEndpoint?: string;
}

export interface BootstrapScript {
  cloud: CloudName;
  /** Where the launch puts it: EC2 RunInstances UserData, GCE metadata item, Azure osProfile.customData. */
  field: 'UserData' | 'startup-script' | 'customData';
  /** The script (what LaunchRequest.bootstrap takes). Holds the token. */
  text: string;
  /** How the cloud's API takes it: base64 for EC2 UserData and Azure customData; GCE metadata is text. */
  encoding: 'base64' | 'none';
  /** `text` as sent on the wire, in that encoding. Holds the token. */
  wire: string;
  /** `text` with the token replaced by ***: the form to log or show. */
  redacted: string;
}

/** Where the scripts put things on the machine. */
export const BOOTSTRAP_PATHS = {
  configDir: '/etc/gpusched',
  envFile: '/etc/gpusched/agent.env',
  runScript: '/etc/gpusched/run-agent',
  unitFile: '/etc/systemd/system/gpusched-agent.service',
  dataDir: '/var/lib/gpusched',
  logFile: '/var/log/gpusched-agent.log',
} as const;

export const AGENT_UNIT = 'gpusched-agent.service';
export const AGENT_CONTAINER = 'gpusched-agent';
const DEFAULT_PACKAGE = 'gpusched';
/** Ends every heredoc. Values cannot contain it on a line of its own: they may not contain newlines. */
const EOF = 'GPUSCHED_EOF';

const FIELD: Readonly<Record<CloudName, BootstrapScript['field']>> = {
  aws: 'UserData',
  gcp: 'startup-script',
  azure: 'customData',
};

const HEADER: Readonly<Record<CloudName, string>> = {
  aws: 'EC2 user-data: cloud-init runs it once, as root, on first boot',
  gcp: 'GCE startup-script: the guest agent runs it as root on every boot, so every step is idempotent',
  azure: 'Azure customData: cloud-init runs it once, as root, on first boot',
};

/**
 * Quotes a value for a POSIX shell: single quotes, with each ' written as '\'' . Nothing inside single
 * quotes is special ($, `, \, ", spaces), so the value arrives as written.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell value cannot contain a NUL character');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The script that installs and starts the agent on `input.cloud`. Throws on an input it cannot carry. */
export function bootstrapScript(input: BootstrapInput): BootstrapScript {
  const text = scriptText(input);
  const encoding = input.cloud === 'gcp' ? 'none' : 'base64';
  return {
    cloud: input.cloud,
    field: FIELD[input.cloud],
    text,
    encoding,
    wire: encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text,
    redacted: text.replaceAll(shellQuote(input.bootstrapToken), "'***'"),
  };
}

/** The agent's environment file: `export NAME='value'` lines, sourced by run-agent. */
export function agentEnvironment(input: BootstrapInput): Array<[string, string]> {
  const env: Array<[string, string]> = [
    ['GPUSCHED_URL', input.daemonUrl],
    ['GPUSCHED_TOKEN', input.bootstrapToken],
    ['GPUSCHED_NODE_ID', input.nodeId],
    ['GPUSCHED_CLOUD', input.cloud],
    ['GPUSCHED_AGENT_RUNTIME', input.runtime],
    ['GPUSCHED_METADATA_ENDPOINT', input.metadataEndpoint ?? DEFAULT_METADATA_ENDPOINTS[input.cloud]],
  ];
  if (input.install.method === 'image') env.push(['GPUSCHED_AGENT_IMAGE', input.install.image]);
  return env;
}

function validate(input: BootstrapInput): void {
  if (!(FIELD as Record<string, unknown>)[input.cloud])
    throw new Error(`no bootstrap for cloud '${input.cloud}'`);
  if (input.runtime !== 'docker' && input.runtime !== 'process') {
    throw new Error(`agent runtime must be docker or process, got '${String(input.runtime)}'`);
  }
  httpUrl('daemonUrl', input.daemonUrl);
  if (input.metadataEndpoint !== undefined) httpUrl('metadataEndpoint', input.metadataEndpoint);
  if (input.nodeId === '') throw new Error('nodeId is empty');
  if (input.bootstrapToken === '') throw new Error('bootstrapToken is empty');
  const { install } = input;
  if (install.method === 'npm' && install.version.trim() === '') throw new Error('install.version is empty');
  if (install.method === 'image' && install.image.trim() === '') throw new Error('install.image is empty');
  if (install.method === 'command' && install.command.trim() === '')
    throw new Error('install.command is empty');
  const values: Array<[string, string | undefined]> = [
    ...agentEnvironment(input),
    ['install.version', install.method === 'npm' ? install.version : undefined],
    ['install.package', install.method === 'npm' ? install.package : undefined],
    ['install.registry', install.method === 'npm' ? install.registry : undefined],
  ];
  for (const [name, v] of values) {
    // A line break would end a heredoc early or split an assignment; none of these values has a use for one.
    if (v !== undefined && /[\0\r\n]/.test(v)) throw new Error(`${name} contains a line break or NUL`);
  }
}

function httpUrl(name: string, v: string): void {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`${name} is not a URL: ${v}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be http(s): ${v}`);
}

function scriptText(input: BootstrapInput): string {
  validate(input);
  const P = BOOTSTRAP_PATHS;
  const needsDocker = input.runtime === 'docker' || input.install.method === 'image';
  const lines: string[] = [
    '#!/bin/bash',
    `# gpusched node agent bootstrap. ${HEADER[input.cloud]}.`,
    '# Generated by gpusched (src/agent/bootstrap.ts): change the generator, not this text.',
    '# It carries the bootstrap token, a secret: nothing below prints it, and tracing (set -x) stays off.',
    'set -euo pipefail',
    'umask 077',
    '',
    'log() { echo "gpusched-bootstrap: $*" >&2; }',
    '',
    `install -d -m 0700 ${P.configDir}`,
    `install -d -m 0755 ${P.dataDir}`,
    '',
    `cat > ${P.envFile} <<'${EOF}'`,
    ...agentEnvironment(input).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    EOF,
    `chmod 0600 ${P.envFile}`,
    '',
    `cat > ${P.runScript} <<'${EOF}'`,
    ...runAgentScript(input),
    EOF,
    `chmod 0700 ${P.runScript}`,
    '',
    ...(needsDocker ? requireDocker(input) : []),
    ...installSteps(input.install),
    '',
    ...startSteps(needsDocker),
    '',
  ];
  return lines.join('\n');
}

function requireDocker(input: BootstrapInput): string[] {
  const why = input.install.method === 'image' ? 'the agent image' : 'the docker runtime';
  return [
    'if ! command -v docker >/dev/null 2>&1; then',
    `  log "docker not found: ${why} needs Docker (with the NVIDIA container toolkit) on the machine image"`,
    '  exit 1',
    'fi',
  ];
}

function installSteps(install: AgentInstall): string[] {
  switch (install.method) {
    case 'npm': {
      const spec = shellQuote(`${install.package ?? DEFAULT_PACKAGE}@${install.version}`);
      const registry = install.registry ? ` --registry ${shellQuote(install.registry)}` : '';
      return [
        'if ! command -v npm >/dev/null 2>&1; then',
        '  log "npm not found: the machine image needs Node.js 20 or newer with npm"',
        '  exit 1',
        'fi',
        '# Skipped when this version is already there (a reboot on GCE runs the script again).',
        `if [ "$(gpusched --version 2>/dev/null || true)" != ${shellQuote(install.version)} ]; then`,
        `  log ${shellQuote(`installing ${install.package ?? DEFAULT_PACKAGE}@${install.version}`)}`,
        `  npm install -g --no-audit --no-fund${registry} ${spec}`,
        'fi',
      ];
    }
    case 'image':
      return [`docker pull ${shellQuote(install.image)}`];
    case 'command':
      return [
        '# The operator-configured install command:',
        install.command,
        'if ! command -v gpusched >/dev/null 2>&1; then',
        '  log "the configured install command left no gpusched on PATH"',
        '  exit 1',
        'fi',
      ];
    case 'preinstalled':
      return [
        'if ! command -v gpusched >/dev/null 2>&1; then',
        '  log "gpusched not found: the machine image was expected to have the agent installed"',
        '  exit 1',
        'fi',
      ];
  }
}

/** run-agent: fixed text (a quoted heredoc, nothing expanded when written); the values come from agent.env. */
function runAgentScript(input: BootstrapInput): string[] {
  const P = BOOTSTRAP_PATHS;
  const flags =
    '--node-id "$GPUSCHED_NODE_ID" --cloud "$GPUSCHED_CLOUD" --runtime "$GPUSCHED_AGENT_RUNTIME"' +
    ' --metadata-endpoint "$GPUSCHED_METADATA_ENDPOINT"';
  const head = [
    '#!/bin/sh',
    '# Started by gpusched-agent.service (or by the bootstrap where there is no systemd).',
    `. ${P.envFile}`,
    'PATH="$PATH:/usr/local/bin:/usr/bin:/bin"',
  ];
  if (input.install.method !== 'image') return [...head, `exec gpusched agent ${flags}`];
  // The agent in a container: the host's network (the metadata server's hop limit, the daemon), the
  // Docker socket (the docker runtime starts jobs beside it), the data directory at the same path (so
  // volume paths it gives jobs mean the same on the host), every GPU (telemetry; the process runtime).
  // `-e NAME` without a value passes the variable through: the token stays off the command line.
  return [
    ...head,
    `docker rm -f ${AGENT_CONTAINER} >/dev/null 2>&1 || true`,
    `exec docker run --rm --name ${AGENT_CONTAINER} --network host --user 0:0 --gpus all \\`,
    `  -v /var/run/docker.sock:/var/run/docker.sock -v ${P.dataDir}:${P.dataDir} \\`,
    '  -e GPUSCHED_URL -e GPUSCHED_TOKEN -e GPUSCHED_NODE_ID -e GPUSCHED_CLOUD -e GPUSCHED_AGENT_RUNTIME \\',
    '  -e GPUSCHED_METADATA_ENDPOINT \\',
    `  "$GPUSCHED_AGENT_IMAGE" gpusched agent ${flags}`,
  ];
}

function startSteps(needsDocker: boolean): string[] {
  const P = BOOTSTRAP_PATHS;
  return [
    'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then',
    `  cat > ${P.unitFile} <<'${EOF}'`,
    '[Unit]',
    'Description=gpusched node agent',
    'Wants=network-online.target',
    `After=network-online.target${needsDocker ? ' docker.service' : ''}`,
    ...(needsDocker ? ['Requires=docker.service'] : []),
    '',
    '[Service]',
    `ExecStart=${P.runScript}`,
    'Restart=always',
    'RestartSec=2',
    // The agent gets SIGTERM alone and signals the job itself; the rest of the group is killed only
    // after the timeout, which stays inside GCP's 30-second preemption window.
    'KillMode=mixed',
    'TimeoutStopSec=25',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    EOF,
    `  chmod 0644 ${P.unitFile}`,
    '  systemctl daemon-reload',
    `  systemctl enable ${AGENT_UNIT}`,
    `  systemctl restart ${AGENT_UNIT}`,
    'else',
    '  log "no systemd: starting the agent in the background"',
    `  nohup ${P.runScript} >>${P.logFile} 2>&1 </dev/null &`,
    'fi',
    'log "agent started"',
  ];
}

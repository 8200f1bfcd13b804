#!/usr/bin/env node
// A stand-in for the `docker` client (there is no Docker engine here): it records every call and acts out the
// few commands the docker runtime uses, with a real process standing for the container.
//
//   FAKE_DOCKER_LOG    file that gets one JSON line per call: {"argv": [...]} (required)
//   FAKE_DOCKER_STATE  directory for "containers" (default: the log's directory): <name>.pid while one runs
//   FAKE_DOCKER_EXIT   `run` prints its lines and exits at once with this code, like a job that just ends
//
// run --name N ... : prints `container N started` and `env NAME=VALUE` for each -e, then waits; prints
//                    `received SIGx` for each signal; SIGTERM makes it exit 143, as a container stopped by it.
// kill [--signal S] N, stop -t T N : signal the "container" (SIGKILL, SIGTERM then SIGKILL after T s), or fail
//                    with Docker's "No such container" when there is none.
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const argv = process.argv.slice(2);
const logFile = process.env.FAKE_DOCKER_LOG;
if (!logFile) {
  process.stderr.write('fake docker: FAKE_DOCKER_LOG is not set\n');
  process.exit(99);
}
appendFileSync(logFile, `${JSON.stringify({ argv })}\n`);
const stateDir = process.env.FAKE_DOCKER_STATE ?? dirname(logFile);
const pidFile = (name) => join(stateDir, `${name}.pid`);

const command = argv[0];
if (command === 'run') run();
else if (command === 'kill') {
  const i = argv.indexOf('--signal');
  signalContainer(argv.at(-1), i > 0 ? argv[i + 1] : 'SIGKILL');
} else if (command === 'stop') {
  const i = argv.indexOf('-t');
  await stop(argv.at(-1), i > 0 ? Number(argv[i + 1]) : 10);
} else {
  process.stderr.write(`fake docker: no such command ${command}\n`);
  process.exit(1);
}

function run() {
  const name = argv[argv.indexOf('--name') + 1];
  const exitAtOnce = process.env.FAKE_DOCKER_EXIT;
  // The "container" exists before it says anything, so a `kill` right after its first line finds it.
  if (exitAtOnce === undefined) writeFileSync(pidFile(name), String(process.pid));
  console.log(`container ${name} started`);
  argv.forEach((arg, i) => {
    if (arg === '-e') console.log(`env ${argv[i + 1]}`);
  });
  if (exitAtOnce !== undefined) process.exit(Number(exitAtOnce));
  const gone = (code) => {
    rmSync(pidFile(name), { force: true });
    process.exit(code);
  };
  for (const signal of ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGINT'])
    process.on(signal, () => console.log(`received ${signal}`));
  process.on('SIGTERM', () => {
    console.log('received SIGTERM');
    gone(143);
  });
  setInterval(() => {}, 1000);
}

function containerPid(name) {
  if (!existsSync(pidFile(name))) {
    process.stderr.write(`Error response from daemon: No such container: ${name}\n`);
    process.exit(1);
  }
  return Number(readFileSync(pidFile(name), 'utf8'));
}

function signalContainer(name, signal) {
  const pid = containerPid(name);
  process.kill(pid, signal);
  if (signal === 'SIGKILL') rmSync(pidFile(name), { force: true });
}

async function stop(name, seconds) {
  const pid = containerPid(name);
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && alive(pid)) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile(name), { force: true });
  console.log(name);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// What every command needs: the Io, a lazily built API client (so `daemon` and `catalog build` never
// resolve a URL or read a token file), and the option parsers that turn bad flags into usage errors.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient, type Connection, resolveConnection } from '../client.js';
import { json } from '../format.js';
import { type Io, println } from '../io.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
}

export interface Ctx {
  io: Io;
  /** Resolved on first use from --url/--token and the environment; remembered for error messages. */
  connection: () => Connection;
  client: () => ApiClient;
  /** Set once `connection()` has run; the 401 hint needs it, and it is absent when nothing was sent. */
  resolved: () => Connection | undefined;
}

export function createCtx(io: Io, globals: () => GlobalOptions): Ctx {
  let conn: Connection | undefined;
  let client: ApiClient | undefined;
  const connection = (): Connection => {
    conn ??= resolveConnection(globals(), io.env);
    return conn;
  };
  return {
    io,
    connection,
    client: () => {
      client ??= new ApiClient(connection(), io.fetch);
      return client;
    },
    resolved: () => conn,
  };
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return n;
}

/** `--label k=v`, repeatable: collects the selectors in order. */
export function labelSelector(value: string, previous: readonly string[] = []): string[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value, e.g. --label project=llm.');
  return [...previous, value];
}

// One list of each, from the core: the CLI offers exactly what the API accepts.
export {
  CLOUDS as CLOUD_CHOICES,
  JOB_STATES as JOB_STATE_CHOICES,
  MARKETS as MARKET_CHOICES,
  NODE_STATES as NODE_STATE_CHOICES,
} from '../../core/model.js';

export function choice(flags: string, description: string, choices: readonly string[]): Option {
  return new Option(flags, description).choices(choices);
}

/** Every command that talks to the daemon takes --json. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print the API answer as JSON instead of a table');
}

/** JSON for machines, text for people: never both, so `--json` output always parses. */
export function emit(io: Io, asJson: boolean | undefined, value: unknown, human: () => string): void {
  println(io, asJson ? json(value) : human());
}

// How the agent gets its session with the daemon: the saved session token first (an agent restarted on the same
// node: its bootstrap token was spent at the first registration), else registration with the bootstrap token.
// The daemon being down or restarting is waited out with backoff; a refusal (expired or spent token, a node the
// daemon has terminated) is final and thrown.
import type { Logger } from 'pino';
import type { RegisterBody } from '../api/schemas/agent.js';
import { backoffMs } from '../core/backoff.js';
import { type AgentClient, AgentHttpError, abortableSleep, isRetriable } from './client.js';
import type { AgentEvent } from './events.js';
import type { SessionStore } from './session.js';

export interface ConnectContext {
  readonly client: AgentClient;
  /** The bootstrap token, to go back to when a saved session is refused. */
  readonly bootstrapToken: string;
  readonly session: SessionStore | undefined;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly emit: (e: AgentEvent) => void;
  /** The first heartbeat of a resumed session (a 401 means the saved token is no longer good). */
  readonly firstBeat: () => Promise<void>;
  /** The registration body (read late: it may ask the metadata server for the instance id). */
  readonly body: () => Promise<RegisterBody>;
}

/** The daemon's heartbeat interval (s) on registration, `resumed` for a saved session, null when stopped first. */
export async function connect(ctx: ConnectContext): Promise<number | 'resumed' | null> {
  const saved = await ctx.session?.load();
  if (saved) {
    ctx.client.useToken(saved);
    try {
      await ctx.firstBeat();
      ctx.log.info('resumed the saved session');
      return 'resumed';
    } catch (e) {
      // Down, or slow: the session may well be good; the heartbeat loop goes on trying.
      if (!(e instanceof AgentHttpError && e.status === 401)) return 'resumed';
      ctx.log.info('the saved session token was refused: registering again');
      await ctx.session?.clear().catch(() => {});
      ctx.client.useToken(ctx.bootstrapToken);
    }
  }
  const body = await ctx.body();
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) return null;
    try {
      const reply = await ctx.client.register(body, { signal: ctx.signal, retries: 0 });
      await ctx.session?.save(reply.token).catch((e: Error) => {
        ctx.log.warn({ err: e.message }, 'could not save the session token: a restart must register again');
      });
      ctx.log.info(
        { heartbeatSeconds: reply.heartbeatSeconds, instanceId: body.instanceId },
        'registered with the daemon',
      );
      ctx.emit({ type: 'registered', nodeId: reply.nodeId, heartbeatSeconds: reply.heartbeatSeconds });
      return reply.heartbeatSeconds;
    } catch (e) {
      if (!isRetriable(e) || ctx.signal.aborted) {
        if (ctx.signal.aborted) return null;
        throw e;
      }
      const wait = backoffMs(attempt, { baseMs: 500, maxMs: 30_000 }, Math.random());
      ctx.log.warn({ err: (e as Error).message, retryInMs: wait }, 'registration failed; retrying');
      await abortableSleep(wait, ctx.signal);
    }
  }
}

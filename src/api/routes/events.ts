// GET /v1/events: the event bus as Server-Sent Events, filtered to what the caller may see (a team: its own jobs
// and alerts, and the fleet; an admin: everything, or one team with ?team=). A client that reconnects with
// Last-Event-ID (EventSource does it by itself) first gets the job state changes and alerts it missed, from the
// database; a comment line every `heartbeatSeconds` keeps proxies from closing a quiet stream. The frames:
//   event: hello   (first; its id is the cursor to resume from)      event: gap (more was missed than is
//   replayed: reload)      event: job.transition | job.placement | node.transition | node.notice | alert
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import {
  type BusEvent,
  EVENT_TYPES,
  type EventFilter,
  type EventType,
  eventFrame,
  formatCursor,
  parseCursor,
  replay,
  sseFrame,
  visible,
} from '../../services/events.js';
import { ApiError } from '../../services/jobs.js';
import { callerOf } from '../auth.js';
import type { ObservabilityDeps } from '../observability.js';

const Query = Type.Object(
  {
    types: Type.Optional(
      Type.String({
        pattern: `^(${EVENT_TYPES.join('|').replaceAll('.', '\\.')})(,(${EVENT_TYPES.join('|').replaceAll('.', '\\.')}))*$`,
        description: `comma-separated: ${EVENT_TYPES.join(', ')}`,
      }),
    ),
    job: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'only events about this job' }),
    ),
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'admin only: one team' })),
    lastEventId: Type.Optional(
      Type.String({ maxLength: 40, description: 'resume after this event id (as the Last-Event-ID header)' }),
    ),
  },
  { additionalProperties: false },
);

/** A stream whose client reads slower than events come is closed beyond this; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;

export const eventRoutes: FastifyPluginAsync<{ obs: ObservabilityDeps }> = async (app, { obs }) => {
  const open = new Set<() => void>();
  // Streams never end by themselves: close them first, or closing the server would wait for them forever.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/events',
    {
      schema: {
        summary: 'Server-Sent Events: job transitions, placements, nodes, notices, alerts',
        description:
          'text/event-stream. Job events and alerts are filtered to the caller\u2019s team (admins see all). ' +
          'Send Last-Event-ID (or ?lastEventId=) to get the job transitions and alerts missed since that event.',
        querystring: Query,
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const q = req.query as { types?: string; job?: string; team?: string; lastEventId?: string };
      if (q.team !== undefined && !caller.admin && q.team !== caller.team)
        throw new ApiError(404, 'not_found', `no team ${q.team}`);
      const filter: EventFilter = {
        team: caller.admin ? q.team : caller.team,
        types: q.types ? new Set(q.types.split(',') as EventType[]) : undefined,
        jobId: q.job,
      };
      const header = req.headers['last-event-id'];
      const resumeFrom = parseCursor(typeof header === 'string' ? header : q.lastEventId);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx and similar proxies buffer responses unless told not to.
        'x-accel-buffering': 'no',
      });
      let closed = false;
      const write = (chunk: string) => {
        if (closed) return;
        res.write(chunk);
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
      };
      const send = (event: BusEvent) => {
        if (visible(event, filter)) write(eventFrame(event));
      };

      // Subscribing and replaying in one synchronous stretch: nothing can be published in between, so the
      // replay ends exactly where the live events begin.
      const unsubscribe = obs.bus.subscribe(send);
      const missed = resumeFrom ? replay(obs.eventLog, resumeFrom, filter, obs.replayLimit) : null;
      // The hello's id is where this stream starts: after the resume point when there is a replay to come (so a
      // drop during the replay loses nothing), else now.
      const start = missed && !missed.gap && resumeFrom ? resumeFrom : obs.bus.cursor;
      write('retry: 3000\n\n');
      write(
        sseFrame('hello', formatCursor(start), {
          team: caller.team,
          admin: caller.admin,
          cursor: formatCursor(obs.bus.cursor),
          resumedFrom: resumeFrom ? formatCursor(resumeFrom) : null,
        }),
      );
      if (missed?.gap) write(sseFrame('gap', null, { reason: `more than ${obs.replayLimit} events missed` }));
      for (const e of missed?.events ?? []) write(eventFrame(e));
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), obs.heartbeatSeconds * 1000);
      heartbeat.unref();

      function end(): void {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(end);
        res.end();
      }
      open.add(end);
      // The response's close is the client going away (the request's own close fires once it is read).
      res.on('close', end);
      res.on('error', end);
    },
  );
};

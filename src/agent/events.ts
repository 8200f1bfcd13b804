// What the agent tells whoever embeds it (tests, the local-mode benchmark) as it happens, with times: the
// same facts as its log lines, as values. Times are ms since the epoch; `noticeToSignalMs` is measured on the
// monotonic clock from the moment the watcher's poll returned the notice to the moment the signal was sent.
import type { CloudName } from '../core/model.js';
import type { NoticeKind } from './watchers/notice.js';

/** Why a checkpoint was taken or reported. */
export type CheckpointCause = 'notice' | 'command' | 'periodic' | 'exit';

export type AgentEvent =
  | { readonly type: 'registered'; readonly nodeId: string; readonly heartbeatSeconds: number }
  | { readonly type: 'job-started'; readonly jobId: string; readonly at: number; readonly pid?: number }
  | { readonly type: 'job-start-failed'; readonly jobId: string; readonly error: string }
  | { readonly type: 'job-exited'; readonly jobId: string; readonly exitCode: number; readonly at: number }
  | {
      readonly type: 'notice';
      readonly cloud: CloudName;
      readonly kind: NoticeKind;
      readonly deadline: string | null;
      /** When the watcher's poll returned it. */
      readonly seenAt: number;
    }
  | {
      readonly type: 'checkpoint-signal';
      readonly jobId: string;
      readonly cause: 'notice' | 'command';
      readonly delivered: boolean;
      readonly at: number;
      readonly noticeToSignalMs?: number;
    }
  | {
      readonly type: 'checkpoint-reported';
      readonly jobId: string;
      readonly step: number;
      readonly path: string;
      readonly cause: CheckpointCause;
    }
  | { readonly type: 'checkpoint-missed'; readonly jobId: string; readonly cause: 'notice' | 'command' }
  | { readonly type: 'notice-reported'; readonly kind: NoticeKind; readonly ok: boolean }
  | { readonly type: 'notice-acknowledged'; readonly eventId: string; readonly at: number }
  | { readonly type: 'stopped' };

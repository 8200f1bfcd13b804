// The replay's progress bar on standard error, drawn by cli-progress: on a terminal it redraws one line
// (`[#####-----] 45% | gpusched | 12s`); elsewhere (a pipe, CI) it writes the line every few seconds and once at
// the end of each stage, so logs stay short. Nothing goes to standard output, which carries the report.
import { SingleBar } from 'cli-progress';

/** The stream the bar draws on: process.stderr, or a stand-in in tests. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

export interface Progress {
  /** `done` in 0..1 for the stage (one policy's replay, the report). */
  update(stage: string, done: number): void;
  finish(): void;
}

const STEPS = 1000;

export function progressBar(stream: ProgressStream, opts: { notTTYSeconds?: number } = {}): Progress {
  const bar = new SingleBar({
    stream,
    format: '[{bar}] {percentage}% | {stage} | {duration}s',
    barsize: 30,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: false,
    clearOnComplete: true,
    noTTYOutput: true,
    notTTYSchedule: (opts.notTTYSeconds ?? 10) * 1000,
  });
  let stage: string | null = null;
  return {
    update(next, done) {
      const value = Math.round(Math.max(0, Math.min(1, done)) * STEPS);
      if (stage === null) bar.start(STEPS, value, { stage: next });
      else if (next !== stage) {
        // A new stage starts from its own zero: the line for the stage just done is written first.
        bar.update(STEPS, { stage });
        bar.render();
        bar.update(value, { stage: next });
      } else bar.update(value, { stage: next });
      stage = next;
    },
    finish() {
      if (stage !== null) bar.stop();
      stage = null;
    },
  };
}

// A progress bar for the replay on standard error, without a dependency: on a terminal it redraws one line
// (`[#########-----------]  45%  gpusched  12.3 s`) at most ten times a second; elsewhere (a pipe, CI) it
// writes a line per stage and per tenth done, so logs stay readable. Nothing goes to standard output, which
// carries the report. Why not a package: docs/replay.md ("The progress bar").

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** `done` in 0..1 for the stage (one policy's replay, the report). */
  update(stage: string, done: number): void;
  finish(): void;
}

export function progressBar(out: ProgressSink, clock: () => number = () => performance.now()): Progress {
  const started = clock();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastStage = '';
  let lastTenth = -1;
  let drawn = false;
  const seconds = () => `${((clock() - started) / 1000).toFixed(1)} s`;
  return {
    update(stage, done) {
      const f = Math.max(0, Math.min(1, done));
      if (out.isTTY) {
        const now = clock();
        if (stage === lastStage && now - lastDraw < 100 && f < 1) return;
        lastDraw = now;
        lastStage = stage;
        const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 40));
        const full = Math.round(f * width);
        const line = `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%  ${stage}  ${seconds()}`;
        out.write(`\r${line}\u001b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(f * 10);
      if (stage !== lastStage) {
        lastStage = stage;
        lastTenth = -1;
      }
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      out.write(`replay: ${stage} ${tenth * 10}% (${seconds()})\n`);
    },
    finish() {
      if (out.isTTY && drawn) out.write('\r\u001b[K');
    },
  };
}

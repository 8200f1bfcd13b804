// A job's output as its agent forwards it: log lines and metric points (GPUSCHED_METRIC lines), kept per job
// up to a cap so that a chatty job cannot fill the disk: the oldest lines go first.
import type { Db } from './db.js';

export interface LogLine {
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface MetricPoint {
  seq: number;
  at: string;
  step: number | null;
  values: Record<string, number | string>;
}

/** Lines kept per job; beyond it the oldest are deleted. */
export const MAX_LOG_LINES_PER_JOB = 100_000;

export class OutputRepo {
  constructor(private readonly db: Db) {}

  addLogs(lines: readonly { jobId: string; at: string; stream: 'stdout' | 'stderr'; text: string }[]): void {
    const insert = this.db.prepare('INSERT INTO job_logs (job_id, at, stream, text) VALUES (?, ?, ?, ?)');
    const prune = this.db.prepare(
      `DELETE FROM job_logs WHERE job_id = ? AND seq <= (
         SELECT seq FROM job_logs WHERE job_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    );
    this.db.transaction(() => {
      for (const l of lines) insert.run(l.jobId, l.at, l.stream, l.text);
      for (const jobId of new Set(lines.map((l) => l.jobId))) prune.run(jobId, jobId, MAX_LOG_LINES_PER_JOB);
    })();
  }

  addMetrics(
    points: readonly { jobId: string; at: string; step?: number; values: Record<string, number | string> }[],
  ): void {
    const insert = this.db.prepare(
      'INSERT INTO job_metrics (job_id, at, step, "values") VALUES (?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const p of points) insert.run(p.jobId, p.at, p.step ?? null, JSON.stringify(p.values));
    })();
  }

  /** Lines after `afterSeq`, oldest first. */
  logs(jobId: string, afterSeq: number, limit: number): LogLine[] {
    return (
      this.db
        .prepare(
          'SELECT seq, at, stream, text FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        )
        .all(jobId, afterSeq, limit) as LogLine[]
    ).map((r) => ({ seq: r.seq, at: r.at, stream: r.stream, text: r.text }));
  }

  metrics(jobId: string): MetricPoint[] {
    return (
      this.db
        .prepare('SELECT seq, at, step, "values" FROM job_metrics WHERE job_id = ? ORDER BY seq')
        .all(jobId) as {
        seq: number;
        at: string;
        step: number | null;
        values: string;
      }[]
    ).map((r) => ({
      seq: r.seq,
      at: r.at,
      step: r.step,
      values: JSON.parse(r.values) as MetricPoint['values'],
    }));
  }
}

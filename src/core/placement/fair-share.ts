// Weighted fair share between teams: within one priority level, the next job comes from the team that is
// furthest below its share — its recent spend divided by its weight, growing as this tick places its
// jobs — and first come first served within a team. Priority still comes first: fairness only decides
// among jobs of equal priority. Pure.
import type { Job } from '../model.js';

export interface FairShare {
  /** Each team's recent spend in USD (the daemon measures it over a window). */
  usage: ReadonlyMap<string, number>;
  /** Relative shares; a team not listed weighs 1. */
  weights: Readonly<Record<string, number>>;
}

/**
 * Yields the jobs in fair order. `placed(job, costUsd)` is called back by the caller (through the
 * returned `charge`) when a job was placed, so a team's next job waits behind teams that had less.
 */
export function fairQueue(jobs: readonly Job[], share: FairShare | undefined) {
  const byFifo = (a: Job, b: Job) => a.submittedAt.localeCompare(b.submittedAt) || a.id.localeCompare(b.id);
  const levels = [...new Set(jobs.map((j) => j.priority))].sort((a, b) => b - a);
  const usage = new Map(share?.usage ?? []);
  const weight = (team: string) => Math.max(share?.weights[team] ?? 1, 1e-9);
  const charge = (job: Job, costUsd: number) => usage.set(job.team, (usage.get(job.team) ?? 0) + costUsd);

  function* order(): Generator<Job> {
    for (const level of levels) {
      const queues = new Map<string, Job[]>();
      for (const j of jobs.filter((x) => x.priority === level).sort(byFifo)) {
        const q = queues.get(j.team);
        if (q) q.push(j);
        else queues.set(j.team, [j]);
      }
      while (queues.size > 0) {
        let next: string | null = null;
        let lowest = Number.POSITIVE_INFINITY;
        for (const team of [...queues.keys()].sort()) {
          const normalized = (usage.get(team) ?? 0) / weight(team);
          if (normalized < lowest) {
            lowest = normalized;
            next = team;
          }
        }
        const q = queues.get(next!)!;
        yield q.shift()!;
        if (q.length === 0) queues.delete(next!);
      }
    }
  }
  return { order: order(), charge };
}

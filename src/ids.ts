// Where the ids of jobs, nodes and simulated instances come from. Random in the daemon; a replay gives a
// seeded sequence instead, because the scheduler breaks ties by id and a replay must give the same report
// twice for a seed (docs/replay.md, "Determinism").
import { createHash, randomUUID } from 'node:crypto';

/** A fresh id body: 32 lowercase hex digits; callers add a prefix and keep as many digits as they need. */
export type IdSource = () => string;

export const randomIds: IdSource = () => randomUUID().replace(/-/g, '');

/** The same sequence of ids for the same seed: the hash of the seed and a counter. */
export function seededIds(seed: string | number): IdSource {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest('hex').slice(0, 32);
}

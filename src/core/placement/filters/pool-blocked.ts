import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** The pool is not blocked after a recent capacity failure or interruption. */
export const poolOpen: Filter = (_spec, cap, now) => {
  const until = cap.availability?.blockedUntil;
  return until && Date.parse(until) > now.getTime() ? Reason.POOL_BLOCKED : null;
};

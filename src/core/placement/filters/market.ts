import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** market: spot or on-demand pins the market; auto takes either (the cost model and deadline decide). */
export const marketAllowed: Filter = (spec, cap) => {
  const wanted = spec.market ?? 'auto';
  return wanted !== 'auto' && wanted !== cap.market ? Reason.MARKET : null;
};

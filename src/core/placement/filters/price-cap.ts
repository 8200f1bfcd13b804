import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** constraints.maxPricePerHour caps the price of one node. */
export const priceCap: Filter = (spec, cap) => {
  const max = spec.constraints?.maxPricePerHour;
  return max !== undefined && cap.pricePerHour > max ? Reason.PRICE_CAP : null;
};

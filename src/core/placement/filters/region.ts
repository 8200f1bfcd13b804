import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** constraints.regions (allow list) and constraints.regionsExclude, both written cloud:region. */
export const regionAllowed: Filter = (spec, cap) => {
  const only = spec.constraints?.regions;
  const except = spec.constraints?.regionsExclude;
  if (!only && !except) return null; // the common case pays for no string
  const where = `${cap.cloud}:${cap.region}`;
  if (only && !only.includes(where)) return Reason.REGION_EXCLUDED;
  return except?.includes(where) ? Reason.REGION_EXCLUDED : null;
};

import { Reason } from '../reasons.js';
import type { Filter } from './types.js';

/** constraints.clouds, when given, lists the cloud. */
export const cloudAllowed: Filter = (spec, cap) => {
  const clouds = spec.constraints?.clouds;
  return clouds && !clouds.includes(cap.cloud) ? Reason.CLOUD_EXCLUDED : null;
};

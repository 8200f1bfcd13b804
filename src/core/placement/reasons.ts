// Why an offer or a node cannot take a job. Constants, so that explain output, metrics and tests agree.
export const Reason = {
  CLOUD_EXCLUDED: 'CLOUD_EXCLUDED',
  REGION_EXCLUDED: 'REGION_EXCLUDED',
  MARKET: 'MARKET',
  NO_SPOT_HERE: 'NO_SPOT_HERE',
  GPU_MODEL: 'GPU_MODEL',
  GPU_MEMORY: 'GPU_MEMORY',
  GPU_COUNT: 'GPU_COUNT',
  CPU: 'CPU',
  MEMORY: 'MEMORY',
  PRICE_CAP: 'PRICE_CAP',
  POOL_BLOCKED: 'POOL_BLOCKED',
  NODE_BUSY: 'NODE_BUSY',
  NO_OFFERS: 'NO_OFFERS',
  DEADLINE: 'DEADLINE',
  DEADLINE_MARKET: 'DEADLINE_MARKET',
  UNPRICED: 'UNPRICED',
  BUDGET: 'BUDGET',
} as const;

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/** What a person reads for each code (explain output, a queued job's reason). */
export const REASON_TEXT: Record<ReasonCode, string> = {
  CLOUD_EXCLUDED: 'cloud not in constraints.clouds',
  REGION_EXCLUDED: 'region excluded by constraints',
  MARKET: "market differs from the job's market",
  NO_SPOT_HERE: 'no spot market in this pool',
  GPU_MODEL: 'GPU model not accepted',
  GPU_MEMORY: 'GPU memory too small',
  GPU_COUNT: 'too few GPUs per node',
  CPU: 'too few vCPUs',
  MEMORY: 'too little memory',
  PRICE_CAP: 'above constraints.maxPricePerHour',
  POOL_BLOCKED: 'pool blocked after a recent failure or interruption',
  NODE_BUSY: 'node already runs other work',
  NO_OFFERS: 'no offers known yet',
  DEADLINE: 'cannot finish before the deadline here',
  DEADLINE_MARKET: 'the deadline policy (Uniform Progress) chose the other market',
  UNPRICED: 'no finite expected cost',
  BUDGET: 'held by a budget policy',
};

// The scheduler's cost function from the cost model (core/cost.ts) and the deadline policy
// (core/deadline.ts): expected cost = compute at the GPU's speed + data movement + interruption
// overhead; a deadline refuses capacity that cannot finish in time and, for `market: auto`, lets
// Uniform Progress choose between spot and on-demand.
import { type CostContext, expectedCost } from '../cost.js';
import { deadlineFeasible, decideMarket } from '../deadline.js';
import { NO_AVAILABILITY, type Offer } from '../model.js';
import type { CostFn } from './cost-fn.js';
import { Reason } from './reasons.js';

export function costModel(ctx: CostContext): CostFn {
  const restartHours = ctx.restartHours ?? 5 / 60;
  return (job, cap, count, now) => {
    // Nodes already running come without availability; the model then uses its prior for spot.
    const offer = { ...cap, availability: cap.availability ?? NO_AVAILABILITY } as Offer;
    const b = expectedCost(job.spec, offer, count, ctx);
    const parts = {
      computeUsd: b.computeUsd,
      egressUsd: b.egressUsd,
      interruptionUsd: b.interruptionUsd,
      runtimeHours: b.runtimeHours,
      transferHours: b.transferHours,
    };
    const result = { totalUsd: b.totalUsd, parts };
    if (!job.spec.deadline) return result;

    // Progress is not tracked before the node agent reports checkpoints: a job being placed has done
    // nothing yet, and its work is this capacity's runtime plus the data transfer.
    const progress = {
      submittedAt: new Date(job.submittedAt),
      deadline: new Date(job.spec.deadline),
      now,
      workHours: b.runtimeHours + b.transferHours,
      doneHours: 0,
      current: null,
      restartHours,
    };
    if (!deadlineFeasible(progress)) return { ...result, refusal: Reason.DEADLINE };
    if ((job.spec.market ?? 'auto') === 'auto') {
      const decision = decideMarket(progress);
      if (decision.market !== cap.market) return { ...result, refusal: Reason.DEADLINE_MARKET };
    }
    return result;
  };
}

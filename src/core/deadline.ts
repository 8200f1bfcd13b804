// Deadline-aware market choice: Uniform Progress, from "Can't Be Late: Optimizing Spot Instance Savings under
// Deadlines" (Wu, Chiang, Stoica et al., NSDI'24). A job with a deadline should have done, at every moment, at
// least its straight-line share of the work: W·(t − submit)/(deadline − submit). Ahead of that line it can
// afford spot (and, when no spot is to be had, waiting for it); behind it, it pays for on-demand to catch up.
// Two additions from the paper keep this from thrashing or missing the deadline:
//  - hysteresis: leaving on-demand for spot costs a restart, so it is only done once the job is ahead of the
//    line by a band plus that restart; leaving spot happens as soon as the job falls behind;
//  - a safety net: once the time left only just covers the work left plus two restarts (one interruption and
//    the move to on-demand it forces), the job goes on-demand and never comes back.
// Pure: every time is passed in; hours throughout, measured on the GPU the job runs on.
import type { Market } from './model.js';

export interface ProgressState {
  submittedAt: Date;
  deadline: Date;
  now: Date;
  /** Total work in hours on the chosen GPU (the cost model's runtimeHours + transferHours). */
  workHours: number;
  /** Work done so far (up to the last checkpoint), same GPU basis. */
  doneHours: number;
  /** The market the job runs on now; null when it is not running (queued, or between nodes). */
  current: Market | null;
  restartHours: number;
  /** The safety net fired on an earlier decision (the caller keeps this from the last MarketDecision). */
  safetyNetEngaged?: boolean;
}

export interface UniformProgressOptions {
  /**
   * How far ahead of the line (hours), beyond the cost of a restart, a job on on-demand must be before it goes
   * back to spot. Default: the larger of one restart and 2% of the work.
   */
  bandHours?: number;
}

export type DeadlineRule = 'infeasible' | 'safety-net' | 'ahead' | 'behind' | 'band';

export interface MarketDecision {
  /** 'spot' means spot or, when no spot capacity is offered, waiting for it: the job can afford to. */
  market: Market;
  rule: DeadlineRule;
  reason: string;
  /** True once the safety net (or infeasibility) has fired; the caller stores it for the next decision. */
  safetyNet: boolean;
  /** Work done minus the line's share, hours; negative when behind. */
  leadHours: number;
  /** The line's share of the work at `now`. */
  expectedDoneHours: number;
  /** Time left minus the on-demand finish (work left plus a restart unless on on-demand); < 0 when infeasible. */
  slackHours: number;
}

const HOUR_MS = 3_600_000;

function hoursBetween(a: Date, b: Date): number {
  return (b.getTime() - a.getTime()) / HOUR_MS;
}

function fmt(hours: number): string {
  return `${hours.toFixed(2)} h`;
}

type FeasibilityInput = Pick<
  ProgressState,
  'deadline' | 'now' | 'workHours' | 'doneHours' | 'restartHours' | 'current'
>;

/**
 * Hours to spare if the job ran on on-demand from now on: the time left minus the work left, minus one restart
 * unless it already runs on on-demand (getting onto an on-demand node is a start or a move).
 */
export function deadlineSlackHours(s: FeasibilityInput): number {
  const left = Math.max(0, s.workHours - s.doneHours);
  const restart = s.current === 'on-demand' ? 0 : s.restartHours;
  return hoursBetween(s.now, s.deadline) - left - restart;
}

/** False when even on-demand from now cannot finish before the deadline (placement's DEADLINE reason). */
export function deadlineFeasible(s: FeasibilityInput): boolean {
  return deadlineSlackHours(s) >= 0;
}

/** Spot or on-demand for a job with a deadline and `market: auto`, with the rule that decided and why. */
export function decideMarket(s: ProgressState, options: UniformProgressOptions = {}): MarketDecision {
  const span = hoursBetween(s.submittedAt, s.deadline);
  const elapsed = Math.min(Math.max(hoursBetween(s.submittedAt, s.now), 0), Math.max(span, 0));
  const expectedDoneHours = span > 0 ? (s.workHours * elapsed) / span : s.workHours;
  const leadHours = s.doneHours - expectedDoneHours;
  const slackHours = deadlineSlackHours(s);
  const timeLeft = hoursBetween(s.now, s.deadline);
  const workLeft = Math.max(0, s.workHours - s.doneHours);
  const band = options.bandHours ?? Math.max(s.restartHours, 0.02 * s.workHours);
  const needed = band + s.restartHours;
  let rule: DeadlineRule;
  if (slackHours < 0) rule = 'infeasible';
  else if (s.safetyNetEngaged || timeLeft <= workLeft + 2 * s.restartHours) rule = 'safety-net';
  else if (s.current === 'on-demand')
    rule = leadHours >= needed ? 'ahead' : leadHours >= 0 ? 'band' : 'behind';
  else rule = leadHours >= 0 ? 'ahead' : 'behind';
  return new Decision(s, rule, leadHours, expectedDoneHours, slackHours, timeLeft, workLeft, needed);
}

/**
 * A decision whose reason, text for people (explain, job events), is written only when read: placement asks
 * for thousands of decisions a tick and reads none of them. A class, not a literal with a getter, which V8
 * builds many times more slowly.
 */
class Decision implements MarketDecision {
  readonly market: Market;
  readonly safetyNet: boolean;

  constructor(
    private readonly s: ProgressState,
    readonly rule: DeadlineRule,
    readonly leadHours: number,
    readonly expectedDoneHours: number,
    readonly slackHours: number,
    private readonly timeLeft: number,
    private readonly workLeft: number,
    private readonly needed: number,
  ) {
    this.market = rule === 'ahead' ? 'spot' : 'on-demand';
    this.safetyNet = rule === 'infeasible' || rule === 'safety-net';
  }

  get reason(): string {
    const { s, leadHours, slackHours, timeLeft, workLeft, needed } = this;
    const progress = `done ${fmt(s.doneHours)} of ${fmt(s.workHours)}, line at ${fmt(this.expectedDoneHours)}`;
    switch (this.rule) {
      case 'infeasible':
        return `cannot finish by the deadline even on on-demand (${fmt(-slackHours)} short); on-demand to finish as early as possible`;
      case 'safety-net':
        return s.safetyNetEngaged
          ? 'safety net engaged earlier: on-demand until done'
          : `time left ${fmt(timeLeft)} only just covers work left ${fmt(workLeft)} plus two restarts: on-demand until done`;
      case 'ahead':
        return s.current === 'on-demand'
          ? `${progress}: ahead by ${fmt(leadHours)} ≥ ${fmt(needed)} (band + restart), back to spot`
          : `${progress}: on or ahead of the line by ${fmt(leadHours)}: spot (or wait for spot)`;
      case 'band':
        return `${progress}: ahead by ${fmt(leadHours)}, less than ${fmt(needed)} (band + restart): stays on on-demand`;
      default: // 'behind'
        return s.current === 'on-demand'
          ? `${progress}: behind by ${fmt(-leadHours)}: stays on on-demand`
          : `${progress}: behind by ${fmt(-leadHours)}: on-demand to catch up`;
    }
  }
}

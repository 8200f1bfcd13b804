import { describe, expect, it } from 'vitest';
import {
  type DeadlineRule,
  deadlineFeasible,
  deadlineSlackHours,
  decideMarket,
  type ProgressState,
} from '../../src/core/deadline.js';
import type { Market } from '../../src/core/model.js';
import { T0 } from '../helpers/builders.js';

// One job throughout: submitted at T0, due 20 h later, 10 h of work, 5-minute restarts. Its line: 0.5 h of work
// per hour, so at T0+10h it should have done 5 h. The default band is max(restart, 2% of work) = 0.2 h, so
// leaving on-demand takes a lead of 0.2 + 0.0833 ≈ 0.283 h.
const hoursAfter = (h: number) => new Date(T0.getTime() + h * 3_600_000);
const RESTART = 5 / 60;

function state(atHour: number, doneHours: number, current: Market | null, over: Partial<ProgressState> = {}) {
  return {
    submittedAt: T0,
    deadline: hoursAfter(20),
    now: hoursAfter(atHour),
    workHours: 10,
    doneHours,
    current,
    restartHours: RESTART,
    ...over,
  };
}

describe('Uniform Progress: spot while ahead of the line, on-demand while behind', () => {
  it.each<[string, ProgressState, Market, DeadlineRule]>([
    ['a job just submitted is on the line and starts on spot', state(0, 0, null), 'spot', 'ahead'],
    ['a job ahead of the line stays on spot', state(4, 3, 'spot'), 'spot', 'ahead'],
    [
      'a queued job that is still ahead waits for spot rather than pay on-demand',
      state(2, 1.5, null),
      'spot',
      'ahead',
    ],
    ['a job behind the line goes on-demand', state(10, 3, 'spot'), 'on-demand', 'behind'],
    [
      'a queued job that fell behind while waiting starts on on-demand',
      state(6, 0, null),
      'on-demand',
      'behind',
    ],
    [
      'a job on on-demand that is still behind stays there',
      state(10, 4.9, 'on-demand'),
      'on-demand',
      'behind',
    ],
    [
      'hysteresis: a job on on-demand only just ahead (inside the band) stays on on-demand',
      state(10, 5.2, 'on-demand'),
      'on-demand',
      'band',
    ],
    [
      'hysteresis: a job on spot with the same small lead stays on spot',
      state(10, 5.2, 'spot'),
      'spot',
      'ahead',
    ],
    [
      'a job on on-demand ahead by more than band + restart goes back to spot',
      state(10, 5.5, 'on-demand'),
      'spot',
      'ahead',
    ],
    [
      'safety net: when the time left only just covers the work left plus two restarts, on-demand',
      state(18.85, 9.0, 'spot'),
      'on-demand',
      'safety-net',
    ],
    [
      'safety net: once engaged it never goes back, even with the job ahead',
      state(12, 9.9, 'on-demand', { safetyNetEngaged: true }),
      'on-demand',
      'safety-net',
    ],
    [
      'infeasible: even on-demand from now cannot finish, so on-demand to finish as early as possible',
      state(19.5, 9, 'spot'),
      'on-demand',
      'infeasible',
    ],
  ])('%s', (_what, s, market, rule) => {
    const d = decideMarket(s);
    expect(d.market).toBe(market);
    expect(d.rule).toBe(rule);
    expect(d.reason.length).toBeGreaterThan(10);
    expect(d.safetyNet).toBe(rule === 'safety-net' || rule === 'infeasible');
  });

  it('measures the lead against the straight line from submit to deadline', () => {
    const d = decideMarket(state(10, 6, 'spot'));
    expect(d.expectedDoneHours).toBeCloseTo(5);
    expect(d.leadHours).toBeCloseTo(1);
  });

  it('takes an operator’s band: with 1 h a lead of 0.5 h keeps the job on on-demand', () => {
    const d = decideMarket(state(10, 5.5, 'on-demand'), { bandHours: 1 });
    expect(d).toMatchObject({ market: 'on-demand', rule: 'band' });
  });

  it('says why in words a person can read', () => {
    expect(decideMarket(state(10, 3, 'spot')).reason).toMatch(/behind by 2\.00 h/);
  });
});

describe('deadline feasibility (the DEADLINE reason)', () => {
  it.each([
    ['plenty of time', state(0, 0, null), true],
    ['work left exactly fills the time on a running on-demand node', state(19, 9, 'on-demand'), true],
    ['the same job on spot needs a restart to move, and misses', state(19, 9, 'spot'), false],
    ['a queued job needs a start, and misses by the restart', state(19, 9, null), false],
    ['the deadline has passed', state(21, 9, 'on-demand'), false],
    ['work overran its estimate: nothing left, so only the restart counts', state(19.5, 12, 'spot'), true],
  ])('%s', (_what, s, feasible) => {
    expect(deadlineFeasible(s)).toBe(feasible);
  });

  it('reports the slack in hours', () => {
    expect(deadlineSlackHours(state(10, 5, 'spot'))).toBeCloseTo(10 - 5 - RESTART);
  });
});

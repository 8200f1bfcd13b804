import { describe, expect, it } from 'vitest';
import {
  type MigPlacement,
  migProfiles,
  placeProfile,
  smallestProfileFor,
  validLayout,
  validPlacements,
} from '../../src/core/placement/mig.js';

const GPUS: [string, number, string[]][] = [
  ['A100', 40, ['1g.5gb', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']],
  ['A100', 80, ['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']],
  ['H100', 80, ['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']],
  ['H100', 94, ['1g.12gb', '1g.24gb', '2g.24gb', '3g.47gb', '4g.47gb', '7g.94gb']],
  ['H200', 141, ['1g.18gb', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb']],
];

describe('MIG profile tables (NVIDIA MIG user guide)', () => {
  it.each(GPUS)('%s-%sGB has the guide’s profiles, smallest first', (model, mem, names) => {
    expect(migProfiles(model, mem)?.map((p) => p.name)).toEqual(names);
  });

  it.each([
    ['a T4, which has no MIG', 'T4', 16],
    ['a B200, for which gpusched has no table yet', 'B200', 180],
    ['an A100 of a memory size that does not exist', 'A100', 48],
  ])('has no table for %s', (_what, model, mem) => {
    expect(migProfiles(model, mem)).toBeNull();
  });

  it.each(GPUS)('%s-%sGB: the guide’s instance counts follow from the placements', (model, mem) => {
    for (const p of migProfiles(model, mem) ?? []) {
      const placed: MigPlacement[] = [];
      for (;;) {
        const next = placeProfile(model, mem, placed, p.name);
        if (!next) break;
        placed.push(next);
      }
      expect(placed.length, p.name).toBe(p.maxInstances);
    }
  });

  it('places every profile only at the starts of the guide’s -lgipp listing', () => {
    const starts = Object.fromEntries((migProfiles('A100', 40) ?? []).map((p) => [p.name, p.starts]));
    expect(starts).toEqual({
      '1g.5gb': [0, 1, 2, 3, 4, 5, 6],
      '1g.10gb': [0, 2, 4, 6],
      '2g.10gb': [0, 2, 4],
      '3g.20gb': [0, 4],
      '4g.20gb': [0],
      '7g.40gb': [0],
    });
  });
});

describe('valid MIG layouts', () => {
  it.each([
    ['the whole GPU as one 7g', ['7g.40gb']],
    ['a 4g next to a 3g', ['4g.20gb', '3g.20gb']],
    ['two 3g halves', ['3g.20gb', '3g.20gb']],
    ['4g + 2g + 1g', ['4g.20gb', '2g.10gb', '1g.5gb']],
    ['three 2g and a 1g', ['2g.10gb', '2g.10gb', '2g.10gb', '1g.5gb']],
    ['seven 1g.5gb', Array(7).fill('1g.5gb')],
    ['four 1g.10gb', Array(4).fill('1g.10gb')],
    ['3g + 2g + 1g + 1g', ['3g.20gb', '2g.10gb', '1g.5gb', '1g.5gb']],
  ])('accepts %s on an A100-40GB', (_what, profiles) => {
    expect(validLayout('A100', 40, profiles)).toBe(true);
  });

  it.each([
    ['two 4g (a 4g only starts at slice 0)', ['4g.20gb', '4g.20gb']],
    ['eight 1g.5gb (slice 7 takes no 1g.5gb)', Array(8).fill('1g.5gb')],
    ['anything next to a 7g', ['7g.40gb', '1g.5gb']],
    ['four 2g', Array(4).fill('2g.10gb')],
    ['three 3g', Array(3).fill('3g.20gb')],
    ['five 1g.10gb', Array(5).fill('1g.10gb')],
    ['4g + 3g + 1g (8 compute slices)', ['4g.20gb', '3g.20gb', '1g.5gb']],
    ['a profile of another GPU', ['1g.12gb']],
  ])('refuses %s on an A100-40GB', (_what, profiles) => {
    expect(validLayout('A100', 40, profiles)).toBe(false);
  });

  it('refuses any layout on a GPU without a MIG table', () => {
    expect(validLayout('L4', 24, ['1g.5gb'])).toBe(false);
  });

  it.each([
    ['a 4g and a 3g side by side', [p('4g.40gb', 0, 4), p('3g.40gb', 4, 4)], true],
    ['a 3g overlapping a 4g', [p('4g.40gb', 0, 4), p('3g.40gb', 0, 4)], false],
    ['a 2g at slice 6, which is not one of its starts', [p('2g.20gb', 6, 2)], false],
    ['a 1g.10gb at slice 7', [p('1g.10gb', 7, 1)], false],
    ['a placement whose size is not the profile’s', [p('3g.40gb', 4, 3)], false],
  ])('checks concrete placements on an H100-80GB: %s', (_what, placements, ok) => {
    expect(validPlacements('H100', 80, placements)).toBe(ok);
  });
});

function p(profile: string, start: number, size: number): MigPlacement {
  return { profile, start, size };
}

describe('placing one more MIG instance', () => {
  it('puts a lone 3g at slice 4, so that a 4g still fits at slice 0', () => {
    expect(placeProfile('A100', 80, [], '3g.40gb')).toEqual(p('3g.40gb', 4, 4));
    expect(placeProfile('A100', 80, [p('3g.40gb', 4, 4)], '4g.40gb')).toEqual(p('4g.40gb', 0, 4));
  });

  it('puts a second 3g at slice 0, the only start left', () => {
    expect(placeProfile('A100', 80, [p('3g.40gb', 4, 4)], '3g.40gb')).toEqual(p('3g.40gb', 0, 4));
  });

  it('answers null when no start is free', () => {
    expect(placeProfile('A100', 80, [p('7g.80gb', 0, 8)], '1g.10gb')).toBeNull();
    expect(placeProfile('A100', 80, [p('4g.40gb', 0, 4)], '4g.40gb')).toBeNull();
  });

  it('answers null for a profile the GPU does not have', () => {
    expect(placeProfile('A100', 80, [], '1g.5gb')).toBeNull();
  });
});

describe('the smallest profile for a fractional request', () => {
  it.each([
    ['a tenth and 4 GiB', 'A100', 40, 0.1, 4, '1g.5gb'],
    ['a tenth but 8 GiB: the 1g with two memory slices', 'A100', 40, 0.1, 8, '1g.10gb'],
    ['a fifth: two compute slices', 'A100', 40, 0.2, 5, '2g.10gb'],
    ['exactly 2/7', 'A100', 80, 2 / 7, 10, '2g.20gb'],
    ['0.4 and 30 GiB', 'A100', 80, 0.4, 30, '3g.40gb'],
    ['a half: 3/7 is too little, so a 4g', 'A100', 80, 0.5, 30, '4g.40gb'],
    ['a tenth and 20 GiB on the 94 GB H100', 'H100', 94, 0.1, 20, '1g.24gb'],
    ['0.9 and 100 GiB on an H200', 'H200', 141, 0.9, 100, '7g.141gb'],
  ])('%s → %s', (_what, model, mem, fraction, memoryGiB, want) => {
    expect(smallestProfileFor(model, mem, { fraction, memoryGiB })?.name).toBe(want);
  });

  it.each([
    ['more memory than the GPU has', 'H200', 141, 0.5, 200],
    ['a GPU without MIG', 'T4', 16, 0.1, 1],
  ])('has none for %s', (_what, model, mem, fraction, memoryGiB) => {
    expect(smallestProfileFor(model, mem, { fraction, memoryGiB })).toBeNull();
  });
});

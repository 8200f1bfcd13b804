import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  canFit,
  emptyInventory,
  freeCapacity,
  type NodeGpus,
  release,
  roomAfter,
  type SlotRequest,
} from '../../src/core/placement/slices.js';

const A100x2 = () => emptyInventory({ model: 'A100', count: 2, memoryGiB: 80 });
const L4x2 = () => emptyInventory({ model: 'L4', count: 2, memoryGiB: 24 });

/** Allocates in turn; fails the test if one does not fit. */
function fill(inv: NodeGpus, ...asks: [SlotRequest, string, string][]): NodeGpus {
  let cur = inv;
  for (const [req, jobId, team] of asks) {
    const r = allocate(cur, req, jobId, team);
    if (!r) throw new Error(`${jobId} did not fit`);
    cur = r.inventory;
  }
  return cur;
}

describe('whole GPUs', () => {
  it('takes the lowest free GPUs and says which, for CUDA_VISIBLE_DEVICES', () => {
    const inv = emptyInventory({ model: 'A100', count: 8, memoryGiB: 40 });
    const r = allocate(inv, { count: 3 }, 'job-1', 'research');
    expect(r?.slot).toEqual({ kind: 'whole', gpuIndices: [0, 1, 2] });
    expect(freeCapacity(r!.inventory).wholeGpus).toBe(5);
  });

  it('refuses more GPUs than are free', () => {
    const inv = fill(A100x2(), [{ count: 1 }, 'a', 'research']);
    expect(canFit(inv, { count: 2 }, 'research')).toBe(false);
  });

  it('never takes a GPU partitioned for MIG, even when the slice on it is small', () => {
    const inv = fill(A100x2(), [{ fraction: 0.1, memoryGiB: 5 }, 'a', 'research']);
    expect(canFit(inv, { count: 2 }, 'research')).toBe(false);
    expect(allocate(inv, { count: 1 }, 'b', 'research')?.slot).toEqual({ kind: 'whole', gpuIndices: [1] });
  });

  it('never takes a GPU shared by MPS', () => {
    const inv = fill(L4x2(), [{ fraction: 0.5, memoryGiB: 4 }, 'a', 'research']);
    expect(canFit(inv, { count: 2 }, 'research')).toBe(false);
  });
});

describe('MIG slices on MIG-capable GPUs', () => {
  it('gives a fractional request the smallest profile that serves it, placed to keep room for a 4g', () => {
    const r = allocate(A100x2(), { fraction: 0.25, memoryGiB: 15 }, 'inf-1', 'search');
    expect(r?.slot).toEqual({
      kind: 'mig',
      gpuIndices: [0],
      profile: '2g.20gb',
      profileId: 14,
      start: 4,
      size: 2,
      memoryGiB: 20,
    });
  });

  it('lets teams mix on one GPU: MIG isolates them in hardware', () => {
    const inv = fill(A100x2(), [{ fraction: 0.1, memoryGiB: 5 }, 'a', 'research']);
    const r = allocate(inv, { fraction: 0.1, memoryGiB: 5 }, 'b', 'search');
    expect(r?.slot.gpuIndices).toEqual([0]);
  });

  it('fills a partitioned GPU before turning a free one to MIG', () => {
    let inv = A100x2();
    for (let i = 0; i < 7; i++) inv = fill(inv, [{ fraction: 0.1, memoryGiB: 8 }, `j${i}`, `team${i}`]);
    expect(inv.gpus[0]?.allocations).toHaveLength(7);
    expect(inv.gpus[1]?.allocations).toHaveLength(0);
    const eighth = allocate(inv, { fraction: 0.1, memoryGiB: 8 }, 'j7', 'x');
    expect(eighth?.slot.gpuIndices).toEqual([1]);
  });

  it('takes a larger profile when the smallest has no room left', () => {
    // 4g at 0 and 2g at 4 leave slices 6–7: no 2g start there, but a 1g.20gb fits and serves one compute slice.
    const inv = fill(
      emptyInventory({ model: 'H100', count: 1, memoryGiB: 80 }),
      [{ fraction: 0.5, memoryGiB: 40 }, 'a', 'x'],
      [{ fraction: 0.2, memoryGiB: 20 }, 'b', 'x'],
    );
    const r = allocate(inv, { fraction: 0.1, memoryGiB: 10 }, 'c', 'y');
    expect(r?.slot).toMatchObject({ kind: 'mig', profile: '1g.10gb', start: 6 });
  });

  it('refuses a request no profile can serve', () => {
    expect(canFit(A100x2(), { fraction: 0.5, memoryGiB: 81 }, 'x')).toBe(false);
  });
});

describe('MPS / time-sliced shares on other GPUs', () => {
  it('shares a GPU within one team while the fractions and memory add up', () => {
    const inv = fill(L4x2(), [{ fraction: 0.5, memoryGiB: 10 }, 'a', 'research']);
    const r = allocate(inv, { fraction: 0.5, memoryGiB: 10 }, 'b', 'research');
    expect(r?.slot).toEqual({ kind: 'shared', gpuIndices: [0], fraction: 0.5, memoryGiB: 10 });
  });

  it('keeps one team per GPU: there is no isolation between MPS clients', () => {
    const inv = fill(L4x2(), [{ fraction: 0.25, memoryGiB: 4 }, 'a', 'research']);
    expect(allocate(inv, { fraction: 0.25, memoryGiB: 4 }, 'b', 'search')?.slot.gpuIndices).toEqual([1]);
  });

  it('refuses another team when every GPU is held by someone else', () => {
    const inv = fill(L4x2(), [{ fraction: 0.1, memoryGiB: 1 }, 'a', 'research'], [{ count: 1 }, 'b', 'x']);
    expect(canFit(inv, { fraction: 0.1, memoryGiB: 1 }, 'search')).toBe(false);
  });

  it.each([
    ['the fractions would pass 1', { fraction: 0.6, memoryGiB: 1 }],
    ['the memory would pass the GPU’s', { fraction: 0.1, memoryGiB: 15 }],
  ])('opens another GPU when %s', (_what, req) => {
    const inv = fill(L4x2(), [{ fraction: 0.5, memoryGiB: 10 }, 'a', 'research']);
    expect(allocate(inv, req, 'b', 'research')?.slot.gpuIndices).toEqual([1]);
  });

  it('time-shares a B200: gpusched has no MIG table for it', () => {
    const inv = emptyInventory({ model: 'B200', count: 1, memoryGiB: 180 });
    expect(allocate(inv, { fraction: 0.5, memoryGiB: 50 }, 'a', 'x')?.slot.kind).toBe('shared');
  });
});

describe('release and free capacity', () => {
  it('frees what the job held, and an emptied GPU is whole again', () => {
    const inv = fill(
      A100x2(),
      [{ fraction: 0.1, memoryGiB: 5 }, 'a', 'x'],
      [{ fraction: 0.1, memoryGiB: 5 }, 'b', 'y'],
      [{ count: 1 }, 'c', 'z'],
    );
    const after = release(release(inv, 'a'), 'b');
    expect(after.gpus[0]).toEqual({ index: 0, mode: 'whole', allocations: [] });
    expect(after.gpus[1]?.allocations.map((a) => a.jobId)).toEqual(['c']);
    expect(canFit(after, { count: 1 }, 'x')).toBe(true);
  });

  it('leaves the inventory it was given unchanged', () => {
    const inv = A100x2();
    const copy = JSON.parse(JSON.stringify(inv));
    allocate(inv, { count: 1 }, 'a', 'x');
    allocate(inv, { fraction: 0.1, memoryGiB: 5 }, 'b', 'x');
    release(inv, 'a');
    expect(inv).toEqual(copy);
  });

  it('counts free whole GPUs, compute left and memory left', () => {
    const inv = fill(
      emptyInventory({ model: 'A100', count: 3, memoryGiB: 80 }),
      [{ count: 1 }, 'a', 'x'],
      [{ fraction: 0.5, memoryGiB: 40 }, 'b', 'x'], // 4g.40gb: 3 compute slices left
    );
    expect(freeCapacity(inv)).toEqual({ wholeGpus: 1, fraction: 1 + 3 / 7, memoryGiB: 80 + 40 });
  });
});

describe('the quick fit check', () => {
  const slot: fc.Arbitrary<SlotRequest> = fc.oneof(
    fc.record({ count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      fraction: fc.integer({ min: 1, max: 10 }).map((n) => n / 10),
      memoryGiB: fc.integer({ min: 1, max: 90 }),
    }),
  );

  it('agrees with allocate on every inventory, and on the free GPUs left', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['A100', 40], ['H100', 80], ['L4', 24], ['H200', 141]),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(slot, fc.constantFrom('x', 'y')), { maxLength: 12 }),
        ([model, memoryGiB], count, asks) => {
          let inv = emptyInventory({ model: String(model), count, memoryGiB: Number(memoryGiB) });
          asks.forEach(([req, team], i) => {
            const quick = roomAfter(inv, req, team);
            const full = allocate(inv, req, `j${i}`, team);
            expect(quick === null).toBe(full === null);
            if (full) {
              expect(quick).toBe(freeCapacity(full.inventory).wholeGpus);
              inv = full.inventory;
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

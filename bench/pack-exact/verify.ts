// Checks a MIP answer against the slot rules directly, without the MIP's own constraints: if the formulation
// were too loose, its "optimum" would be a plan no node could run, and every ratio would be flattered. MIG
// layouts are checked with mig.ts's validPlacements, as the packer's own tests do.
import { type MigPlacement, profilesFor, validPlacements } from '../../src/core/placement/mig.js';
import { isWholeRequest } from '../../src/core/placement/slices.js';
import { evaluate, type Instance, nodeAccepts, offerAccepts } from './instance.js';
import type { Exact } from './mip.js';
import { EPS } from './model.js';

export function verify(inst: Instance, ex: Exact): string | null {
  const { units, targets } = ex.structure;
  if (ex.placed.length !== units.length) return `${units.length - ex.placed.length} units unplaced`;
  const perTarget = new Map<number, typeof ex.placed>();
  for (const p of ex.placed) perTarget.set(p.target, [...(perTarget.get(p.target) ?? []), p]);

  for (const [ti, here] of perTarget) {
    const t = targets[ti]!;
    let gpus = 0;
    const bins = new Map<number, { unit: number; mig: MigPlacement | null }[]>();
    for (const p of here) {
      const r = units[p.unit]!.req;
      const req = inst.requests[r]!;
      const ok = t.node !== null ? nodeAccepts(inst, r, t.node) : offerAccepts(inst, r, t.offer!);
      if (!ok) return `${t.name}: ${req.id} may not go there`;
      if (isWholeRequest(req.gpu)) {
        gpus += req.gpu.count;
        continue;
      }
      if (!p.option) return `${t.name}: ${req.id} has no slot`;
      const mig = p.option.mig;
      if (mig && !profilesFor(t.inv.model, t.inv.memoryGiB, req.gpu).some((q) => q.name === mig.profile))
        return `${t.name}: ${mig.profile} does not serve ${req.id}`;
      const list = bins.get(p.option.bin) ?? [];
      list.push({
        unit: p.unit,
        mig: mig ? { profile: mig.profile, start: mig.start, size: mig.size } : null,
      });
      bins.set(p.option.bin, list);
    }
    for (const [bi, list] of bins) {
      const b = t.bins[bi]!;
      if (b.free) gpus++;
      const existing = b.gpu === null ? [] : t.inv.gpus[b.gpu]!.allocations;
      if (t.mig) {
        const placements = [...existing.flatMap((a) => (a.mig ? [a.mig] : [])), ...list.map((l) => l.mig!)];
        if (!validPlacements(t.inv.model, t.inv.memoryGiB, placements))
          return `${t.name} GPU bin ${bi}: invalid MIG layout ${JSON.stringify(placements)}`;
        continue;
      }
      const shares = [
        ...existing.map((a) => ({ team: a.team, fraction: a.fraction, memoryGiB: a.memoryGiB })),
        ...list.map((l) => {
          const req = inst.requests[units[l.unit]!.req]!;
          const g = req.gpu as { fraction: number; memoryGiB: number };
          return { team: req.team, fraction: g.fraction, memoryGiB: g.memoryGiB };
        }),
      ];
      if (new Set(shares.map((s) => s.team)).size > 1)
        return `${t.name} GPU bin ${bi}: two teams on an MPS GPU`;
      if (shares.reduce((s, x) => s + x.fraction, 0) > 1 + EPS)
        return `${t.name} GPU bin ${bi}: compute over 1`;
      if (shares.reduce((s, x) => s + x.memoryGiB, 0) > t.inv.memoryGiB + EPS)
        return `${t.name} GPU bin ${bi}: memory over the GPU's`;
    }
    if (gpus > t.freeGpus) return `${t.name}: ${gpus} GPUs taken of ${t.freeGpus} free`;
  }

  for (let r = 0; r < inst.requests.length; r++) {
    const at = ex.placed.filter((p) => units[p.unit]!.req === r).map((p) => targets[p.target]!);
    if (at.length < 2) continue;
    if (new Set(at).size !== at.length) return `gang ${inst.requests[r]!.id}: two members on one node`;
    if (new Set(at.map((t) => t.zone)).size !== 1) return `gang ${inst.requests[r]!.id}: more than one zone`;
  }
  const cost = evaluate(inst, ex.plan);
  if (Math.abs(cost - ex.objective) > 1e-6 * Math.max(1, cost))
    return `objective ${ex.objective} but the plan costs ${cost}`;
  return null;
}

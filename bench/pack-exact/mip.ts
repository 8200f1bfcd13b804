// The exact optimum of one instance, as a mixed-integer program solved by HiGHS (the `highs` package, a
// benchmark-only dependency). What the MIP models, as the packer's slot rules (docs/shared-gpus.md) say:
//
// - every unit placed once, on a running node or on a copy of an offer (copies bounded in model.ts);
// - whole GPUs: a node's whole-GPU units plus the free GPUs its fractional units take ≤ its free GPUs;
// - MIG GPUs: each fractional unit gets one placement (a profile that serves it, at one of its starts), and no
//   memory slice is used twice on a GPU, nor one a running instance holds: NVML's validity rule (at most 7
//   compute slices follows from the geometry);
// - MPS GPUs: Σ fraction ≤ 1 and Σ memory ≤ the GPU's, one team per GPU (and the team already on it);
// - gangs: members on distinct nodes, all in one zone.
// Objective, the packer's cost semantics: Σ unit costs on running nodes + Σ over new nodes of the most any of
// its units would cost alone there (cost levels: see nodeCost).
// Not modelled, because the packer ignores them too: host CPUs and memory, offers running out, priorities.
import type { Highs } from 'highs';
import { MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES, profilesFor } from '../../src/core/placement/mig.js';
import type { Instance, Plan } from './instance.js';
import { type Option, type Structure, structure, type Target } from './model.js';

export interface Placed {
  readonly unit: number;
  readonly target: number;
  /** The option taken, for fractional units. */
  readonly option: Option | null;
}

export interface Exact {
  readonly status: string;
  /** Proven optimal (to HiGHS's gap of 1e-6). */
  readonly optimal: boolean;
  readonly objective: number;
  /** The solver's lower bound on the optimum (equal to objective when optimal). */
  readonly bound: number;
  readonly plan: Plan;
  readonly placed: Placed[];
  readonly structure: Structure;
  readonly ms: number;
  readonly columns: number;
  readonly rows: number;
}

type Term = readonly [number, string];

const num = (v: number) => {
  const s = String(v);
  return s.includes('e') ? v.toFixed(12) : s;
};

function expr(terms: readonly Term[]): string {
  const parts = terms.map(([c, v], i) => {
    const sign = c < 0 ? '-' : i === 0 ? '' : '+';
    const a = Math.abs(c);
    return `${sign}${sign ? ' ' : ''}${a === 1 ? '' : `${num(a)} `}${v}`;
  });
  // Short lines: LP readers need not take long ones.
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 8) lines.push(parts.slice(i, i + 8).join(' '));
  return lines.join('\n   ');
}

class Lp {
  readonly rows: string[] = [];
  readonly binaries: string[] = [];
  readonly objective: Term[] = [];
  private n = 0;

  row(terms: readonly Term[], op: '<=' | '>=' | '=', rhs: number): void {
    if (terms.length === 0) return;
    this.rows.push(` r${this.n++}: ${expr(terms)} ${op} ${num(rhs)}`);
  }

  binary(name: string): string {
    this.binaries.push(name);
    return name;
  }

  text(): string {
    const obj = this.objective.length > 0 ? expr(this.objective) : '0 x_empty';
    return [
      'Minimize',
      ` obj: ${obj}`,
      'Subject To',
      ...this.rows,
      'Binaries',
      ...this.binaries.map((b) => ` ${b}`),
      'End',
    ].join('\n');
  }
}

export function formulate(inst: Instance, s: Structure): Lp {
  const lp = new Lp();
  const { units, targets, options } = s;
  const x = (u: number, t: number) => `x${u}_${targets[t]!.name}`;
  // The cost-level binary each unit needs on each new node (see nodeCost).
  const level = new Map<string, string>();
  units.forEach((_, u) => {
    const where: Term[] = [];
    targets.forEach((_, t) => {
      if (options[u]![t] !== null) where.push([1, lp.binary(x(u, t))]);
    });
    lp.row(where, '=', 1);
  });
  targets.forEach((t, ti) => {
    const here = units.flatMap((_, u) => (options[u]![ti] ? [u] : []));
    if (here.length === 0) return;
    const bins = slots(inst, s, lp, ti, here, x);
    if (t.node !== null) {
      for (const u of here) lp.objective.push([inst.nodeCost[units[u]!.req]![t.node]!, x(u, ti)]);
      lp.row(bins.whole, '<=', t.freeGpus);
    } else nodeCost(inst, s, lp, ti, here, x, bins.whole, level);
  });
  gangs(inst, s, lp, x, level);
  return lp;
}

/**
 * What a unit weighs against a node's GPUs, in two measures, each of which a GPU holds at most 1 of: GPUs for
 * a whole-GPU unit; for a fractional one, on MIG the compute (/7) and memory slices (/8) of the smallest
 * profile that serves it, on MPS its fraction and its memory share. Used by the cost-level cuts.
 */
function weights(inst: Instance, s: Structure, u: number, t: Target): [number, number] {
  const g = inst.requests[s.units[u]!.req]!.gpu;
  if ('count' in g) return [g.count, g.count];
  if (!t.mig) return [g.fraction, g.memoryGiB / t.inv.memoryGiB];
  const p = profilesFor(t.inv.model, t.inv.memoryGiB, g);
  return [
    Math.min(...p.map((q) => q.computeSlices)) / MIG_COMPUTE_SLICES,
    Math.min(...p.map((q) => q.memorySlices)) / MIG_MEMORY_SLICES,
  ];
}

/**
 * A new node costs the most any of its units would cost alone on it. With the distinct unit costs a1 < a2 < …
 * there, binaries v1 (the node is open) ≥ v2 ≥ … say "the node costs at least a_l", so the cost is a1·v1 +
 * Σ (a_l − a_(l−1))·v_l and a unit of cost a_l needs v_l. The cuts "units of cost ≥ a_l take at most G·v_l
 * GPUs" are implied for integers but make the relaxation charge each unit its share of the node.
 */
function nodeCost(
  inst: Instance,
  s: Structure,
  lp: Lp,
  ti: number,
  here: number[],
  x: (u: number, t: number) => string,
  whole: Term[],
  level: Map<string, string>,
): void {
  const t = s.targets[ti]!;
  const costOf = (u: number) => inst.offerCost[s.units[u]!.req]![t.offer!]!;
  const levels = [...new Set(here.map(costOf))].sort((a, b) => a - b);
  const v = levels.map((_, l) => lp.binary(`v${t.name}_${l}`));
  levels.forEach((a, l) => {
    lp.objective.push([l === 0 ? a : a - levels[l - 1]!, v[l]!]);
    if (l > 0)
      lp.row(
        [
          [1, v[l - 1]!],
          [-1, v[l]!],
        ],
        '>=',
        0,
      );
    const above = here.filter((u) => costOf(u) >= a);
    for (const m of [0, 1]) {
      const terms = above.map((u): Term => [weights(inst, s, u, t)[m]!, x(u, ti)]);
      lp.row([...terms, [-t.freeGpus, v[l]!]], '<=', 0);
    }
  });
  for (const u of here) {
    const vu = v[levels.indexOf(costOf(u))]!;
    level.set(x(u, ti), vu);
    lp.row(
      [
        [1, x(u, ti)],
        [-1, vu],
      ],
      '<=',
      0,
    );
  }
  lp.row([...whole, [-t.freeGpus, v[0]!]], '<=', 0);
  // Copies of an offer are interchangeable: open them in order.
  if (t.copy > 0)
    lp.row(
      [
        [1, `v${s.targets[ti - 1]!.name}_0`],
        [-1, v[0]!],
      ],
      '>=',
      0,
    );
}

/**
 * The GPUs of one node: whole-GPU units, and fractional units on GPU bins (MIG placements or MPS shares).
 * Returns the terms that count whole GPUs taken (whole-GPU units and free GPUs put to fractional use).
 */
function slots(
  inst: Instance,
  s: Structure,
  lp: Lp,
  ti: number,
  here: number[],
  x: (u: number, t: number) => string,
): { whole: Term[] } {
  const t = s.targets[ti]!;
  const whole: Term[] = [];
  const onBin: { u: number; o: Option; v: string }[][] = t.bins.map(() => []);
  for (const u of here) {
    const req = inst.requests[s.units[u]!.req]!;
    if ('count' in req.gpu) {
      whole.push([req.gpu.count, x(u, ti)]);
      continue;
    }
    const link = s.options[u]![ti]!.map((o, i): Term => {
      const v = lp.binary(`z${u}_${t.name}_${i}`);
      onBin[o.bin]!.push({ u, o, v });
      return [1, v];
    });
    lp.row([...link, [-1, x(u, ti)]], '=', 0);
  }
  const reqOf = (u: number) => inst.requests[s.units[u]!.req]!;
  t.bins.forEach((b, bi) => {
    const on = onBin[bi]!;
    if (on.length === 0) return;
    // A free GPU in use counts as taken for whole-GPU units; free bins are used in order (symmetry).
    const used = b.free ? lp.binary(`w${t.name}_${bi}`) : null;
    const limit = (terms: Term[], cap: number) =>
      lp.row(used ? [...terms, [-cap, used]] : terms, '<=', used ? 0 : cap);
    if (used) {
      whole.push([1, used]);
      if (bi > 0 && t.bins[bi - 1]!.free)
        lp.row(
          [
            [1, `w${t.name}_${bi - 1}`],
            [-1, used],
          ],
          '>=',
          0,
        );
    }
    if (t.mig) {
      for (let slice = 0; slice < 8; slice++) {
        const cover = on.filter((h) => (h.o.mig!.mask >> slice) & 1).map((h): Term => [1, h.v]);
        if (cover.length > 0) limit(cover, 1);
      }
      return;
    }
    const share = (u: number) => reqOf(u).gpu as { fraction: number; memoryGiB: number };
    limit(
      on.map((h): Term => [share(h.u).fraction, h.v]),
      b.free ? 1 : b.fraction,
    );
    limit(
      on.map((h): Term => [share(h.u).memoryGiB, h.v]),
      b.free ? t.inv.memoryGiB : b.memoryGiB,
    );
    // One team per MPS GPU (a GPU already shared is offered to its own team's units only: model.ts).
    const teams = [...new Set(on.map((h) => reqOf(h.u).team))];
    if (b.free && teams.length > 1) {
      const tv = teams.map((team) => lp.binary(`s${t.name}_${bi}_${team}`));
      lp.row(
        tv.map((v): Term => [1, v]),
        '<=',
        1,
      );
      for (const h of on)
        lp.row(
          [
            [1, h.v],
            [-1, tv[teams.indexOf(reqOf(h.u).team)]!],
          ],
          '<=',
          0,
        );
    }
  });
  return { whole };
}

/**
 * Members of a gang on distinct nodes, all in one zone. On a new node, at most one member, and only if the
 * node costs at least the gang's level there: implied for integers, much tighter for the relaxation, which
 * would otherwise spread two members over two half-open nodes.
 */
function gangs(
  inst: Instance,
  s: Structure,
  lp: Lp,
  x: (u: number, t: number) => string,
  level: ReadonlyMap<string, string>,
): void {
  inst.requests.forEach((req, r) => {
    if (req.units < 2) return;
    const members = s.units.map((u, i) => ({ u, i })).filter((m) => m.u.req === r);
    s.targets.forEach((_, t) => {
      const on = members.filter((m) => s.options[m.i]![t] !== null).map((m): Term => [1, x(m.i, t)]);
      const v = on.length > 0 ? level.get(on[0]![1]) : undefined;
      if (v) lp.row([...on, [-1, v]], '<=', 0);
      else lp.row(on, '<=', 1);
    });
    const zones = [
      ...new Set(s.targets.filter((_, t) => s.options[members[0]!.i]![t] !== null).map((t) => t.zone)),
    ];
    if (zones.length < 2) return;
    const y = zones.map((_, zi) => lp.binary(`y${r}_${zi}`));
    lp.row(
      y.map((v): Term => [1, v]),
      '=',
      1,
    );
    for (const m of members) {
      s.targets.forEach((t, ti) => {
        if (s.options[m.i]![ti] !== null)
          lp.row(
            [
              [1, x(m.i, ti)],
              [-1, y[zones.indexOf(t.zone)]!],
            ],
            '<=',
            0,
          );
      });
    }
  });
}

/**
 * The column values of a plan's unit placements, as a start for the solver (it completes the rest: GPU slots,
 * cost levels, zones). Copies of an offer are numbered as structure() requires: by their first unit. Null
 * when the plan needs more copies of an offer than the model has.
 */
function startOf(s: Structure, plan: Plan): Map<string, number> | null {
  const next = new Map<number, number>();
  const unitOf = (req: number) => {
    const k = next.get(req) ?? 0;
    next.set(req, k + 1);
    return s.units.findIndex((u) => u.req === req && u.k === k);
  };
  const at = new Map<number, string>();
  for (const { req, node } of plan.onNodes) at.set(unitOf(req), `n${node}`);
  const byOffer = new Map<number, number[][]>();
  for (const l of plan.launches) byOffer.set(l.offer, [...(byOffer.get(l.offer) ?? []), l.reqs.map(unitOf)]);
  for (const [offer, nodes] of byOffer) {
    nodes.sort((a, b) => Math.min(...a) - Math.min(...b));
    const copies = s.targets.filter((t) => t.offer === offer).length;
    if (nodes.length > copies) return null;
    nodes.forEach((us, c) => {
      for (const u of us) at.set(u, `o${offer}c${c}`);
    });
  }
  const values = new Map<string, number>();
  s.units.forEach((_, u) => {
    s.targets.forEach((t, ti) => {
      if (s.options[u]![ti] !== null) values.set(`x${u}_${t.name}`, at.get(u) === t.name ? 1 : 0);
    });
  });
  return [...at].every(([u, name]) => values.get(`x${u}_${name}`) === 1) ? values : null;
}

export function solveExact(highs: Highs, inst: Instance, timeLimitS: number, start?: Plan): Exact {
  const s = structure(inst);
  const lp = formulate(inst, s);
  const t0 = performance.now();
  const model = highs.createModel({ format: 'lp', data: lp.text() });
  try {
    model.options.set({ output_flag: false, mip_rel_gap: 1e-6, mip_abs_gap: 1e-6, time_limit: timeLimitS });
    const warm = start ? startOf(s, start) : null;
    if (warm) {
      const names = [...warm.keys()];
      model.setSolution({
        indices: Int32Array.from(names, (n) => model.getColByName(n)),
        values: Float64Array.from(names, (n) => warm.get(n)!),
      });
    }
    const status = model.run().modelStatus;
    const ms = performance.now() - t0;
    const col = model.getSolution().colValue;
    const value = (name: string) => col[model.getColByName(name)] ?? 0;
    return {
      ...extract(s, value),
      status:
        Object.entries(highs.constants.modelStatus).find(([, v]) => v === status)?.[0] ?? String(status),
      optimal: status === highs.constants.modelStatus.optimal,
      objective: model.getObjectiveValue(),
      bound: Number(model.info.get('mip_dual_bound')),
      structure: s,
      ms,
      columns: model.getDimensions().numCols,
      rows: lp.rows.length,
    };
  } finally {
    model.dispose();
  }
}

function extract(s: Structure, value: (name: string) => number): { plan: Plan; placed: Placed[] } {
  const placed: Placed[] = [];
  const onNodes: { req: number; node: number }[] = [];
  const open = new Map<number, { offer: number; reqs: number[] }>();
  let unplaced = 0;
  s.units.forEach((unit, u) => {
    const t = s.targets.findIndex(
      (target, ti) => s.options[u]![ti] !== null && value(`x${u}_${target.name}`) > 0.5,
    );
    if (t < 0) {
      unplaced++;
      return;
    }
    const target = s.targets[t]!;
    const opts = s.options[u]![t]!;
    const i = opts.findIndex((_, k) => value(`z${u}_${target.name}_${k}`) > 0.5);
    placed.push({ unit: u, target: t, option: i >= 0 ? opts[i]! : null });
    if (target.node !== null) onNodes.push({ req: unit.req, node: target.node });
    else {
      const l = open.get(t) ?? { offer: target.offer!, reqs: [] };
      l.reqs.push(unit.req);
      open.set(t, l);
    }
  });
  return { plan: { onNodes, launches: [...open.values()], unplaced }, placed };
}

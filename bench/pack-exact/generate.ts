// Small packing instances on real offers: one or two zones of the bundled catalog, the offers there of one or
// two GPU models (at most 8), 4–12 requests (at most 12 units), and 0–2 running nodes of those offers, part
// full. Half the instances draw their requests at random, half from the reduced Alibaba trace (GPU counts,
// GPU shares, runtimes). Every request fits at least one offer, so every method can place everything.
import type { JobSpec } from '../../src/core/jobspec.js';
import { type Offer, queuedJob } from '../../src/core/model.js';
import {
  costGroupOf,
  type PackNode,
  type PackRequest,
  requestFromJob,
} from '../../src/core/placement/pack.js';
import {
  allocate,
  emptyInventory,
  type NodeGpus,
  type SlotRequest,
} from '../../src/core/placement/slices.js';
import { type Instance, offerAccepts, weight } from './instance.js';
import { between, pick, type Rng, rng } from './rng.js';
import type { TracePod } from './trace.js';

/** Expected cost of one unit of the spec alone on a node of the offer; +Infinity where refused. */
export type Price = (spec: JobSpec, offer: Offer) => number;

export interface GenContext {
  readonly catalog: readonly Offer[];
  readonly pods: readonly TracePod[];
  readonly price: Price;
}

/** MPS-shared GPUs (T4, L4, A10G, V100) and MIG GPUs (A100, H100). */
const FAMILIES = ['T4', 'L4', 'A10G', 'V100', 'A100', 'H100'];
const TEAMS = ['a', 'b', 'c'];
const MAX_OFFERS = 8;
/** Units (gang members count one each) per instance: beyond about 12 the MIP may take tens of seconds. */
const MAX_UNITS = 12;
const NOW = '2026-11-28T12:00:00Z';

type Zones = Map<string, Map<string, Offer[]>>;

function zonesOf(catalog: readonly Offer[]): Zones {
  const zones: Zones = new Map();
  for (const o of catalog) {
    if (!FAMILIES.includes(o.gpu.model)) continue;
    const z = `${o.cloud}:${o.region}:${o.zone ?? '*'}`;
    const byModel = zones.get(z) ?? new Map<string, Offer[]>();
    byModel.set(o.gpu.model, [...(byModel.get(o.gpu.model) ?? []), o]);
    zones.set(z, byModel);
  }
  return zones;
}

const ZONES = new WeakMap<readonly Offer[], Zones>();

interface Setting {
  readonly models: string[];
  readonly offers: Offer[];
}

/** A zone with at least two node sizes of a family; maybe a second model there, maybe a second zone. */
function setting(r: Rng, catalog: readonly Offer[]): Setting {
  let zones = ZONES.get(catalog);
  if (!zones) {
    zones = zonesOf(catalog);
    ZONES.set(catalog, zones);
  }
  const family = pick(r, FAMILIES);
  const fit = [...zones].filter(([, m]) => new Set((m.get(family) ?? []).map((o) => o.gpu.count)).size >= 2);
  const [zone, byModel] = pick(r, fit);
  const models = [family];
  const others = [...byModel.keys()].filter((m) => m !== family);
  if (others.length > 0 && r() < 0.35) models.push(pick(r, others));
  const chosen = [zone];
  const region = zone.slice(0, zone.lastIndexOf(':'));
  const near = fit.filter(([z]) => z !== zone && z.startsWith(`${region}:`)).map(([z]) => z);
  if (near.length > 0 && r() < 0.3) chosen.push(pick(r, near));
  const all = chosen.flatMap((z) => models.flatMap((m) => zones.get(z)?.get(m) ?? []));
  // A seeded shuffle, then the first few: which sizes and markets are on offer varies between instances.
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return { models, offers: all.slice(0, MAX_OFFERS) };
}

interface Drawn {
  readonly gpu: SlotRequest;
  readonly hours: number;
}

/** Largest node and smallest GPU memory among the offers of these models: what a request may ask for. */
function limits(offers: readonly Offer[], models: readonly string[]) {
  const own = offers.filter((o) => models.includes(o.gpu.model));
  return {
    maxCount: Math.max(1, ...own.map((o) => o.gpu.count)),
    memCap: Math.min(...own.map((o) => o.gpu.memoryGiB)),
  };
}

function randomDraw(r: Rng, maxCount: number, memCap: number): Drawn {
  const hours = pick(r, [1, 2, 4, 8]);
  if (r() < 0.5) return { gpu: { count: Math.min(maxCount, pick(r, [1, 1, 1, 2, 2, 4, 8])) }, hours };
  const fraction = between(r, 1, 19) / 20;
  const memoryGiB = Math.max(1, Math.min(memCap, Math.ceil(fraction * memCap * (0.5 + r()))));
  return { gpu: { fraction, memoryGiB }, hours };
}

function traceDraw(r: Rng, pods: readonly TracePod[], maxCount: number, memCap: number): Drawn {
  for (let k = 0; ; k++) {
    const p = pick(r, pods);
    const g = p.gpu;
    // A pod no offer of the instance can hold is drawn again (8-GPU pods on 4-GPU offers, say).
    if (k < 50 && ('count' in g ? g.count > maxCount : g.memoryGiB > memCap)) continue;
    return { gpu: g, hours: p.hours };
  }
}

function specOf(name: string, models: string[], d: Drawn, units: number, onDemand: boolean): JobSpec {
  return {
    name,
    image: 'bench',
    resources: { gpu: { models, ...d.gpu }, ...(units > 1 ? { nodes: units } : {}) },
    runtime: { estimateHours: d.hours },
    market: onDemand ? 'on-demand' : 'auto',
  };
}

/** Nodes already running, filled with earlier work of random teams up to 30–80 % of their GPUs. */
function runningNodes(
  r: Rng,
  s: Setting,
  draw: (models: string[]) => Drawn,
): { node: PackNode; offer: Offer }[] {
  const count = r() < 0.5 ? 0 : r() < 0.6 ? 1 : 2;
  return Array.from({ length: count }, (_, j) => {
    const offer = pick(r, s.offers);
    let inv: NodeGpus = emptyInventory(offer.gpu);
    const target = 0.3 + r() * 0.5;
    for (let k = 0; k < 12; k++) {
      const used = inv.gpus.filter((g) => g.allocations.length > 0).length / inv.gpus.length;
      if (used >= target) break;
      const next = allocate(inv, draw([offer.gpu.model]).gpu, `old-${j}-${k}`, pick(r, TEAMS));
      if (next) inv = next.inventory;
    }
    const node: PackNode = {
      id: `n${j}`,
      cloud: offer.cloud,
      region: offer.region,
      zone: offer.zone,
      inventory: inv,
    };
    return { node, offer };
  });
}

export function generate(ctx: GenContext, source: 'random' | 'trace', seed: number, name: string): Instance {
  const r = rng(seed);
  const s = setting(r, ctx.catalog);
  const draw = (models: string[]): Drawn => {
    const { maxCount, memCap } = limits(s.offers, models);
    return source === 'random' ? randomDraw(r, maxCount, memCap) : traceDraw(r, ctx.pods, maxCount, memCap);
  };
  const running = runningNodes(r, s, draw);
  const modelSets = s.models.length > 1 ? [[s.models[0]!], [s.models[1]!], s.models] : [s.models];
  const requests: PackRequest[] = [];
  const offerCost: number[][] = [];
  const nodeCost: number[][] = [];
  const n = between(r, 4, 12);
  let units = 0;
  for (let i = 0; requests.length < n && units < MAX_UNITS && i < 4 * n; i++) {
    const models = pick(r, modelSets);
    const d = draw(models);
    // The trace's pods are single pods; random requests are sometimes gangs of 2 or 3.
    const gang = source === 'trace' || r() < 0.8 ? 1 : r() < 0.75 ? 2 : 3;
    const spec = specOf(`r${requests.length}`, models, d, Math.min(gang, MAX_UNITS - units), r() < 0.25);
    const job = queuedJob({ id: spec.name, team: pick(r, TEAMS), spec, submittedAt: NOW });
    const req = requestFromJob(job, costGroupOf(spec));
    const row = s.offers.map((o) => ctx.price(spec, o));
    const probe: Instance = {
      name,
      source,
      requests: [req],
      offers: s.offers,
      nodes: [],
      offerCost: [row],
      nodeCost: [[]],
    };
    if (!s.offers.some((_, o) => offerAccepts(probe, 0, o))) continue;
    requests.push(req);
    units += req.units;
    offerCost.push(row);
    // A running node is paid for already: a unit there costs its share of the node's GPUs (as in
    // bench/placement.bench.ts).
    nodeCost.push(running.map(({ offer }) => (ctx.price(spec, offer) * weight(req.gpu)) / offer.gpu.count));
  }
  return {
    name,
    source,
    requests,
    offers: s.offers,
    nodes: running.map((x) => x.node),
    offerCost,
    nodeCost,
  };
}

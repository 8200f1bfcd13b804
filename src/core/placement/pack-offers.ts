// The offers' part of the packer's index (pack-index.ts): each offer's zone, GPU shape and size, and the target
// handed to cost() and refuse(), kept per frozen offer list, and per frozen offer, as the daemon hands the packer
// the same offers cycle after cycle.
import { gpuInfo } from '../gpus.js';
import { zoneKey } from './pack-state.js';
import type { PackInput, PackNode, PackRequest, PackTarget } from './pack-types.js';

export type ByShape = Map<string, { gpu: { model: string; memoryGiB: number }; idx: number[] }>;

export interface OfferShapes {
  /** Offers by canonical (model, memory). */
  readonly byShape: ByShape;
  readonly zoneOf: string[];
  /** Each offer's zone as a number (its index in `zones`): a class buckets its offers by zone in an array. */
  readonly zoneIdx: Int32Array;
  readonly zones: string[];
  /** GPUs per node of each offer. */
  readonly counts: Int32Array;
  /** One target object per offer, handed to every class's cost() and refuse(). */
  readonly targets: PackTarget<never>[];
}

type Shaped = { gpu: { model: string; memoryGiB: number } };

/** A GPU's canonical (model, memory) and its key in a ByShape. */
export function shapeOf(item: Shaped) {
  const gpu = { model: gpuInfo(item.gpu.model)?.model ?? item.gpu.model, memoryGiB: item.gpu.memoryGiB };
  return { key: `${gpu.model}/${gpu.memoryGiB}`, gpu };
}

type Shape = ReturnType<typeof shapeOf>;

/** Positions by shape, from each item's shape in order. */
export function indexByShape(shapes: readonly Shape[]): ByShape {
  const byShape: ByShape = new Map();
  shapes.forEach(({ key, gpu }, i) => {
    const e = byShape.get(key);
    if (e) e.idx.push(i);
    else byShape.set(key, { gpu, idx: [i] });
  });
  return byShape;
}

type PackOffer = PackInput<PackRequest, PackNode>['offers'][number];

/**
 * The offers' part of the index, kept per offer list: the daemon hands the same frozen list to every cycle while
 * the market stays as it is, and consolidation packs against it once per candidate node.
 */
const OFFER_SHAPES = new WeakMap<readonly unknown[], OfferShapes>();

/**
 * What the index reads of one offer, kept per frozen offer: a new list (a poll, a changed interruption rate)
 * mostly holds the same offers as the last one.
 */
interface OfferFacts {
  readonly zone: string;
  readonly shape: Shape;
  readonly count: number;
  readonly target: PackTarget<never>;
}

const OFFER_FACTS = new WeakMap<PackOffer, OfferFacts>();

function factsOf(offer: PackOffer): OfferFacts {
  let f = OFFER_FACTS.get(offer);
  if (!f) {
    f = {
      zone: zoneKey(offer),
      shape: shapeOf(offer),
      count: offer.gpu.count,
      target: { kind: 'offer', offer },
    };
    if (Object.isFrozen(offer)) OFFER_FACTS.set(offer, f);
  }
  return f;
}

/**
 * The last list's index, with what it read of each offer. A new list whose offers sit in the same zones with the
 * same GPUs at the same places (the usual case: the same pools, some with a new interruption rate) takes its
 * positions as they are, and only its targets anew.
 */
let lastShapes: { offers: readonly PackOffer[]; facts: readonly OfferFacts[]; shapes: OfferShapes } | null =
  null;

const samePlace = (a: OfferFacts, b: OfferFacts) =>
  a === b || (a.zone === b.zone && a.shape.key === b.shape.key && a.count === b.count);

export function offerShapes(offers: PackInput<PackRequest, PackNode>['offers']): OfferShapes {
  const known = Object.isFrozen(offers) ? OFFER_SHAPES.get(offers) : undefined;
  if (known) return known;
  const last = lastShapes;
  // A frozen offer at the place it held in the last list is known without a lookup.
  const before = last && last.offers.length === offers.length ? last : null;
  const facts = offers.map((o, i) =>
    before && o === before.offers[i] && Object.isFrozen(o) ? before.facts[i]! : factsOf(o),
  );
  const shapes: OfferShapes =
    last && last.facts.length === facts.length && facts.every((f, i) => samePlace(f, last.facts[i]!))
      ? { ...last.shapes, targets: facts.map((f) => f.target) }
      : positions(facts);
  if (Object.isFrozen(offers)) {
    OFFER_SHAPES.set(offers, shapes);
    lastShapes = { offers, facts, shapes };
  }
  return shapes;
}

function positions(facts: readonly OfferFacts[]): OfferShapes {
  const counts = new Int32Array(facts.length);
  facts.forEach((f, i) => {
    counts[i] = f.count;
  });
  const zoneOf = facts.map((f) => f.zone);
  const zones: string[] = [];
  const numbered = new Map<string, number>();
  const zoneIdx = new Int32Array(facts.length);
  zoneOf.forEach((zone, i) => {
    let z = numbered.get(zone);
    if (z === undefined) {
      z = zones.push(zone) - 1;
      numbered.set(zone, z);
    }
    zoneIdx[i] = z;
  });
  return {
    byShape: indexByShape(facts.map((f) => f.shape)),
    zoneOf,
    zoneIdx,
    zones,
    counts,
    targets: facts.map((f) => f.target),
  };
}

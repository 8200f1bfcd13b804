// Cloud Billing catalog SKUs → hourly component prices per region and market. GCE prices a GPU VM in
// parts: per GPU, per vCPU and per GiB of RAM, each part a SKU per machine family ("N1 Predefined
// Instance Core", "A2 Instance Ram", "Nvidia Tesla T4 GPU ...") and per market ("Spot Preemptible ..."
// descriptions, usageType "Preemptible"). Commitments, reservations, licences, Windows, sole tenancy,
// DWS and every other SKU are ignored: only descriptions that match the patterns below count.
// SKUs arrive as the SDK decodes them (int64 `units` as strings, effectiveTime as {seconds, nanos}) or
// as raw JSON (fixtures); both go through the same readers.
import type { Market } from '../../core/model.js';
import { GcpMalformedError } from './errors.js';

/** Host families whose vCPU and RAM SKUs we read. */
export type HostFamily = 'N1' | 'A2' | 'A3' | 'G2';

/** What a SKU prices: one GPU of an accelerator type, one vCPU or one GiB of RAM of a family. */
export type Component = `gpu:${string}` | `core:${HostFamily}` | `ram:${HostFamily}`;

/**
 * The SKU's GPU name (after "Nvidia " and an optional "Tesla ") → the accelerator type of the Compute
 * API. An explicit table because the two spellings differ ("A100 80GB" is nvidia-a100-80gb, "H100 80GB
 * Mega" is nvidia-h100-mega-80gb) and because H100 and H100 Mega have different prices while both are
 * an 80 GB H100 to the scheduler. Virtual-workstation GPUs (licensed) are deliberately absent.
 */
export const GPU_SKU_NAMES: Readonly<Record<string, string>> = {
  T4: 'nvidia-tesla-t4',
  V100: 'nvidia-tesla-v100',
  P100: 'nvidia-tesla-p100',
  P4: 'nvidia-tesla-p4',
  K80: 'nvidia-tesla-k80',
  A100: 'nvidia-tesla-a100',
  'A100 80GB': 'nvidia-a100-80gb',
  L4: 'nvidia-l4',
  'H100 80GB': 'nvidia-h100-80gb',
  'H100 80GB MEGA': 'nvidia-h100-mega-80gb',
};

const FAMILY_WORDS: Readonly<Record<string, HostFamily>> = {
  'N1 PREDEFINED': 'N1',
  A2: 'A2',
  A3: 'A3',
  G2: 'G2',
};

// A location is plain words ("Americas", "Sao Paulo", "us-east5"); a parenthesised suffix ("(DWS ...)")
// makes it another product.
const LOC = '[A-Za-z0-9][A-Za-z0-9 .,/-]*';
const PREEMPTIBLE = '(?:(?:Spot )?Preemptible )?';
const GPU_RE = new RegExp(
  `^${PREEMPTIBLE}Nvidia (?:Tesla )?(.+?) GPU (?:attached to (?:Spot )?Preemptible VMs )?running in ${LOC}$`,
  'i',
);
const HOST_RE = new RegExp(
  `^${PREEMPTIBLE}(N1 Predefined|A2|A3|G2) Instance (Core|Ram) running in ${LOC}$`,
  'i',
);

export interface RecognizedSku {
  skuId: string;
  description: string;
  component: Component;
  market: Market;
  /** Regions the price applies in. */
  regions: string[];
  /** USD per hour (GPU, vCPU) or per GiB-hour (RAM). */
  usdPerHour: number;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** int64 as the SDK gives it: a decimal string, a number, or a Long (anything with a decimal toString). */
function int64(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return 0;
  const s =
    typeof v === 'object' ? String(v) : typeof v === 'number' || typeof v === 'string' ? String(v) : '';
  return /^-?\d+$/.test(s.trim()) ? Number(s) : null;
}

/** google.type.Money → USD. */
export function moneyToNumber(money: unknown): number | null {
  const m = rec(money);
  const units = int64(m.units);
  const nanos = m.nanos === undefined || m.nanos === null ? 0 : m.nanos;
  if (units === null || typeof nanos !== 'number' || !Number.isInteger(nanos) || Math.abs(nanos) >= 1e9)
    return null;
  // One division, so that '2' + 933908000 nanos is the double nearest 2.933908, not 2.9339079999999997.
  return (units * 1e9 + nanos) / 1e9;
}

/** Seconds since the epoch of a Timestamp ({seconds, nanos}) or an RFC 3339 string; -1 when absent. */
function timeOf(t: unknown): number {
  if (typeof t === 'string') return Date.parse(t) / 1000 || -1;
  const seconds = int64(rec(t).seconds);
  return seconds === null ? -1 : seconds;
}

/**
 * The rate a daemon pays per unit: the first tier (lowest startUsageAmount) with a non-zero price.
 * Compute SKUs have one tier; where a free allowance comes first ($0 up to N), a GPU fleet is past it.
 * Volume tiers further down (cheaper) are not assumed reached.
 */
function pickRate(tiers: unknown): number | 'unreadable' | null {
  if (!Array.isArray(tiers)) return 'unreadable';
  const sorted = tiers
    .map((t) => ({
      start: Number(rec(t).startUsageAmount ?? 0),
      price: moneyToNumber(rec(t).unitPrice),
      t: rec(t),
    }))
    .sort((a, b) => a.start - b.start);
  for (const tier of sorted) {
    if (tier.price === null || !Number.isFinite(tier.start)) return 'unreadable';
    const currency = rec(tier.t.unitPrice).currencyCode;
    if (typeof currency === 'string' && currency !== '' && currency !== 'USD') return 'unreadable';
    if (tier.price < 0) return 'unreadable';
    if (tier.price > 0) return tier.price;
  }
  return null;
}

function matchComponent(description: string): { component: Component; spotWords: boolean } | null {
  const spotWords = /preemptible/i.test(description);
  const gpu = GPU_RE.exec(description);
  if (gpu?.[1]) {
    const type = GPU_SKU_NAMES[gpu[1].toUpperCase()];
    return type ? { component: `gpu:${type}`, spotWords } : null;
  }
  const host = HOST_RE.exec(description);
  const family = host?.[1] ? FAMILY_WORDS[host[1].toUpperCase()] : undefined;
  if (!family || !host?.[2]) return null;
  return { component: `${host[2].toLowerCase() === 'core' ? 'core' : 'ram'}:${family}`, spotWords };
}

/**
 * The SKU as a component price, or null when it is not one we use. Throws GcpMalformedError when a SKU
 * we use has a price we cannot read: better no poll than a wrong price.
 */
export function recognizeSku(raw: unknown): RecognizedSku | null {
  const sku = rec(raw);
  const description = typeof sku.description === 'string' ? sku.description.trim() : '';
  const matched = matchComponent(description);
  if (!matched) return null;
  const category = rec(sku.category);
  if (typeof category.resourceFamily === 'string' && category.resourceFamily !== 'Compute') return null;
  // usageType is the authority where present; commitments (Commit1Yr...) and others are not ours.
  const usage =
    typeof category.usageType === 'string' && category.usageType !== '' ? category.usageType : null;
  if (usage !== null && usage !== 'OnDemand' && usage !== 'Preemptible') return null;
  if (usage !== null && (usage === 'Preemptible') !== matched.spotWords) return null; // contradictory
  const market: Market = matched.spotWords ? 'spot' : 'on-demand';
  const skuId = typeof sku.skuId === 'string' ? sku.skuId : '?';
  const fail = (why: string): never => {
    throw new GcpMalformedError(`SKU ${skuId} (${description}): ${why}`);
  };
  let regions = strings(sku.serviceRegions);
  if (regions.length === 0) regions = strings(rec(sku.geoTaxonomy).regions);
  if (regions.length === 0) return null; // a global SKU: no regional VM price
  const infos = Array.isArray(sku.pricingInfo) ? sku.pricingInfo : fail('no pricingInfo');
  // Normally one entry (the price in force); with a time range, several: the latest applies.
  const info = rec([...infos].sort((a, b) => timeOf(rec(b).effectiveTime) - timeOf(rec(a).effectiveTime))[0]);
  const expr = rec(info.pricingExpression);
  const unit = expr.usageUnit;
  const wantUnit = matched.component.startsWith('ram:') ? 'GiBy.h' : 'h';
  if (typeof unit === 'string' && unit !== '' && unit !== wantUnit)
    fail(`usage unit '${unit}', expected '${wantUnit}'`);
  const rate = pickRate(expr.tieredRates);
  if (rate === 'unreadable')
    fail('tieredRates/unitPrice unreadable (units must be an int64, nanos an int32, USD)');
  if (rate === null) return null; // free: not a real GPU/vCPU price
  return { skuId, description, component: matched.component, market, regions, usdPerHour: rate as number };
}

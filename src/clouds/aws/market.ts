// The live AWS market: every configured region polled in parallel; spot prices every poll, zones and
// GPU shapes and type offerings every few minutes, on-demand prices about daily. A poll either
// answers for every region or throws: the poller then keeps its previous offers, where a region
// silently missing would read as "no capacity there".
import type { Offer } from '../../core/model.js';
import { CloudError } from '../errors.js';
import type { MarketSource } from '../ports.js';
import type { AwsClients } from './clients.js';
import { fetchGpuShapes, fetchOfferings, fetchOnDemandPrices, fetchSpotPrices, fetchZones } from './fetch.js';
import { type AwsShape, buildOffers, type OnDemandQuote } from './normalize.js';
import { AWS_DEFAULTS, type ResolvedAwsOptions, subnetFor, usesSubnets } from './options.js';

interface Availability {
  zones: Map<string, string>;
  shapes: Map<string, AwsShape>;
  offered: Set<string>;
  fetchedAt: number;
}

interface OnDemandCache {
  prices: Map<string, OnDemandQuote>;
  /** The types asked for: a type that appears later triggers an early refresh. */
  asked: Set<string>;
  fetchedAt: number;
}

interface RegionCache {
  availability?: Availability;
  onDemand?: OnDemandCache;
}

const HOUR = 3_600_000;

export class AwsMarket implements MarketSource {
  readonly cloud = 'aws' as const;
  readonly kind = 'live';
  private readonly cache = new Map<string, RegionCache>();

  constructor(
    private readonly clients: AwsClients,
    private readonly opts: ResolvedAwsOptions,
    /** Told when a fallback hides a failure (stale on-demand prices in use). */
    private readonly warn: (message: string) => void = () => {},
  ) {}

  async poll(now: Date): Promise<Offer[]> {
    const regions = this.opts.regions;
    const settled = await Promise.allSettled(regions.map((r) => this.pollRegion(r, now)));
    const failures: { region: string; error: unknown }[] = [];
    const offers: Offer[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') offers.push(...s.value);
      else failures.push({ region: regions[i] ?? '?', error: s.reason });
    });
    if (failures.length === 0) return offers;
    const first = failures[0]!.error;
    if (failures.length === 1 && first instanceof CloudError) throw first;
    const kind = first instanceof CloudError ? first.kind : 'Transient';
    const detail = failures
      .map((f) => (f.error instanceof Error ? f.error.message : String(f.error)))
      .join('; ');
    throw new CloudError(
      kind,
      `AWS poll failed in ${failures.length} of ${regions.length} regions: ${detail}`,
      'aws',
      {
        cause: first,
      },
    );
  }

  private async pollRegion(region: string, now: Date): Promise<Offer[]> {
    const c = this.regionCache(region);
    const avail = await this.availability(region, c, now);
    const types = [...avail.shapes.keys()].sort();
    const [spot, onDemand] = await Promise.all([
      types.length > 0 ? fetchSpotPrices(this.clients.ec2(region), region, types, now) : new Map(),
      this.onDemand(region, c, types, now),
    ]);
    const launch = this.opts.launch;
    return buildOffers({
      region,
      zones: avail.zones,
      shapes: avail.shapes,
      offered: avail.offered,
      spot,
      onDemand,
      spotObservedAt: now.toISOString(),
      // Zones without a configured subnet cannot be launched into: do not offer them.
      ...(usesSubnets(launch)
        ? { zoneUsable: (z: string, id: string) => subnetFor(launch, z, id) !== undefined }
        : {}),
    });
  }

  private regionCache(region: string): RegionCache {
    let c = this.cache.get(region);
    if (!c) {
      c = {};
      this.cache.set(region, c);
    }
    return c;
  }

  /** Zones, GPU shapes and offerings, refreshed together every availabilityRefreshMinutes. */
  private async availability(region: string, c: RegionCache, now: Date): Promise<Availability> {
    const maxAge = this.opts.availabilityRefreshMinutes * 60_000;
    if (c.availability && now.getTime() - c.availability.fetchedAt < maxAge) return c.availability;
    const ec2 = this.clients.ec2(region);
    const [zones, shapes] = await Promise.all([fetchZones(ec2, region), fetchGpuShapes(ec2, region)]);
    const offered =
      shapes.size > 0 ? await fetchOfferings(ec2, region, [...shapes.keys()].sort()) : new Set<string>();
    c.availability = { zones, shapes, offered, fetchedAt: now.getTime() };
    return c.availability;
  }

  /**
   * On-demand prices, refreshed every onDemandRefreshHours or when a new GPU type shows up. A failed
   * refresh keeps the previous prices (their observedAt shows their age) for a bounded time.
   */
  private async onDemand(
    region: string,
    c: RegionCache,
    types: readonly string[],
    now: Date,
  ): Promise<Map<string, OnDemandQuote>> {
    const prev = c.onDemand;
    const age = prev ? now.getTime() - prev.fetchedAt : Number.POSITIVE_INFINITY;
    const fresh = age < this.opts.onDemandRefreshHours * HOUR && types.every((t) => prev?.asked.has(t));
    if (prev && fresh) return prev.prices;
    if (types.length === 0) return new Map();
    try {
      const prices = await fetchOnDemandPrices(this.clients.pricing(), region, types);
      const observedAt = now.toISOString();
      c.onDemand = {
        prices: new Map([...prices].map(([t, p]) => [t, { pricePerHour: p, observedAt }])),
        asked: new Set(types),
        fetchedAt: now.getTime(),
      };
      return c.onDemand.prices;
    } catch (e) {
      if (!prev || age > AWS_DEFAULTS.onDemandMaxStaleHours * HOUR) throw e;
      this.warn(
        `AWS on-demand prices for ${region} not refreshed (${e instanceof Error ? e.message : String(e)}); ` +
          `keeping those of ${new Date(prev.fetchedAt).toISOString()}`,
      );
      return prev.prices;
    }
  }
}

// Offers grouped by GPU model, so that a job scans only the offers of the models it accepts (a few
// percent of a catalog) instead of refusing the rest one by one. The refusals it skips are still
// counted, as GPU_MODEL, so reasons stay the same as a full scan's.
import { gpuMatches } from '../gpus.js';
import type { Offer } from '../model.js';

export class OfferIndex {
  /** By `model/memoryGiB`: a request may pin a memory variant ('A100-80GB'), so both are part of the key. */
  private readonly byGpu = new Map<string, Offer[]>();
  /** Candidate lists per accepted-model list, built on first use. */
  private readonly memo = new Map<string, Offer[]>();

  constructor(readonly all: readonly Offer[]) {
    for (const o of all) {
      const key = `${o.gpu.model}/${o.gpu.memoryGiB}`;
      const list = this.byGpu.get(key);
      if (list) list.push(o);
      else this.byGpu.set(key, [o]);
    }
  }

  /**
   * The offers whose GPU a request naming `models` accepts (minMemoryGiB is left to the filters), grouped
   * by GPU. No models: every offer.
   */
  candidates(models: readonly string[] | undefined): readonly Offer[] {
    if (!models || models.length === 0) return this.all;
    const key = models.join('\u0000');
    let list = this.memo.get(key);
    if (!list) {
      list = [];
      for (const offers of this.byGpu.values()) {
        // Every offer of one model and memory gets the same answer, so the first speaks for all.
        if (gpuMatches(models, undefined, offers[0]!.gpu)) list.push(...offers);
      }
      this.memo.set(key, list);
    }
    return list;
  }
}

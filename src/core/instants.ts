// ISO-8601 times as the control loop reads them: a job's submission, deadline, start and checkpoint are read for
// every offer it is priced on and at every tick, and parsing the text costs more than the arithmetic it feeds.
// Each distinct text is parsed once (a bounded table, cleared when full). Pure: the same text, the same number.

const PARSED = new Map<string, number>();
const DATES = new Map<string, Date>();
const LIMIT = 50_000;

/** Milliseconds since the epoch of an ISO time (NaN for text that is not one, as Date.parse). */
export function instantMs(iso: string): number {
  let ms = PARSED.get(iso);
  if (ms === undefined) {
    if (PARSED.size >= LIMIT) PARSED.clear();
    ms = Date.parse(iso);
    PARSED.set(iso, ms);
  }
  return ms;
}

/**
 * The same as a Date, one shared object per text: for readers that only read it (the deadline policy's
 * progress, asked once per offer a job is priced on). Never mutate what it returns.
 */
export function instantDate(iso: string): Date {
  let d = DATES.get(iso);
  if (d === undefined) {
    if (DATES.size >= LIMIT) DATES.clear();
    d = new Date(instantMs(iso));
    DATES.set(iso, d);
  }
  return d;
}

// Loads HiGHS (the `highs` package, a benchmark-only dependency). Its type declarations describe the CommonJS
// build, whose module object carries the loader as `default`; under vitest the ES build is loaded, whose
// default export is the loader itself. Either way, this finds it.
import highsModule, { type Highs } from 'highs';

type Loader = () => Promise<Highs>;

export function loadHighs(): Promise<Highs> {
  const m: unknown = highsModule;
  const load = typeof m === 'function' ? (m as Loader) : (m as { default: Loader }).default;
  return load();
}

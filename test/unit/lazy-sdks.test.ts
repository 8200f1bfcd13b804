// The daemon on the simulated clouds must load no cloud SDK: each SDK may be imported only inside its
// own cloud's folder, and that folder only through a dynamic import() from src/clouds/live.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const SDK = /^(@aws-sdk\/|@google-cloud\/|@azure\/|google-auth-library|google-gax)/;
const CLOUD_DIRS = ['clouds/aws/', 'clouds/gcp/', 'clouds/azure/'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers of static, value-carrying imports and re-exports (`import type` is erased). */
function staticImports(source: string): string[] {
  const specs: string[] = [];
  const re =
    /^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

describe('cloud SDKs are loaded lazily', () => {
  const all = files(SRC).map((p) => ({
    path: relative(SRC, p).replaceAll('\\', '/'),
    source: readFileSync(p, 'utf8'),
  }));

  it('no module outside a cloud folder imports a cloud SDK', () => {
    const offenders = all
      .filter((f) => !CLOUD_DIRS.some((d) => f.path.startsWith(d)))
      .filter((f) => staticImports(f.source).some((s) => SDK.test(s)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('sees the SDK imports where they belong (so the check above can fail)', () => {
    const inside = all.filter(
      (f) => CLOUD_DIRS.some((d) => f.path.startsWith(d)) && staticImports(f.source).some((s) => SDK.test(s)),
    );
    expect(inside.length).toBeGreaterThan(0);
  });

  it('no module outside a cloud folder imports that folder statically', () => {
    const offenders = all
      .filter((f) => !CLOUD_DIRS.some((d) => f.path.startsWith(d)))
      .filter((f) => staticImports(f.source).some((s) => /(^|\/)(aws|gcp|azure)\/[\w-]+\.js$/.test(s)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('the live-cloud loader reaches each cloud through import()', () => {
    const live = all.find((f) => f.path === 'clouds/live.ts')!.source;
    for (const cloud of ['aws', 'gcp', 'azure'])
      expect(live).toContain(`await import('./${cloud}/index.js')`);
  });
});

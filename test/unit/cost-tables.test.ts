import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultCostTablesDir,
  EGRESS_FILE,
  loadCostTables,
  SPEED_FILE,
} from '../../src/config/cost-tables.js';
import { ConfigError } from '../../src/config/errors.js';
import { type Continent, continentOf, egressQuote, parsePlace } from '../../src/core/cost-tables.js';
import { GPU_MODEL_NAMES } from '../../src/core/gpus.js';
import { CLOUDS, type CloudName } from '../../src/core/model.js';

const tables = loadCostTables();

/** A copy of the shipped config folder with one file's text edited; returns the folder. */
const dirs: string[] = [];
function editedCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpusched-cost-'));
  dirs.push(dir);
  cpSync(join(defaultCostTablesDir(), SPEED_FILE), join(dir, SPEED_FILE));
  cpSync(join(defaultCostTablesDir(), EGRESS_FILE), join(dir, EGRESS_FILE));
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function loadError(dir: string): ConfigError {
  try {
    loadCostTables(dir);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the shipped speed table', () => {
  it('has a figure, a basis and a source for every canonical GPU model', () => {
    expect(Object.keys(tables.speed.models).sort()).toEqual([...GPU_MODEL_NAMES].sort());
    for (const entry of Object.values(tables.speed.models)) expect(entry.source.length).toBeGreaterThan(10);
  });

  it('has the A100 as its baseline at 1.0', () => {
    expect(tables.speed).toMatchObject({
      baseline: 'A100',
      models: { A100: { speed: 1, basis: 'baseline' } },
    });
  });

  it.each([
    ['B200', 'H200'],
    ['H200', 'H100'],
    ['H100', 'A100'],
    ['A100', 'L40S'],
    ['A100', 'V100'],
    ['V100', 'T4'],
    ['A10', 'A10G'],
    ['T4', 'K80'],
  ])('ranks %s above %s', (fast, slow) => {
    expect(tables.speed.models[fast]?.speed).toBeGreaterThan(tables.speed.models[slow]?.speed ?? Infinity);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(tables.speed.models.A100)).toBe(true);
    expect(Object.isFrozen(tables.egress.clouds.aws.interRegion)).toBe(true);
  });
});

describe('tables that do not validate', () => {
  it('refuses an unknown GPU model, naming the file, its line and the path', () => {
    const dir = editedCopy(SPEED_FILE, (t) => t.replace(/^ {2}MI25:$/m, '  H300:'));
    const error = loadError(dir);
    const issue = error.issues.find((i) => i.path === 'models.H300');
    expect(issue?.message).toMatch(/unknown GPU model "H300"/);
    const line = readFileSync(join(dir, SPEED_FILE), 'utf8').split('\n').indexOf('  H300:') + 1;
    expect(issue?.source).toBe(`${join(dir, SPEED_FILE)}:${line}`);
    expect(error.message).toContain(`${SPEED_FILE}:${line}: models.H300: unknown GPU model`);
  });

  it('refuses another spelling of a model and names the canonical one', () => {
    const dir = editedCopy(SPEED_FILE, (t) => t.replace(/^ {2}MI25:$/m, '  H100-NVL:'));
    expect(loadError(dir).issues).toContainEqual(
      expect.objectContaining({
        path: 'models.H100-NVL',
        message: expect.stringMatching(/spelling of H100/),
      }),
    );
  });

  it('refuses a baseline whose speed is not 1', () => {
    const dir = editedCopy(SPEED_FILE, (t) =>
      t.replace('speed: 1.0\n    basis: baseline', 'speed: 1.1\n    basis: baseline'),
    );
    expect(loadError(dir).issues).toContainEqual(expect.objectContaining({ path: 'models.A100.speed' }));
  });

  it.each([
    [
      'an unknown key in a rule',
      (t: string) => t.replace('{ from: asia, usdPerGB: 0.09,', '{ form: asia, usdPerGB: 0.09,'),
      'clouds.aws.interRegion.rules.5.form',
    ],
    [
      'an unknown continent',
      (t: string) => t.replace('{ from: asia, usdPerGB: 0.09,', '{ from: antarctica, usdPerGB: 0.09,'),
      'clouds.aws.interRegion.rules.5.from',
    ],
    [
      'a negative rate',
      (t: string) => t.replace('usdPerGB: 0.087', 'usdPerGB: -0.087'),
      'clouds.azure.internet.usdPerGB',
    ],
    ['a missing cloud', (t: string) => t.replace(/^ {2}azure:$/m, '  azura:'), 'clouds.azura'],
    [
      'a region on another continent than its rule says',
      (t: string) =>
        t.replace(
          '{ fromRegion: ap-south-1, usdPerGB: 0.086',
          '{ from: europe, fromRegion: ap-south-1, usdPerGB: 0.086',
        ),
      'clouds.aws.interRegion.rules.3.fromRegion',
    ],
  ])('refuses %s in the egress table, with its path and line', (_what, edit, path) => {
    const error = loadError(editedCopy(EGRESS_FILE, edit));
    const issue = error.issues.find((i) => i.path === path);
    expect(issue?.source).toMatch(new RegExp(`${EGRESS_FILE}:\\d+$`));
  });

  it('reports a YAML syntax error with its line', () => {
    const error = loadError(editedCopy(EGRESS_FILE, (t) => `${t}\n  bad: [unclosed\n`));
    expect(error.issues[0]?.source).toMatch(new RegExp(`${EGRESS_FILE}:\\d+$`));
  });

  it('reports a missing file by name', () => {
    const error = loadError(join(tmpdir(), 'no-such-gpusched-dir'));
    expect(error.issues.map((i) => i.source)).toEqual([
      join(tmpdir(), 'no-such-gpusched-dir', SPEED_FILE),
      join(tmpdir(), 'no-such-gpusched-dir', EGRESS_FILE),
    ]);
  });
});

describe('regions → continents, from their names', () => {
  it.each<[CloudName, string, Continent]>([
    ['aws', 'us-east-1', 'north-america'],
    ['aws', 'ca-central-1', 'north-america'],
    ['aws', 'sa-east-1', 'south-america'],
    ['aws', 'eu-west-1', 'europe'],
    ['aws', 'ap-northeast-1', 'asia'],
    ['aws', 'ap-southeast-2', 'oceania'],
    ['aws', 'me-central-1', 'middle-east'],
    ['aws', 'il-central-1', 'middle-east'],
    ['aws', 'af-south-1', 'africa'],
    ['gcp', 'northamerica-northeast1', 'north-america'],
    ['gcp', 'southamerica-east1', 'south-america'],
    ['gcp', 'europe-west4', 'europe'],
    ['gcp', 'asia-south1', 'asia'],
    ['gcp', 'australia-southeast1', 'oceania'],
    ['gcp', 'me-west1', 'middle-east'],
    ['gcp', 'africa-south1', 'africa'],
    ['azure', 'eastus', 'north-america'],
    ['azure', 'westcentralus', 'north-america'],
    ['azure', 'mexicocentral', 'north-america'],
    ['azure', 'brazilsouth', 'south-america'],
    ['azure', 'westeurope', 'europe'],
    ['azure', 'uksouth', 'europe'],
    ['azure', 'japaneast', 'asia'],
    ['azure', 'eastasia', 'asia'],
    ['azure', 'jioindiawest', 'asia'],
    ['azure', 'australiaeast', 'oceania'],
    ['azure', 'uaenorth', 'middle-east'],
    ['azure', 'israelcentral', 'middle-east'],
    ['azure', 'southafricanorth', 'africa'],
  ])('%s %s is in %s', (cloud, region, continent) => {
    expect(continentOf(cloud, region)).toBe(continent);
  });

  it('places every region of the bundled catalog on a continent', () => {
    const path = fileURLToPath(new URL('../../data/catalog/gpu-offers.json', import.meta.url));
    const catalog = JSON.parse(readFileSync(path, 'utf8')) as { rows: [CloudName, string][] };
    const unplaced = [...new Set(catalog.rows.map(([c, r]) => `${c}:${r}`))].filter((key) => {
      const { cloud, region } = parsePlace(key);
      return continentOf(cloud as CloudName, region) === null;
    });
    expect(unplaced).toEqual([]);
  });

  it('says null for a name it cannot place', () => {
    expect(continentOf('azure', 'atlantis')).toBeNull();
  });
});

describe('the shipped egress rates', () => {
  const rate = (from: string, to: string) => egressQuote(tables.egress, parsePlace(from), parsePlace(to));

  it.each([
    ['the same region is free', 'aws:us-east-1', 'aws:us-east-1', 0, 'same-region'],
    ['AWS US ↔ US', 'aws:us-east-1', 'aws:us-west-2', 0.02, 'inter-region'],
    ['AWS N. Virginia → Ohio', 'aws:us-east-1', 'aws:us-east-2', 0.01, 'inter-region'],
    ['AWS Europe → US', 'aws:eu-west-1', 'aws:us-east-1', 0.02, 'inter-region'],
    ['AWS Tokyo → US', 'aws:ap-northeast-1', 'aws:us-east-1', 0.09, 'inter-region'],
    ['GCP within North America', 'gcp:us-central1', 'gcp:northamerica-northeast1', 0.02, 'inter-region'],
    ['GCP North America → Europe', 'gcp:us-central1', 'gcp:europe-west4', 0.05, 'inter-region'],
    ['GCP North America → Asia', 'gcp:us-central1', 'gcp:asia-east1', 0.08, 'inter-region'],
    ['Azure within Europe', 'azure:westeurope', 'azure:northeurope', 0.02, 'inter-region'],
    ['Azure US → Europe', 'azure:eastus', 'azure:westeurope', 0.05, 'inter-region'],
    ['AWS out to GCP', 'aws:us-east-1', 'gcp:us-central1', 0.09, 'internet'],
    ['GCP out to AWS', 'gcp:us-central1', 'aws:us-east-1', 0.12, 'internet'],
    ['Azure out to AWS', 'azure:eastus', 'aws:us-east-1', 0.087, 'internet'],
  ])('%s', (_what, from, to, usdPerGB, kind) => {
    expect(rate(from, to)).toMatchObject({ usdPerGB, kind });
  });

  it('names the rule it applied, for explain', () => {
    expect(rate('aws:ap-northeast-1', 'aws:us-east-1').rule).toBe('aws interRegion rule 5 (from asia)');
    expect(rate('gcp:us-central1', 'aws:us-east-1').rule).toBe('gcp internet default');
  });

  it('has a source for every cloud', () => {
    for (const cloud of CLOUDS) expect(tables.egress.clouds[cloud].source).toMatch(/pricing/i);
  });
});

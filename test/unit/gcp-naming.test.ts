// Names, ids and options of the GCP adapter: what GCE accepts, what must be stable across a crash,
// and how GPUSCHED_GCP_API_ENDPOINT becomes the SDKs' host/port/protocol.
import { describe, expect, it } from 'vitest';
import {
  instanceName,
  labelKey,
  labelValue,
  nodeIdFromName,
  parseProviderId,
  providerIdOf,
  requestIdFor,
} from '../../src/clouds/gcp/naming.js';
import { parseGcpEndpoint, resolveGcpOptions } from '../../src/clouds/gcp/options.js';
import { launchShape, machineTypeShape, n1Shapes } from '../../src/clouds/gcp/shapes.js';
import { regionOfZone } from '../../src/clouds/gcp/zones.js';

const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('instance names', () => {
  it('keeps a plain node id readable and reversible', () => {
    expect(instanceName('node-1a2b3c4d')).toBe('gpusched-node-1a2b3c4d');
    expect(nodeIdFromName('gpusched-node-1a2b3c4d')).toBe('node-1a2b3c4d');
  });

  it.each(['Node_ABC', 'x'.repeat(80), 'node-', 'weird/id:1', '', 'node-habcdef12'])(
    'hashes %j into a valid, non-reversible name',
    (id) => {
      const name = instanceName(id);
      expect(name).toMatch(GCE_NAME);
      expect(name).toMatch(/-h[0-9a-f]{8}$/);
      expect(nodeIdFromName(name)).toBeNull();
    },
  );

  it('never gives two ids one name', () => {
    expect(instanceName('Node_A')).not.toBe(instanceName('node_a'));
  });
});

describe('requestId', () => {
  it('is a UUID, the same for the same seed, different otherwise', () => {
    const a = requestIdFor('node-1/us-central1-a/a2-highgpu-1g/spot/0');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('node-1/us-central1-a/a2-highgpu-1g/spot/0')).toBe(a);
    expect(requestIdFor('node-1/us-central1-a/a2-highgpu-1g/spot/1')).not.toBe(a);
  });
});

describe('labels and provider ids', () => {
  it.each([
    ['Research Team', 'research_team'],
    ['node-1', 'node-1'],
    ['x'.repeat(70), 'x'.repeat(63)],
  ])('label value %j → %j', (v, want) => expect(labelValue(v)).toBe(want));

  it('starts label keys with a letter', () => {
    expect(labelKey('9lives')).toBe('k9lives');
    expect(labelKey('Team')).toBe('team');
  });

  it('round-trips zone/name and rejects anything else', () => {
    expect(parseProviderId(providerIdOf('us-central1-a', 'gpusched-n'))).toEqual({
      zone: 'us-central1-a',
      name: 'gpusched-n',
    });
    expect(parseProviderId('i-0123')).toBeNull();
    expect(parseProviderId('a/b/c')).toBeNull();
  });

  it('knows a zone region', () => {
    expect(regionOfZone('europe-west4-b')).toBe('europe-west4');
  });
});

describe('apiEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8085', { apiEndpoint: '127.0.0.1', port: 8085, protocol: 'http' }],
    ['http://127.0.0.1:8085/', { apiEndpoint: '127.0.0.1', port: 8085, protocol: 'http' }],
    [
      'https://private.googleapis.com',
      { apiEndpoint: 'private.googleapis.com', port: 443, protocol: 'https' },
    ],
    ['https://proxy.internal:8443', { apiEndpoint: 'proxy.internal', port: 8443, protocol: 'https' }],
    ['http://gce-emulator', { apiEndpoint: 'gce-emulator', port: 80, protocol: 'http' }],
  ])('%s', (url, want) => expect(parseGcpEndpoint(url)).toEqual(want));

  it.each([
    ['127.0.0.1:8085', /not a URL/],
    ['ftp://host', /http or https/],
    ['https://host/compute/v1', /must not have a path/],
  ])('rejects %s', (url, message) => expect(() => parseGcpEndpoint(url)).toThrow(message));
});

describe('options', () => {
  const base = { project: 'p', regions: [], launch: { image: 'img' }, clusterLabel: 'c' };
  it('fills the documented defaults', () => {
    const o = resolveGcpOptions(base);
    expect(o).toMatchObject({
      priceRefreshMs: 24 * 3_600_000,
      availabilityRefreshMs: 10 * 60_000,
      requestTimeoutMs: 60_000,
      retry: { attempts: 3 },
      launch: { image: 'img', diskSizeGb: 100, externalIp: true },
    });
    expect(o.regions.size).toBe(0);
  });

  it.each([
    [{ project: '' }, /project is required/],
    [{ clusterLabel: '' }, /clusterLabel is required/],
    [{ priceRefreshHours: 0 }, /priceRefreshHours must be a positive number/],
  ])('rejects %j', (over, message) => {
    expect(() => resolveGcpOptions({ ...base, ...over })).toThrow(message);
  });
});

describe('launch shapes', () => {
  it('turns every offered instance type back into what to ask GCE for', () => {
    for (const s of n1Shapes('nvidia-tesla-t4', 4)) {
      expect(launchShape(s.instanceType)).toEqual({ machineType: s.machineType, attach: s.attach });
    }
    const a3 = machineTypeShape({
      name: 'a3-highgpu-8g',
      guestCpus: 208,
      memoryMb: 1872 * 1024,
      accelerators: [{ guestAcceleratorType: 'nvidia-h100-80gb', guestAcceleratorCount: 8 }],
    });
    expect(a3).toMatchObject({ gpu: { model: 'H100', count: 8, memoryGiB: 80 }, memoryGiB: 1872 });
    expect(launchShape('a3-highgpu-8g')).toEqual({ machineType: 'a3-highgpu-8g', attach: null });
  });

  it('offers N1 counts only up to maximumCardsPerInstance, and no N1 shape for family GPUs', () => {
    expect(n1Shapes('nvidia-tesla-p4', 4).map((s) => s.gpu.count)).toEqual([1, 2, 4]);
    expect(n1Shapes('nvidia-tesla-a100', 16)).toEqual([]);
    expect(n1Shapes('nvidia-tesla-t4-vws', 4)).toEqual([]);
  });

  it.each(['p4d.24xlarge', 'n1-standard-8', 'n1-standard-8+1xA100', 'e2-standard-4'])('rejects %s', (t) => {
    expect(launchShape(t)).toBeNull();
  });

  it('skips retired machine types and ones without GPUs', () => {
    const mt = { name: 'a2-highgpu-1g', guestCpus: 12, memoryMb: 87040 };
    expect(machineTypeShape(mt)).toBeNull();
    const gpu = { guestAcceleratorType: 'nvidia-tesla-a100', guestAcceleratorCount: 1 };
    expect(machineTypeShape({ ...mt, accelerators: [gpu], deprecated: { state: 'OBSOLETE' } })).toBeNull();
    expect(
      machineTypeShape({ ...mt, accelerators: [gpu], deprecated: { state: 'DEPRECATED' } }),
    ).not.toBeNull();
  });
});

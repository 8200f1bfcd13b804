// Names GCE accepts, derived from the daemon's ids so that a retried launch finds the first one:
// - instance names: RFC 1035, [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters;
// - label keys and values: lower-case letters, digits, '_' and '-', at most 63 characters;
// - requestId: a UUID (GCE ignores a repeated requestId for at least 60 minutes).
import { createHash } from 'node:crypto';

const PREFIX = 'gpusched-';
const HASHED = /-h[0-9a-f]{8}$/;

function sha1(text: string): Buffer {
  return createHash('sha1').update(text).digest();
}

/**
 * 'node-1a2b3c4d' → 'gpusched-node-1a2b3c4d'. An id that is not already a valid name tail (upper case,
 * other characters, too long, or ending like a hash) is reduced to valid characters and suffixed with
 * '-h' and 8 hex digits of its SHA-1, so that distinct ids never share a name.
 */
export function instanceName(nodeId: string): string {
  const plain = PREFIX + nodeId;
  if (/^[a-z0-9-]*[a-z0-9]$/.test(nodeId) && plain.length <= 63 && !HASHED.test(plain)) return plain;
  const hash = sha1(nodeId).toString('hex').slice(0, 8);
  const tail = nodeId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63 - PREFIX.length - 10);
  return `${PREFIX}${tail ? `${tail}-` : ''}h${hash}`;
}

/** The node id back from an instance name, when the name holds it whole (not hashed); else null. */
export function nodeIdFromName(name: string): string | null {
  if (!name.startsWith(PREFIX) || HASHED.test(name)) return null;
  return name.slice(PREFIX.length) || null;
}

/** A UUID (version 5 layout, SHA-1 of a gpusched namespace and the seed): same seed, same UUID. */
export function requestIdFor(seed: string): string {
  const b = sha1(`gpusched/gcp/${seed}`).subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A label value: lower case, invalid characters → '_', at most 63 characters. */
export function labelValue(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}

/** A label key: as a value, and starting with a letter. */
export function labelKey(k: string): string {
  const v = labelValue(k);
  return /^[a-z]/.test(v) ? v : `k${v}`.slice(0, 63);
}

/** providerId = '<zone>/<instance name>': all that delete and get need besides the project. */
export function providerIdOf(zone: string, name: string): string {
  return `${zone}/${name}`;
}

export function parseProviderId(providerId: string): { zone: string; name: string } | null {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(providerId);
  return m?.[1] && m[2] ? { zone: m[1], name: m[2] } : null;
}

/** The last path segment of a GCE URL ('.../zones/us-central1-a' → 'us-central1-a'). */
export function lastSegment(url: string | null | undefined): string {
  if (!url) return '';
  const i = url.lastIndexOf('/');
  return i < 0 ? url : url.slice(i + 1);
}

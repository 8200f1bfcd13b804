// The cloud's own id for this machine, read once from its metadata server for the registration (the daemon
// can match the node to the instance it launched). Best effort: a metadata server that is slow or says nothing
// leaves it out, since registering matters more than the id.
import type { CloudName } from '../core/model.js';
import { metadataBase } from './watchers/notice.js';

const TIMEOUT_MS = 1_500;

export async function readInstanceId(
  cloud: CloudName,
  endpoint: string,
  fetchFn: typeof fetch = fetch,
): Promise<string | undefined> {
  const base = metadataBase(endpoint);
  const get = async (path: string, headers: Record<string, string>, method = 'GET'): Promise<string> => {
    const res = await fetchFn(base + path, {
      method,
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return text.trim();
  };
  try {
    let id: string;
    if (cloud === 'aws') {
      const token = await get('/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, 'PUT');
      id = await get('/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': token });
    } else if (cloud === 'gcp') {
      id = await get('/computeMetadata/v1/instance/id', { 'Metadata-Flavor': 'Google' });
    } else {
      id = await get('/metadata/instance/compute/vmId?api-version=2021-02-01&format=text', {
        Metadata: 'true',
      });
    }
    return id !== '' && id.length <= 256 && !/\s/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

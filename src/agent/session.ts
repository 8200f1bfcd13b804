// The agent's session token, kept on the node's disk so that an agent restarted by systemd (a crash, an
// upgrade, a GCE reboot) can go on: the bootstrap token it was started with is spent at the first registration,
// and the protocol gives no other way back in. The file is the node's secret: mode 0600, in a 0700 directory,
// named for the node and daemon so a copied disk image or a changed GPUSCHED_URL does not reuse it.
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SessionStore {
  /** The saved session token, or null. Never throws. */
  load(): Promise<string | null>;
  save(token: string): Promise<void>;
  clear(): Promise<void>;
}

interface SessionFile {
  nodeId: string;
  daemonUrl: string;
  token: string;
}

export function fileSessionStore(file: string, nodeId: string, daemonUrl: string): SessionStore {
  return {
    async load() {
      try {
        const doc = JSON.parse(await readFile(file, 'utf8')) as Partial<SessionFile>;
        if (doc.nodeId !== nodeId || doc.daemonUrl !== daemonUrl) return null;
        return typeof doc.token === 'string' && doc.token !== '' ? doc.token : null;
      } catch {
        return null;
      }
    },
    async save(token) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      const doc: SessionFile = { nodeId, daemonUrl, token };
      await writeFile(tmp, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    },
    async clear() {
      await rm(file, { force: true });
    },
  };
}

/** For runs that keep nothing (tests, one-off local runs). */
export function memorySessionStore(): SessionStore & { token: string | null } {
  const store = {
    token: null as string | null,
    async load() {
      return store.token;
    },
    async save(token: string) {
      store.token = token;
    },
    async clear() {
      store.token = null;
    },
  };
  return store;
}

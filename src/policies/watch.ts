// Hot reload of the policy folder. A change loads the whole folder again; a valid folder replaces the set in
// force, an invalid one leaves the last good set in force and is reported once (so the daemon can alert).
//
// How changes are noticed: node:fs `watch` on the folder (inotify on Linux, FSEvents on macOS: immediate and
// free) with a debounce, plus a slow poll as a safety net. chokidar is not a dependency, and fs.watch alone is
// not enough: it misses changes on network file systems and some container bind mounts, and it stops when the
// folder itself is replaced (a Kubernetes ConfigMap volume swaps a symlink; `git checkout` may recreate the
// folder). The poll re-reads the files (a few small YAML files) and compares a hash of names and contents, so
// it catches what the watcher missed without trusting mtimes (which a copy may preserve), and re-arms the
// watcher when the folder was replaced. The debounce merges an editor's burst of events (write a temp file,
// rename it over the old one, touch) into one reload of the finished file.
import { type FSWatcher, statSync, watch } from 'node:fs';
import {
  loadPolicyDir,
  PolicyError,
  type PolicyIssue,
  type PolicyLoadResult,
  type PolicySet,
} from './load.js';

export interface PolicyWatcherOptions {
  readonly dir: string;
  /** A new valid set is in force; also called when a bad edit is fixed, even back to the same content. */
  readonly onChange?: (set: PolicySet, previous: PolicySet) => void;
  /**
   * A change made the folder invalid: `kept` (the last good set) stays in force. Called once per distinct
   * content; `fingerprint` identifies that content (the key of its "policy file invalid" alert).
   */
  readonly onError?: (issues: readonly PolicyIssue[], kept: PolicySet, fingerprint: string) => void;
  /** Quiet time after the last file event before reloading (default 250 ms). */
  readonly debounceMs?: number;
  /** Re-read the folder this often whatever the events (default 30 s; 0 turns the poll off). */
  readonly pollMs?: number;
  /** Turns watching with fs.watch off (tests of the poll; file systems where it misbehaves). */
  readonly fsEvents?: boolean;
  /** How the folder is loaded; tests may wrap it. */
  readonly load?: (dir: string) => PolicyLoadResult;
}

export type ReloadOutcome = 'unchanged' | 'changed' | 'invalid';

export class PolicyWatcher {
  private set: PolicySet;
  /** Fingerprint of the last content looked at, valid or not: the same bad content is reported once. */
  private lastSeen: string;
  private fsWatcher: FSWatcher | undefined;
  private watchedIno: number | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly load: (dir: string) => PolicyLoadResult;

  private constructor(
    private readonly options: PolicyWatcherOptions,
    initial: PolicySet,
  ) {
    this.set = initial;
    this.lastSeen = initial.fingerprint;
    this.load = options.load ?? loadPolicyDir;
  }

  /**
   * Loads the folder and starts watching it. Throws PolicyError when the folder is invalid now: at startup
   * there is no last good set to keep, and running without budgets is not a safe default.
   */
  static start(options: PolicyWatcherOptions): PolicyWatcher {
    const first = (options.load ?? loadPolicyDir)(options.dir);
    if (!first.ok) throw new PolicyError(first.issues);
    const watcher = new PolicyWatcher(options, first.set);
    if (options.fsEvents !== false) watcher.arm();
    const pollMs = options.pollMs ?? 30_000;
    if (pollMs > 0) {
      watcher.poll = setInterval(() => watcher.onPoll(), pollMs);
      watcher.poll.unref();
    }
    return watcher;
  }

  /** The set in force. */
  get current(): PolicySet {
    return this.set;
  }

  /** Loads the folder now (the timers call this; so may a SIGHUP handler or a test). */
  reload(): ReloadOutcome {
    if (this.closed) return 'unchanged';
    const result = this.load(this.options.dir);
    const fingerprint = result.ok ? result.set.fingerprint : result.fingerprint;
    if (fingerprint === this.lastSeen) return 'unchanged';
    this.lastSeen = fingerprint;
    if (!result.ok) {
      this.options.onError?.(result.issues, this.set, result.fingerprint);
      return 'invalid';
    }
    const previous = this.set;
    this.set = result.set;
    this.options.onChange?.(result.set, previous);
    return 'changed';
  }

  close(): void {
    this.closed = true;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearInterval(this.poll);
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.reload();
    }, this.options.debounceMs ?? 250);
    this.debounce.unref();
  }

  private onPoll(): void {
    if (this.options.fsEvents !== false && this.folderReplaced()) this.arm();
    this.reload();
  }

  /** Watches the folder; when it cannot be watched (gone, not supported) the poll carries on alone. */
  private arm(): void {
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    try {
      this.watchedIno = statSync(this.options.dir).ino;
      const fsWatcher = watch(this.options.dir, { persistent: false }, () => this.schedule());
      fsWatcher.on('error', () => {
        // The folder was removed or the watch broke: the poll re-arms once the folder is back.
        fsWatcher.close();
        if (this.fsWatcher === fsWatcher) this.fsWatcher = undefined;
        this.schedule();
      });
      this.fsWatcher = fsWatcher;
    } catch {
      this.watchedIno = undefined;
    }
  }

  private folderReplaced(): boolean {
    if (this.fsWatcher === undefined) return true;
    try {
      return statSync(this.options.dir).ino !== this.watchedIno;
    } catch {
      return true;
    }
  }
}

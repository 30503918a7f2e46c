import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../core/log.js';
import { ConfigError } from './config-error.js';
import { loadConfigFile } from './load.js';
import type { Config } from './types.js';

/**
 * Holds the current config and hot-reloads it. Watches the DIRECTORIES of the config file and its
 * key files, because Kubernetes updates a mounted ConfigMap by swapping a `..data` symlink. A bad
 * new config is logged and ignored: the old one keeps serving. Swaps are atomic (one reference).
 */
export interface ConfigHolder {
  readonly current: Config;
  /** Reload now; resolves true when a new config was swapped in. */
  reload(): boolean;
  onChange(listener: (config: Config) => void): void;
  close(): void;
}

export function watchConfig(opts: {
  path: string;
  initial: Config;
  log: Logger;
  debounceMs?: number;
  env?: NodeJS.ProcessEnv;
}): ConfigHolder {
  let current = opts.initial;
  const listeners: Array<(c: Config) => void> = [];
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;

  const relevant = new Set<string>();
  const rewatch = () => {
    relevant.clear();
    relevant.add('..data');
    for (const f of current.watchedFiles) relevant.add(basename(f));
    const dirs = new Set(current.watchedFiles.map((f) => dirname(f)));
    for (const [dir, w] of watchers) {
      if (dirs.has(dir)) continue;
      w.close();
      watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          // Only the files we read, and the kubelet's `..data` symlink swap; not the spool or other neighbours.
          if (filename === null || relevant.has(String(filename))) schedule();
        });
        w.on('error', (e) => opts.log.warn('config watch error', { dir, error: e.message }));
        watchers.set(dir, w);
      } catch (e) {
        opts.log.warn('cannot watch config directory', { dir, error: (e as Error).message });
      }
    }
  };

  const reload = (): boolean => {
    try {
      const next = loadConfigFile(opts.path, opts.env);
      const changed = next.hash !== current.hash;
      current = next;
      const fields = { config_hash: next.hash, source: opts.path };
      if (changed) opts.log.info('config reloaded', fields);
      else opts.log.debug('config re-read (text unchanged; key files re-read)', fields);
      rewatch();
      for (const l of listeners) l(next);
      return true;
    } catch (e) {
      const problems = e instanceof ConfigError ? e.message.split('\n') : [(e as Error).message];
      opts.log.error('config reload rejected; keeping the previous config', {
        config_hash: current.hash,
        problems,
      });
      return false;
    }
  };

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs ?? 150);
    timer.unref();
  }

  rewatch();
  return {
    get current() {
      return current;
    },
    reload,
    onChange: (l) => listeners.push(l),
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

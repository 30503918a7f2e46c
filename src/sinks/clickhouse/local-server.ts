import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real ClickHouse HTTP server on 127.0.0.1, run from chDB's libchdb.so by
 * `scripts/clickhouse-dev.py` (see TESTING.md). Used by the tests and by `switchyard clickhouse-dev`.
 */
export interface LocalServerOptions {
  dataDir: string;
  port: number;
  /** Give up waiting for `/ping` after this long. Default 30 s. */
  startTimeoutMs?: number;
  /** Keep the server running when this process exits (default: it stops with us). */
  keepWithParent?: boolean;
}

export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** Resolves with the exit code when the server process ends, for any reason. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Finds libchdb.so from the installed `@chdb/lib-<platform>` package. */
export function findLibChdb(): string {
  const require = createRequire(import.meta.url);
  const base = `@chdb/lib-${process.platform}-${process.arch}`;
  for (const name of [`${base}-gnu`, base]) {
    try {
      const dir = dirname(require.resolve(`${name}/package.json`));
      for (const file of ['libchdb.so', 'libchdb.dylib']) {
        if (existsSync(join(dir, file))) return join(dir, file);
      }
    } catch {
      // not installed for this platform; try the next name
    }
  }
  throw new Error(`libchdb not found: install the optional dependency chdb (package ${base}-gnu)`);
}

function findLauncherScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'scripts', 'clickhouse-dev.py');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('scripts/clickhouse-dev.py not found next to the switchyard package');
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).startsWith('Ok');
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((ok) => child.once('exit', (code) => ok(code)));
}

export async function startLocalClickHouse(opts: LocalServerOptions): Promise<LocalServer> {
  const dataDir = resolve(opts.dataDir);
  const url = `http://127.0.0.1:${opts.port}`;
  if (await pingOnce(url)) throw new Error(`port ${opts.port} on 127.0.0.1 already serves a ClickHouse`);
  mkdirSync(dataDir, { recursive: true });
  const args = [findLauncherScript(), '--lib', findLibChdb(), '--path', dataDir, '--port', String(opts.port)];
  if (opts.keepWithParent) args.push('--keep-with-parent');
  const child = spawn('python3', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000);
  });
  const exited = waitExit(child);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  while (!(await pingOnce(url))) {
    if (ended || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = ended ? 'exited' : 'did not answer /ping in time';
      throw new Error(`local ClickHouse on port ${opts.port} ${why}: ${stderr.trim().slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? -1;
  return {
    url,
    port: opts.port,
    dataDir,
    pid,
    exited,
    async stop(graceMs = 10_000) {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

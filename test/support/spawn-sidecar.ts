import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'switchyard.mjs');

export interface SpawnedSidecar {
  child: ChildProcess;
  apiUrl: string;
  healthUrl: string;
  /** Log lines (JSON) written so far. */
  stderr: string[];
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** `switchyard serve --config FILE` as a real process; resolves once it logs its listen addresses. */
export async function spawnSidecar(
  configPath: string,
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<SpawnedSidecar> {
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'serve', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const addrs = await new Promise<{ api: string; health: string }>((resolve, reject) => {
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        stderr.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; api?: string; health?: string };
          if (j.msg === 'switchyard listening') resolve({ api: j.api as string, health: j.health as string });
        } catch {}
      }
    });
    void exited.then((code) => reject(new Error(`sidecar exited early (${code}):\n${stderr.join('\n')}`)));
  });
  return {
    child,
    apiUrl: `http://${addrs.api}`,
    healthUrl: `http://${addrs.health.replace('0.0.0.0', '127.0.0.1')}`,
    stderr,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

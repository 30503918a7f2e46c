import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Runs `scripts/bench.mjs` with `args` (a harness smoke run) and collects its output (stderr's
 * last 20,000 characters). `npm test` builds dist/ first: the bench then reuses it instead of
 * compiling its private build.
 */
export function runBenchScript(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dist = join(ROOT, 'dist');
  const build = existsSync(join(dist, 'cli', 'main.js')) ? ['--build-dir', dist] : [];
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), ...args, ...build], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-20_000);
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

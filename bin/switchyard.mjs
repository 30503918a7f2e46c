#!/usr/bin/env -S node --max-semi-space-size=32 --min-semi-space-size=32
// Entry point for `switchyard` and `npm start`. Runs the compiled CLI; builds it first on a fresh checkout.
// The shebang's V8 flags fix the young generation's size (SERVE_NODE_FLAGS in src/core/heap-tuning.ts).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('switchyard: compiling TypeScript (first run)…\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv.slice(2));

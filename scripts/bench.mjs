#!/usr/bin/env node
// `npm run bench [-- OPTIONS]`: builds a private copy of the sidecar (tsc → .bench-results/build,
// so a concurrent `npm run build` cannot change it mid-run), then runs bench/run.ts pinned to the
// load core. Options: see bench/options.ts (`npm run bench -- --help`) and docs/benchmarks.md.
// `node scripts/bench.mjs side-by-side [OPTIONS]` (`npm run bench:sink-procs`) runs
// bench/sink-side-by-side.ts the same way instead.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const sideBySide = argv[0] === 'side-by-side';
if (sideBySide) argv.shift();
const harness = sideBySide ? 'sink-side-by-side.ts' : 'run.ts';
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  process.stderr.write(`bench: Node ${process.versions.node} is too old (need 20+)\n`);
  process.exit(1);
}

if (!flag('--build-dir') && !argv.includes('--help') && !argv.includes('-h')) {
  const out = join(root, '.bench-results', 'build');
  process.stderr.write(`[bench] compiling the sidecar into ${out}\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('bench: the sidecar does not compile (see above)\n');
    process.exit(r.status ?? 1);
  }
}

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const loadCore = flag('--load-core') ?? '1';
const pin = hasTaskset && availableParallelism() >= 2;
if (!hasTaskset) process.stderr.write('[bench] WARNING: taskset not found (apt-get install util-linux): running unpinned\n');
const node = [process.execPath, '--import', 'tsx', join(root, 'bench', harness), ...argv];
const [cmd, ...args] = pin ? ['taskset', '-c', loadCore, ...node] : node;
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);

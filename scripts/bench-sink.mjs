#!/usr/bin/env node
// `npm run bench:sink [-- OPTIONS]`: bench/sink-cost.ts pinned to core 0 (its discard ClickHouse
// runs on core 1). Options: --rate N --slice-ms N --rotations N --warmup-ms N --quick --json.
// See docs/benchmarks.md ("What the sink costs the sidecar").
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const node = [process.execPath, '--import', 'tsx', join(root, 'bench', 'sink-cost.ts'), ...process.argv.slice(2)];
const pin = spawnSync('taskset', ['--version']).status === 0 && availableParallelism() >= 2;
if (!pin) process.stderr.write('[bench:sink] WARNING: taskset not found or one core: running unpinned\n');
const [cmd, ...args] = pin ? ['taskset', '-c', '0', ...node] : node;
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);

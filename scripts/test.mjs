#!/usr/bin/env node
// `npm test`: type-check everything (src, tests, bench, dashboards), build dist/ (the CLI the
// process-level tests spawn), then run every test/**/*.test.ts with node's test runner.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const step = (label, cmd, args) => {
  const t0 = Date.now();
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`== ${label}: FAILED (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`== ${label}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
};

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = (only.length ? only : findTests(join(root, 'test'))).map((f) => relative(root, f)).sort();
step('type-check (tsc --noEmit)', process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']);
step('lint + format check (biome check)', process.execPath, [
  join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'),
  'check',
  '.',
]);
step('build dist/', process.execPath, [tsc, '-p', 'tsconfig.build.json']);
const tap = join(root, '.test-results.tap');
const t0 = Date.now();
process.stdout.write(`\n== tests (${files.length} files)\n`);
const run = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
const summary = readFileSync(tap, 'utf8');
const count = (k) => Number((summary.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
process.stdout.write(`\n== tests: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
process.stdout.write(`tests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped\n`);
process.exit(run.status ?? 1);

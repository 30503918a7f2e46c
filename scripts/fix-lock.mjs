#!/usr/bin/env node
// Adds placeholder lock entries for chdb's optional platform libraries that the npm registry
// reachable here does not serve (404). Without them `npm ci` refuses the lock file
// ("Missing: @chdb/lib-darwin-arm64@ from lock file"). They never install on linux x64.
// Run after any `npm install` that rewrites package-lock.json; CI checks the lock stays fixed.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
if (!chdb) throw new Error('chdb is not in package-lock.json');
const platforms = {
  '@chdb/lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@chdb/lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@chdb/lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'] },
};
let added = 0;
for (const [name, { os, cpu }] of Object.entries(platforms)) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const version = chdb.optionalDependencies?.[name];
  if (!version) continue;
  lock.packages[key] = { version, cpu, license: 'Apache-2.0', optional: true, os };
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`fix-lock: ${added} placeholder entr${added === 1 ? 'y' : 'ies'} added\n`);

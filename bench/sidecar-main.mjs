// Runs the sidecar CLI from a compiled build directory: `node bench/sidecar-main.mjs BUILD_DIR serve --config FILE`.
// (bin/switchyard.mjs does the same from dist/; the bench builds its own copy so a concurrent build cannot change it mid-run.)
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [build, ...argv] = process.argv.slice(2);
if (!build) throw new Error('usage: node bench/sidecar-main.mjs BUILD_DIR serve --config FILE');
const { main } = await import(pathToFileURL(join(resolve(build), 'cli', 'main.js')).href);
await main(argv);

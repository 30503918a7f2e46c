import { join } from 'node:path';
import { type BenchProcess, spawnPinned } from './procs.js';

/**
 * The processes of the load core that every sidecar harness needs: the mock upstream (with its
 * slow listener and the OTLP receiver), and the stand-in ClickHouse endpoint that reads inserts,
 * counts their rows and drops them (bench/discard-clickhouse.ts `--rows-only`).
 */
const TSX = ['--import', 'tsx'];

export function spawnMockUpstream(core: number | null): Promise<BenchProcess> {
  return spawnPinned({
    name: 'mock',
    core,
    command: process.execPath,
    args: [...TSX, join(import.meta.dirname, 'mock-upstream.ts')],
    isReady: (l) => l.msg === 'bench mock ready',
  });
}

export function spawnDiscardEndpoint(core: number | null): Promise<BenchProcess> {
  return spawnPinned({
    name: 'discard-clickhouse',
    core,
    command: process.execPath,
    args: [...TSX, join(import.meta.dirname, 'discard-clickhouse.ts'), '--rows-only'],
    isReady: (l) => l.msg === 'discard clickhouse ready',
  });
}

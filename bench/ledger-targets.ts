import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { DiscardTotals } from './discard-clickhouse.js';
import { LEDGER_DATABASE } from './sidecar.js';

/** Where the two ClickHouse-on targets' rows go, and how the bench counts them after the run. */

/**
 * Where the bench's ClickHouse keeps its data: tmpfs (/dev/shm) when there is one. The server stands
 * in for a ClickHouse host of its own; on this VM's ext4 it spent about a third of its CPU in the
 * kernel creating part files (ext4_create scanning for recently deleted inodes, growing with the
 * run's part churn), a property of the bench machine's file system, not of the inserts.
 */
export function clickhouseDataDir(work: string): string {
  try {
    return mkdtempSync('/dev/shm/switchyard-bench-clickhouse-');
  } catch {
    return join(work, 'clickhouse');
  }
}

/** Ledger rows in the bench's ClickHouse (`ai_calls`, deduplicated). */
export async function ledgerRows(url: string): Promise<number> {
  const q = encodeURIComponent(`SELECT count() FROM ${LEDGER_DATABASE}.ai_calls FINAL`);
  const res = await fetch(`${url}/?query=${q}`);
  const text = (await res.text()).trim();
  if (!res.ok) throw new Error(`ClickHouse: ${text.slice(0, 300)}`);
  return Number(text);
}

/**
 * Ledger rows the discarding endpoint has taken so far: calls in `otlp_in` documents (the span
 * ledger) plus `ai_calls_in_v2` rows (the row path, and calls the span ledger missed).
 */
export async function discardRows(url: string): Promise<number> {
  const totals = (await (await fetch(`${url}/totals`)).json()) as DiscardTotals;
  return (totals.rows.otlp_in ?? 0) + (totals.rows.ai_calls_in_v2 ?? 0);
}

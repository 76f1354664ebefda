/**
 * Reads the committed ghz configs so h2load sends exactly the requests ghz would: the configs in
 * bench/ghz/ are the single source of every benchmark payload.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A committed ghz config and its request messages (proto3-JSON). */
export interface GhzConfigFile {
  readonly config: Record<string, unknown>;
  /** `data` as a list (ghz sends a unary data array round-robin); empty when the data is in a data-file. */
  readonly requests: readonly Record<string, unknown>[];
}

/** Reads bench/ghz/<file>. */
export function readGhzConfig(root: string, file: string): GhzConfigFile {
  const config = JSON.parse(readFileSync(path.join(root, 'bench', 'ghz', file), 'utf8')) as Record<string, unknown>;
  const data = config['data'];
  const requests = Array.isArray(data) ? (data as Record<string, unknown>[]) : data && typeof data === 'object' ? [data as Record<string, unknown>] : [];
  return { config, requests };
}

/** The first request of a config (what one h2load process repeats). */
export function firstRequest(root: string, file: string): Record<string, unknown> {
  const r = readGhzConfig(root, file).requests[0];
  if (!r) throw new Error(`bench/ghz/${file} has no inline data`);
  return r;
}

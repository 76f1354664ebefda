/**
 * Usage persisted in one JSON file (default `<model repository>/.hub-usage.json`, or HUB_USAGE_FILE). Written
 * to a temp file and renamed, so a reader (or a crash) never sees half a file; models the file holds but this
 * server did not write are kept, so replicas sharing a volume do not erase each other's models.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isUsageSnapshot, type UsageSnapshot } from './usage-predictor.js';
import type { UsageSnapshots, UsageStore } from './usage-store.js';

/** Format version inside the file: a file of another version is ignored, not misread. */
const FORMAT = 1;

/** A usage store over a JSON file. */
export class FileUsageStore implements UsageStore {
  readonly #file: string;

  constructor(file: string) {
    this.#file = path.resolve(file);
  }

  get description(): string {
    return `file ${this.#file}`;
  }

  async load(): Promise<UsageSnapshots> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    return parse(text);
  }

  async save(snapshots: UsageSnapshots): Promise<void> {
    let current: UsageSnapshots = {};
    try { current = parse(readFileSync(this.#file, 'utf8')); } catch { /* absent or unreadable: rewritten whole */ }
    const models: Record<string, UsageSnapshot> = { ...current, ...snapshots };
    mkdirSync(path.dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, models })}\n`);
    renameSync(tmp, this.#file);
  }

  async close(): Promise<void> { /* nothing held open */ }
}

function parse(text: string): UsageSnapshots {
  const doc = JSON.parse(text) as { format?: unknown; models?: unknown };
  if (doc.format !== FORMAT || !doc.models || typeof doc.models !== 'object') return {};
  const out: Record<string, UsageSnapshot> = {};
  for (const [name, s] of Object.entries(doc.models as Record<string, unknown>)) if (isUsageSnapshot(s)) out[name] = s;
  return out;
}

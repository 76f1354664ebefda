/** Reads a file from test/unit/bench/fixtures. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The text of a bench parser fixture. */
export function fixture(name: string): string {
  return readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
}

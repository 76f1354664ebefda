/**
 * Reproduces the young-generation effect of a long-lived Map whose entries churn (src/util/id-table.ts), without
 * a server: ~128 live entries, each a ~1.5 KB object graph, replaced at a steady rate for 4 s, with one full GC
 * forced after 1.5 s. It runs each kind in a child process with --trace-gc-nvp and reports the scavenges that
 * promoted more than 1 MB and the full GCs.
 *
 *   npm run build && node dist/bench/gc/map-chain.js
 *
 * Expected: `map` promotes little until the forced full GC and about everything it churns after it; `table` (an
 * IdTable) never does.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IdTable } from '../../src/util/id-table.js';

type Kind = 'map' | 'table';

function churn(kind: Kind): void {
  const map = new Map<number, object>();
  const table = new IdTable<object>();
  const live: number[] = [];
  let id = 0;
  const t0 = Date.now();
  const tick = (): void => {
    for (let k = 0; k < 200; k++) {
      const key = ++id;
      const value = { parts: Array.from({ length: 40 }, (_, i) => ({ i })), tag: `v${key}` };
      if (kind === 'map') map.set(key, value); else table.set(key, value);
      live.push(key);
      if (live.length > 128) {
        const old = live.shift()!;
        if (kind === 'map') map.delete(old); else table.delete(old);
      }
    }
    if (Date.now() - t0 < 4000) setImmediate(tick);
  };
  setTimeout(() => (globalThis as { gc?: () => void }).gc?.(), 1500);
  tick();
}

function measure(kind: Kind): { bad: number; scavenges: number; fullGcs: number } {
  const out = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', fileURLToPath(import.meta.url), 'child', kind], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`child ${kind} failed: ${out.stderr}`);
  let bad = 0; let scavenges = 0; let fullGcs = 0;
  for (const line of out.stdout.split('\n')) {
    if (line.includes('gc=s ')) {
      scavenges++;
      if (Number(/promoted=(\d+)/.exec(line)?.[1] ?? 0) > 1_000_000) bad++;
    } else if (line.includes('gc=mc ')) fullGcs++;
  }
  return { bad, scavenges, fullGcs };
}

if (process.argv[2] === 'child') {
  churn(process.argv[3] === 'table' ? 'table' : 'map');
} else {
  for (const kind of ['map', 'table'] as const) {
    const r = measure(kind);
    console.log(`${kind.padEnd(6)} scavenges ${r.scavenges}, promoting >1 MB ${r.bad}, full GCs ${r.fullGcs}`);
  }
}

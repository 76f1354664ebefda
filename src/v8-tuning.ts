/**
 * V8 settings the serving process applies to itself at start (main.ts; not startApp, which tests and embedders
 * call in processes of their own).
 *
 * Allocation-site pretenuring. V8 watches the object and array literals of hot functions, and when nearly every
 * object a site made is still alive at a young-generation collection, it allocates that site's objects straight
 * into the old generation from then on. A server answering 100+ concurrent calls trips that rule: at any moment
 * the objects of every call in flight are alive (its request, grpc-js's call and stream state, the batcher's
 * entry), although each call lives for milliseconds. Measured here on lead-scoring at 128 callers (h2load, one
 * run): V8 tenured 8-9 sites, garbage that died in the old generation came to ~9 KB per call (274 MB in 6 s, heap
 * sampling of objects collected by major GCs only), scavenges took 10-15 ms instead of 2-3 ms, the V8 helper
 * threads used ~30 us of CPU per call, and a mark-compact ran about once a second. Without pretenuring the same run
 * promoted 30 MB, and in interleaved runs the server's CPU per call fell by about a third (109-139 to 74-93 us). The naive server does not trip it because it
 * answers every call within one turn of the event loop; hub's batcher deliberately holds calls across turns.
 *
 * `--no-allocation-site-pretenuring` cannot be given in NODE_OPTIONS, so the process sets it on itself before
 * it serves. The flag is read by the collector at every young-generation GC, so setting it at start-up, before
 * any call is served, has the same effect as the command-line flag (checked with --trace-pretenuring-statistics:
 * no site is tenured). HUB_V8_PRETENURING=true keeps V8's default.
 *
 * The young generation's size. A scavenge copies what is alive, and in a server with 100+ calls in flight that is
 * every in-flight call's objects, whatever the young generation's size: so the cost per call is the survivors'
 * copy divided by the calls between two scavenges, and a larger young generation divides it. At 128
 * property-valuation callers (h2load, 6 s runs, GC time from /metrics, CPU from /proc), Node's default (16 MB
 * semi-spaces) scavenged every ~400-450 calls, GC took 5.8-9.1 us and the server 71-78 us of CPU per call (three
 * runs); 32 MB semi-spaces: every ~900 calls, 2.5 us and 63 us (one run); 64 MB: every ~1,800 calls, 1.7 us and
 * 60-65 us (three runs). 64 MB gave no more calls/s than 32 in three alternating pairs with --trace-gc, and its
 * longest scavenges were 12-14 ms against 7.5-8.3 (p95 11.0-14.8 against 9.8-13.2 ms): 32 it is. It costs up to
 * 32 MB more young generation per isolate that fills it (two semi-spaces of 32 MB instead of 16; the engine
 * workers and the spinner allocate little). V8 sizes its heap before any code runs, so this one cannot be set
 * from inside: it is SERVE_NODE_FLAGS, which `npm start`, both images and the bench pass on the command line,
 * and the server warns at start when it was started without it.
 */
import v8 from 'node:v8';

/** Node flags the serving process is started with (package.json `start`, Dockerfile.cpu and .gpu, bench/). */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The arguments after `node` that start the server as `npm start` does: SERVE_NODE_FLAGS, then the entry. */
export function serveArgs(entry = 'dist/src/main.js', flags: readonly string[] = SERVE_NODE_FLAGS): string[] {
  return [...flags, entry];
}

/**
 * The SERVE_NODE_FLAGS the process was started without: matched by name (an operator's own value counts), on
 * the command line or in NODE_OPTIONS, where Node also accepts `_` for `-`.
 */
export function missingServeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((a) => (a.split('=')[0] ?? '').replace(/_/g, '-')));
  return SERVE_NODE_FLAGS.filter((f) => !given.has(f.split('=')[0] ?? f));
}

/** Applies the serving process's V8 settings; returns the flags set, for the start-up log. */
export function tuneV8(opts: { readonly pretenuring: boolean }): string[] {
  const flags = opts.pretenuring ? [] : ['--no-allocation-site-pretenuring'];
  for (const f of flags) v8.setFlagsFromString(f);
  return flags;
}

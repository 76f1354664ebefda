/**
 * Node's HTTP/2 session keeps its open streams in a Map (`session[kState].streams`, by stream id). At a server's
 * call rate that Map is the case src/util/id-table.ts describes: after the first full GC under load, every
 * finished call's stream, with all it references (grpc-js's call, the request, the answer), is promoted to
 * the old generation, and full GCs come every second or so. Measured on hub at 128 property-valuation callers
 * (h2load, six interleaved 6 s turns, docs/benchmarks/2026-12-05-map-chain.md): with Node's Map 277 of 747
 * scavenges promoted more than 1 MB, 29 full GCs; with this table 10 (all during start-up), 13 full GCs, and p95
 * 10.6 ms against 12.5.
 *
 * So each new session's stream map is swapped for an IdTable (which implements what Node's http2 code calls on it:
 * get, set, delete, size, forEach). The session state is Node's internal object: the swap happens only when it
 * has the expected shape (one `state` symbol whose `streams` is a Map keyed by stream ids), and is otherwise
 * skipped and counted, so the server keeps working with Node's Map on a Node that changed it. The test suite
 * fails on such a Node (test/integration/stream-table.test.ts), and `HUB_COMPACT_STREAM_TABLE=false` turns the
 * swap off.
 */
import { types } from 'node:util';
import type * as http2 from 'node:http2';
import { IdTable } from '../util/id-table.js';

/** What the swap did so far: sessions whose table was swapped, and sessions of a shape it did not recognise. */
export interface StreamTableStats {
  readonly adopted: number;
  readonly unrecognised: number;
}

/** Swaps one session's stream Map for an IdTable holding the same streams; false (and no change) on an unknown shape. */
export function adoptSessionStreams(session: http2.Http2Session): boolean {
  const keys = Object.getOwnPropertySymbols(session).filter((s) => s.description === 'state');
  if (keys.length !== 1) return false;
  const state = (session as unknown as Record<symbol, unknown>)[keys[0] as symbol];
  if (typeof state !== 'object' || state === null || !('streams' in state)) return false;
  const streams = state.streams;
  if (streams instanceof IdTable) return true;
  if (!types.isMap(streams)) return false; // Node's is a SafeMap of its own realm: no instanceof
  const table = new IdTable<unknown>();
  for (const [id, stream] of streams as Map<unknown, unknown>) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || stream === undefined) return false;
    table.set(id, stream);
  }
  (state as { streams: unknown }).streams = table;
  return true;
}

/**
 * Counts what the swap did to the sessions handed to `adopt` (the app hands it every session it accepts:
 * trackSessions' hook); `onFirstUnrecognised` runs once, at the first session whose state it did not recognise.
 */
export class StreamTableAdopter implements StreamTableStats {
  adopted = 0;
  unrecognised = 0;
  readonly #onFirstUnrecognised: (() => void) | undefined;

  constructor(onFirstUnrecognised?: () => void) {
    this.#onFirstUnrecognised = onFirstUnrecognised;
  }

  readonly adopt = (session: http2.Http2Session): void => {
    if (adoptSessionStreams(session)) this.adopted++;
    else if (this.unrecognised++ === 0) this.#onFirstUnrecognised?.();
  };
}

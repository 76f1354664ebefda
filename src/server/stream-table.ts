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
import type * as grpc from '@grpc/grpc-js';
import { IdTable } from '../util/id-table.js';
import { http2ListenersOf } from './grpc-server.js';

/** What the swap did so far: sessions whose table was swapped, and sessions of a shape it did not recognise. */
export interface StreamTableStats {
  readonly servers: number;
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

const watched = new WeakMap<grpc.Server, { servers: number; adopted: number; unrecognised: number }>();

/**
 * Adopts the stream table of every session the server's HTTP/2 listeners accept from now on. Call it after the
 * server is bound (grpc-js creates its HTTP/2 servers in bindAsync); calling it again adds nothing. `servers` is 0
 * when grpc-js's server no longer exposes its HTTP/2 servers the way 1.14 does; `onFirstUnrecognised` runs once,
 * at the first session whose state it did not recognise.
 */
export function compactStreamTables(server: grpc.Server, onFirstUnrecognised?: () => void): StreamTableStats {
  const known = watched.get(server);
  if (known) return known;
  const stats = { servers: 0, adopted: 0, unrecognised: 0 };
  watched.set(server, stats);
  for (const listener of http2ListenersOf(server)) {
    stats.servers++;
    listener.on('session', (session: http2.Http2Session) => {
      if (adoptSessionStreams(session)) stats.adopted++;
      else if (stats.unrecognised++ === 0) onFirstUnrecognised?.();
    });
  }
  return stats;
}

/**
 * An open-loop load driver: each stream sends calls at a fixed rate whatever the server answers, each call
 * with its own deadline, and records every call's outcome and latency. A flood is open-loop (callers do not
 * slow down because the server is slow), which a closed-loop tool such as ghz or h2load at fixed concurrency
 * cannot show. It runs in Node on purpose: the rates an overload test needs on a heavy model (hundreds of
 * calls/s) are far below what a grpc-js client can send (DESIGN: ~5.7k calls/s).
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { inferenceStubConstructor, type InferenceStub } from '../../src/client/proto.js';
import type { ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

/** One stream of calls. */
export interface OpenLoopStream {
  readonly name: string;
  readonly model: ModelConfig;
  readonly rowsPerCall: number;
  readonly callsPerSecond: number;
  readonly deadlineMs: number;
  /** Seed of the request's rows (every call of a stream sends the same rows; the cache is bypassed). */
  readonly seed?: number;
}

/** What happened to one call. */
export interface CallRecord {
  readonly stream: string;
  /** ms since the run started. */
  readonly sentAtMs: number;
  readonly latencyMs: number;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /** The server's stable error code (trailer `hub-error-code`), if any. */
  readonly hubCode: string | undefined;
  readonly rows: number;
}

/** Request object for the dynamic stub: raw little-endian tensors, cache bypassed. */
function requestFor(stream: OpenLoopStream): Record<string, unknown> {
  const dtypeEnum: Record<string, string> = { float32: 'DATA_TYPE_FLOAT32', int64: 'DATA_TYPE_INT64', int32: 'DATA_TYPE_INT32', float16: 'DATA_TYPE_FLOAT16', uint8: 'DATA_TYPE_UINT8', bool: 'DATA_TYPE_BOOL' };
  const tensors = sampleInputs(stream.model, stream.rowsPerCall, stream.seed ?? 7);
  return {
    model: stream.model.name,
    cache: 'CACHE_POLICY_BYPASS',
    inputs: Object.entries(tensors).map(([name, t]) => ({
      name, dtype: dtypeEnum[t.dtype], shape: t.shape.map(String), raw: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    })),
  };
}

/**
 * Runs every stream for `durationMs` against `address`, then waits (bounded by the longest deadline) for
 * the calls in flight. Resolves with one record per call sent.
 */
export async function runOpenLoop(address: string, streams: readonly OpenLoopStream[], durationMs: number): Promise<CallRecord[]> {
  const Stub = inferenceStubConstructor();
  // One channel per stream, as separate services calling the server would have.
  const stubs: InferenceStub[] = streams.map(() => new Stub(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 }));
  const requests = streams.map(requestFor);
  // Connect first: a channel's connection set-up is not the server's latency.
  await Promise.all(stubs.map((stub) => new Promise<void>((resolve, reject) => stub.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())))));
  const records: CallRecord[] = [];
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const sent = streams.map(() => 0);
  const send = (i: number): void => {
    const s = streams[i] as OpenLoopStream;
    const sentAt = performance.now();
    const p = new Promise<void>((resolve) => {
      (stubs[i] as InferenceStub).Predict(requests[i], new grpc.Metadata(), { deadline: Date.now() + s.deadlineMs }, (err) => {
        const hub = err?.metadata?.get('hub-error-code')[0];
        records.push({ stream: s.name, sentAtMs: sentAt - t0, latencyMs: performance.now() - sentAt, code: err ? err.code : 0, hubCode: typeof hub === 'string' ? hub : undefined, rows: s.rowsPerCall });
        resolve();
      });
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  await new Promise<void>((resolve) => {
    // A 5 ms tick sends whatever each stream is due: the schedule follows the clock, not the answers.
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      const until = Math.min(elapsed, durationMs);
      streams.forEach((s, i) => {
        const due = Math.floor((until / 1000) * s.callsPerSecond);
        while ((sent[i] as number) < due) { send(i); sent[i] = (sent[i] as number) + 1; }
      });
      if (elapsed >= durationMs) { clearInterval(timer); resolve(); }
    }, 5);
  });
  await Promise.all([...pending]);
  for (const s of stubs) s.close();
  return records;
}

/**
 * Closed loop: `concurrency` callers each send the stream's request again as soon as the previous answer
 * arrives, for `durationMs`. Measures what the server can sustain (its capacity) on that request.
 */
export async function runClosedLoop(address: string, stream: OpenLoopStream, concurrency: number, durationMs: number): Promise<CallRecord[]> {
  const stub = new (inferenceStubConstructor())(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const request = requestFor(stream);
  await new Promise<void>((resolve, reject) => stub.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  const records: CallRecord[] = [];
  const t0 = performance.now();
  const caller = async (): Promise<void> => {
    while (performance.now() - t0 < durationMs) {
      const sentAt = performance.now();
      const code = await new Promise<number>((resolve) => {
        stub.Predict(request, new grpc.Metadata(), { deadline: Date.now() + stream.deadlineMs }, (err) => resolve(err ? err.code : 0));
      });
      records.push({ stream: stream.name, sentAtMs: sentAt - t0, latencyMs: performance.now() - sentAt, code, hubCode: undefined, rows: stream.rowsPerCall });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  stub.close();
  return records;
}

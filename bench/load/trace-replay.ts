/**
 * Replays a timed list of Predict calls open-loop: each call leaves at its scheduled time whatever the
 * server answered before (a cold start must not slow the clients down and hide itself). Runs in Node: the
 * fleet trace's rates (a few hundred calls/s) are far below a grpc-js client's ceiling (DESIGN: ~5.7k/s).
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { inferenceStubConstructor } from '../../src/client/proto.js';

/** One call to make. */
export interface ScheduledCall {
  /** ms after the replay starts. */
  readonly atMs: number;
  readonly model: string;
}

/** What happened to one call. */
export interface ReplayRecord {
  readonly model: string;
  /** ms after the replay started, when it was actually sent. */
  readonly sentAtMs: number;
  readonly latencyMs: number;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /** The server's timing.queue_us (a cold start's wait included), 0 on errors. */
  readonly queueUs: number;
}

/** Replay settings. */
export interface ReplayOptions {
  readonly address: string;
  readonly calls: readonly ScheduledCall[];
  /** The request body of each model (cache bypassed by the caller's choice). */
  readonly requests: ReadonlyMap<string, Record<string, unknown>>;
  readonly deadlineMs: number;
  /** Called (not awaited) whenever the replay passes one of these offsets, e.g. simulated midnights. */
  readonly marks?: readonly { readonly atMs: number; readonly run: () => void }[];
}

/** Sends every call at its time and resolves with one record per call once all have answered. */
export async function replayTrace(o: ReplayOptions): Promise<ReplayRecord[]> {
  const stub = new (inferenceStubConstructor())(o.address, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => stub.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  const records: ReplayRecord[] = [];
  const pending = new Set<Promise<void>>();
  const marks = [...(o.marks ?? [])].sort((a, b) => a.atMs - b.atMs);
  let next = 0;
  let nextMark = 0;
  const t0 = performance.now();
  const send = (c: ScheduledCall): void => {
    const sentAt = performance.now();
    const p = new Promise<void>((resolve) => {
      stub.Predict(o.requests.get(c.model), new grpc.Metadata(), { deadline: Date.now() + o.deadlineMs }, (err, res) => {
        const timing = (res as { timing?: { queueUs?: string } } | undefined)?.timing;
        records.push({ model: c.model, sentAtMs: sentAt - t0, latencyMs: performance.now() - sentAt, code: err ? err.code : 0, queueUs: Number(timing?.queueUs ?? 0) });
        resolve();
      });
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  await new Promise<void>((resolve) => {
    // A 2 ms tick sends whatever is due: the schedule follows the clock, not the answers.
    const timer = setInterval(() => {
      const now = performance.now() - t0;
      while (nextMark < marks.length && (marks[nextMark] as { atMs: number }).atMs <= now) (marks[nextMark++] as { run: () => void }).run();
      while (next < o.calls.length && (o.calls[next] as ScheduledCall).atMs <= now) send(o.calls[next++] as ScheduledCall);
      if (next >= o.calls.length) { clearInterval(timer); resolve(); }
    }, 2);
  });
  await Promise.all([...pending]);
  stub.close();
  return records;
}

/**
 * A minimal gRPC-over-HTTP/2 load driver on node:http2 that sends a SEQUENCE of different pre-encoded
 * requests (h2load repeats one body per process, so it cannot replay Zipf repeat traffic). It reads
 * grpc-status from trailers. It shares the machine with the server and tops out far below h2load
 * (a Node client saturates around a few thousand calls/s), so it is used only where the request MIX
 * matters more than the peak rate: the cache scenario when ghz is not installed.
 */
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { summarizeLatencies } from './latency-stats.js';
import { decodeFrames } from './grpc-codec.js';
import type { LoadResult } from './load-result.js';

/** One sequence run. */
export interface SequenceRun {
  readonly address: string;
  readonly path: string;
  /** Framed gRPC bodies, sent in order, each exactly once. */
  readonly bodies: readonly Uint8Array[];
  readonly concurrency: number;
  readonly connections?: number;
  /** Per-call deadline in ms (grpc-timeout header). */
  readonly timeoutMs?: number;
  /** Called every ~500 ms with completed calls so far. */
  readonly onProgress?: (done: number) => void;
  /** Decode each PredictResponse and add up cached_rows (a client-side cache hit count). */
  readonly countCachedRows?: boolean;
}

function callOnce(session: http2.ClientHttp2Session, path: string, body: Uint8Array, timeoutMs: number, keep: boolean): Promise<{ status: number; body: Buffer | undefined }> {
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${timeoutMs}m`,
    });
    let status: number | undefined;
    stream.on('response', (headers) => { if (headers['grpc-status'] !== undefined) status = Number(headers['grpc-status']); });
    stream.on('trailers', (trailers) => { if (trailers['grpc-status'] !== undefined) status = Number(trailers['grpc-status']); });
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => { if (keep) chunks.push(d); });
    stream.on('close', () => resolve({ status: status ?? -1, body: keep ? Buffer.concat(chunks) : undefined }));
    stream.on('error', () => undefined);
    stream.end(body);
  });
}

/** Sends every body once with `concurrency` calls in flight; resolves with client-side figures. */
export async function runSequence(run: SequenceRun): Promise<LoadResult> {
  const nConn = Math.max(1, Math.min(run.connections ?? 4, run.concurrency));
  const sessions = Array.from({ length: nConn }, () => http2.connect(`http://${run.address}`));
  await Promise.all(sessions.map((s) => new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('error', reject); })));
  const latencies: number[] = new Array<number>(run.bodies.length);
  let next = 0;
  let done = 0;
  let errors = 0;
  let cachedRows = 0;
  const timer = run.onProgress ? setInterval(() => run.onProgress?.(done), 500) : undefined;
  const start = performance.now();
  const worker = async (w: number): Promise<void> => {
    const session = sessions[w % nConn] as http2.ClientHttp2Session;
    while (next < run.bodies.length) {
      const i = next++;
      const t0 = performance.now();
      const { status, body } = await callOnce(session, run.path, run.bodies[i] as Uint8Array, run.timeoutMs ?? 20_000, run.countCachedRows === true);
      latencies[i] = performance.now() - t0;
      if (status !== 0) errors++;
      else if (body) for (const msg of decodeFrames('Predict', body)) cachedRows += Number(msg['cachedRows'] ?? 0);
      done++;
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  if (timer) clearInterval(timer);
  await Promise.all(sessions.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return {
    tool: 'node-http2',
    concurrency: run.concurrency,
    durationSeconds: seconds,
    completed: done,
    clientErrors: errors,
    requestsPerSecond: done / seconds,
    latency: summarizeLatencies(latencies),
    ...(run.countCachedRows ? { cachedRows } : {}),
  };
}

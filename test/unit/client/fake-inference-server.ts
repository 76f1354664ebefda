/**
 * A real grpc-js server on 127.0.0.1:0 speaking hub.inference.v1 with a tiny deterministic handler. It is
 * the peer the SDK tests talk to: the thing under test is the SDK (balancing, retries, deadlines, limits,
 * encoding), not the inference server.
 */
import * as grpc from '@grpc/grpc-js';
import { inferenceServiceDefinition } from '../../../src/server/grpc-server.js';

/** What the fake does with the n-th call (1-based). */
export type Behaviour =
  | { kind: 'echo' }
  | { kind: 'fail'; code: grpc.status; details: string; hubCode?: string }
  | { kind: 'hold' };

/** A running fake. */
export interface FakeServer {
  readonly address: string;
  /** Calls received so far, per method. */
  readonly calls: { method: string; peer: string; metadata: grpc.Metadata; request: any }[];
  /** Calls being held now. */
  readonly held: (() => void)[];
  /** Most calls that were open at once. */
  readonly maxConcurrent: number;
  /** Releases every held call (they answer with echo). */
  releaseAll(): void;
  close(): Promise<void>;
}

function typed(t: any): any {
  const b: Buffer = t.raw;
  const u = new Uint8Array(b); // aligned copy
  switch (t.dtype) {
    case 'DATA_TYPE_FLOAT32': return { name: t.name, dtype: t.dtype, shape: t.shape, floatData: Array.from(new Float32Array(u.buffer)) };
    case 'DATA_TYPE_INT64': return { name: t.name, dtype: t.dtype, shape: t.shape, int64Data: Array.from(new BigInt64Array(u.buffer), String) };
    case 'DATA_TYPE_INT32': return { name: t.name, dtype: t.dtype, shape: t.shape, int32Data: Array.from(new Int32Array(u.buffer)) };
    case 'DATA_TYPE_UINT8': return { name: t.name, dtype: t.dtype, shape: t.shape, int32Data: Array.from(u) };
    case 'DATA_TYPE_BOOL': return { name: t.name, dtype: t.dtype, shape: t.shape, boolData: Array.from(u, (v) => v !== 0) };
    default: return t;
  }
}

/** Starts a fake; `behave(n, method)` decides each call (default: echo everything). */
export async function startFakeServer(behave: (n: number, method: string) => Behaviour = () => ({ kind: 'echo' })): Promise<FakeServer> {
  const server = new grpc.Server();
  const calls: FakeServer['calls'] = [];
  const held: (() => void)[] = [];
  let open = 0;
  let maxConcurrent = 0;
  const handle = (method: string, answer: (req: any, md: grpc.Metadata) => unknown) =>
    (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void => {
      calls.push({ method, peer: call.getPeer(), metadata: call.metadata, request: call.request });
      const b = behave(calls.length, method);
      open++;
      maxConcurrent = Math.max(maxConcurrent, open);
      const finish = (): void => { open--; };
      if (b.kind === 'fail') {
        finish();
        const md = new grpc.Metadata();
        if (b.hubCode) md.set('hub-error-code', b.hubCode);
        cb({ code: b.code, details: b.details, metadata: md });
        return;
      }
      const respond = (): void => { finish(); cb(null, answer(call.request, call.metadata)); };
      if (b.kind === 'hold') {
        let done = false;
        const release = (): void => { if (!done) { done = true; respond(); } };
        held.push(release);
        call.on('cancelled', () => { if (!done) { done = true; finish(); } });
        return;
      }
      respond();
    };
  server.addService(inferenceServiceDefinition(), {
    Predict: handle('Predict', (req) => ({
      model: req.model,
      version: req.version || '7',
      variant: req.variant === 'VARIANT_AUTO' ? 'VARIANT_INT8' : req.variant,
      outputs: req.inputs.map((t: any) => (req.typedOutputs ? typed(t) : t)).filter((t: any) => req.outputs.length === 0 || req.outputs.includes(t.name)),
      timing: { queueUs: '12', computeUs: '34', batchSize: 5, totalUs: '56' },
      cachedRows: 1,
      requestId: req.requestId,
    })),
    ListModels: handle('ListModels', () => ({
      models: [{ name: 'm', versions: ['1', '2'], latestVersion: '2', ready: true, variants: ['VARIANT_FP32', 'VARIANT_INT8'], state: 'READY', error: '' }],
    })),
    GetModelMetadata: handle('GetModelMetadata', (req) => ({
      name: req.model, version: req.version || '2', versions: ['1', '2'], variants: ['VARIANT_FP32'],
      inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '32'] }],
      outputs: [{ name: 'probability', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '1'] }],
      maxBatchSize: 64, ready: true, state: 'READY', defaultVariant: 'VARIANT_AUTO', platform: 'onnxruntime', executionProvider: 'cpu',
    })),
    LoadModel: handle('LoadModel', (req) => ({ model: req.model, version: req.version || '2', ready: true })),
    UnloadModel: handle('UnloadModel', (req) => ({ model: req.model, version: req.version || '2' })),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    calls,
    held,
    get maxConcurrent() { return maxConcurrent; },
    releaseAll: () => { for (const r of held.splice(0)) r(); },
    close: () => new Promise<void>((resolve) => { for (const r of held.splice(0)) r(); server.tryShutdown(() => resolve()); setTimeout(() => { server.forceShutdown(); resolve(); }, 1000).unref(); }),
  };
}

/** An address nothing listens on (bound, then closed). */
export async function deadAddress(): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}

/** Resolves once `cond` holds (polling; bounded). */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

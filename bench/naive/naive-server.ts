/**
 * The reference a Node user writes first, and what hub-inference must beat at every load: grpc-js plus
 * onnxruntime-node, one session per bundled model on the main thread with ONNX Runtime's default threads,
 * one `run()` per call, raw tensors only, no batching, no cache, no validation beyond what ORT does.
 * Deliberately plain: a few dozen lines, nothing borrowed from src/ but the proto file's location.
 *
 * `node dist/bench/naive/naive-server.js <models dir> [--canned]`: listens on 127.0.0.1:0 and prints the same
 * `{"msg":"serving","grpcAddress":...}` line the bench harness waits for.
 *
 * `--canned`: the transport alone. Each model's first call runs as above; every later call is answered with that
 * first answer, without inference: what the transport alone costs a plain server, the line the bench measures
 * both servers against.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import ort from 'onnxruntime-node';
import { PROTO_FILE, protoRoot } from '../../src/proto/hub-proto.js';

type Raw = { name: string; dtype: string; shape: string[]; raw: Buffer };
const TYPES: Record<string, ort.Tensor.Type> = { DATA_TYPE_FLOAT32: 'float32', DATA_TYPE_INT64: 'int64', DATA_TYPE_INT32: 'int32' };

async function main(): Promise<void> {
  const models = process.argv[2] ?? 'models';
  const canned = process.argv[3] === '--canned' ? new Map<string, unknown>() : undefined;
  const sessions = new Map<string, ort.InferenceSession>();
  for (const name of ['lead-scoring', 'property-valuation', 'lead-intent']) {
    sessions.set(name, await ort.InferenceSession.create(path.join(models, name, '1', 'model.onnx')));
  }
  const def = protoLoader.loadSync(PROTO_FILE, { includeDirs: [protoRoot()], longs: String, enums: String, bytes: Buffer, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { hub: { inference: { v1: { InferenceService: { service: grpc.ServiceDefinition } } } } };
  const server = new grpc.Server();
  server.addService(pkg.hub.inference.v1.InferenceService.service, {
    Predict: (call: grpc.ServerUnaryCall<{ model: string; inputs: Raw[] }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const session = sessions.get(call.request.model);
      if (!session) { cb({ code: grpc.status.NOT_FOUND, details: 'no such model' }); return; }
      const answer = canned?.get(call.request.model);
      if (answer) { cb(null, answer); return; }
      const feeds: Record<string, ort.Tensor> = {};
      for (const t of call.request.inputs) {
        const type = TYPES[t.dtype] ?? 'float32';
        const bytes = new Uint8Array(t.raw); // a copy: aligned for the typed array
        const data = type === 'int64' ? new BigInt64Array(bytes.buffer) : type === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
        feeds[t.name] = new ort.Tensor(type, data, t.shape.map(Number));
      }
      session.run(feeds).then((out) => {
        const outputs = Object.entries(out).map(([name, v]) => ({
          name, dtype: 'DATA_TYPE_FLOAT32', shape: v.dims.map(String),
          raw: Buffer.from((v.data as Float32Array).buffer, (v.data as Float32Array).byteOffset, (v.data as Float32Array).byteLength),
        }));
        const res = { model: call.request.model, version: '1', variant: 'VARIANT_FP32', outputs };
        canned?.set(call.request.model, res);
        cb(null, res);
      }, (e: Error) => cb({ code: grpc.status.INTERNAL, details: e.message }));
    },
    ListModels: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { models: [...sessions.keys()].map((name) => ({ name })) }),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write(`${JSON.stringify({ msg: 'serving', grpcAddress: `127.0.0.1:${port}`, metricsAddress: '' })}\n`);
  const stop = (): void => { server.tryShutdown(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => { process.stderr.write(`naive server failed: ${String(e)}\n`); process.exit(1); });

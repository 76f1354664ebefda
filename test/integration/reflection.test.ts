/**
 * A client with no proto files, as grpcurl and ghz are: every service and message comes from server
 * reflection alone, and README's grpcurl example JSON is sent, as written, through a client built from the
 * reflected descriptors (grpcurl itself is not packaged here).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface ReflectionClient { ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, unknown>, Record<string, any>> }

function reflectionClient(address: string): grpc.Client & ReflectionClient {
  const def = protoLoader.loadSync(path.resolve('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'), { keepCase: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.grpc.reflection.v1alpha.ServerReflection(address, grpc.credentials.createInsecure());
}

function ask(client: ReflectionClient, request: Record<string, unknown>): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (r) => { resolve(r); call.end(); });
    call.on('error', reject);
    call.write(request);
  });
}

/** A protobufjs Root built only from the FileDescriptorProtos reflection returns for `symbol`. */
async function rootFor(client: ReflectionClient, symbol: string): Promise<protobuf.Root> {
  const r = await ask(client, { file_containing_symbol: symbol });
  if (r['error_response']) throw new Error(`reflection: ${JSON.stringify(r['error_response'])}`);
  const files = (r['file_descriptor_response'].file_descriptor_proto as Buffer[]).map((b) => (descriptor as any).FileDescriptorProto.decode(b));
  return (protobuf.Root as any).fromDescriptor({ file: files }) as protobuf.Root;
}

/** README's grpcurl example: its JSON body and the method it calls. */
function readmeExample(): { body: Record<string, unknown>; method: string } {
  const readme = readFileSync('README.md', 'utf8');
  const m = /grpcurl -plaintext -d '(\{"model":"lead-scoring"[^']*)' \\\s*\n\s*127\.0\.0\.1:50051 (\S+)/.exec(readme);
  if (!m) throw new Error('README has no lead-scoring grpcurl example');
  return { body: JSON.parse(m[1]!) as Record<string, unknown>, method: m[2]! };
}

describe('reflection alone is enough to call the server', () => {
  let srv: TestServer;
  let client: grpc.Client & ReflectionClient;
  beforeAll(async () => {
    srv = await startTestServer({ config: { preloadTop: 1 } });
    client = reflectionClient(srv.address);
  });
  afterAll(async () => { client?.close(); await srv?.close(); });

  it('lists the inference service and grpc.health.v1.Health, and resolves both', async () => {
    const list = await ask(client, { list_services: '' });
    const names = list['list_services_response'].service.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['hub.inference.v1.InferenceService', 'grpc.health.v1.Health']));
    const health = await rootFor(client, 'grpc.health.v1.Health');
    expect(health.lookupService('grpc.health.v1.Health').methods['Check']).toBeDefined();
  });

  it('serves descriptors with the .proto\'s own field names (float_data, request_id), as grpcurl needs', async () => {
    const root = await rootFor(client, 'hub.inference.v1.InferenceService');
    const tensor = root.lookupType('hub.inference.v1.Tensor');
    expect(Object.keys(tensor.fields)).toEqual(expect.arrayContaining(['float_data', 'int64_data', 'raw']));
    expect(Object.keys(root.lookupType('hub.inference.v1.PredictRequest').fields)).toContain('request_id');
    const service = root.lookupService('hub.inference.v1.InferenceService');
    for (const m of Object.values(service.methods)) {
      m.resolve();
      expect(m.resolvedRequestType, m.name).toBeTruthy();
      expect(m.resolvedResponseType, m.name).toBeTruthy();
    }
  });

  it('answers README\'s grpcurl example through a client built from reflection only', async () => {
    const { body, method } = readmeExample();
    const root = await rootFor(client, 'hub.inference.v1.InferenceService');
    const [service, rpc] = [method.slice(0, method.lastIndexOf('/')), method.slice(method.lastIndexOf('/') + 1)];
    const m = root.lookupService(service).methods[rpc]!.resolve() as protobuf.Method;
    const Req = m.resolvedRequestType!;
    const Res = m.resolvedResponseType!;
    // Every key of the example is a field of the reflected messages (protobufjs would silently drop others).
    for (const k of Object.keys(body)) expect(Object.keys(Req.fields), k).toContain(k);
    const Tensor = root.lookupType('hub.inference.v1.Tensor');
    for (const t of body['inputs'] as Record<string, unknown>[]) for (const k of Object.keys(t)) expect(Object.keys(Tensor.fields), k).toContain(k);
    const raw = new grpc.Client(srv.address, grpc.credentials.createInsecure());
    try {
      const res = await new Promise<Record<string, any>>((resolve, reject) => {
        raw.makeUnaryRequest(`/${method}`, (o: Record<string, unknown>) => Buffer.from(Req.encode(Req.fromObject(o)).finish()), (b: Buffer) => Res.toObject(Res.decode(b), { enums: String, longs: String }),
          body, (err, value) => (err ? reject(err) : resolve(value!)));
      });
      expect(res['model']).toBe('lead-scoring');
      expect(res['outputs'][0].name).toBe('probability');
      expect(res['outputs'][0].shape).toEqual(['1', '1']);
    } finally {
      raw.close();
    }
  });
});

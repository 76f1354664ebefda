/**
 * The Open Inference Protocol (inference.GRPCInferenceService) on the same port as hub.inference.v1, called by a
 * client built from proto/inference/grpc_service.proto alone (@grpc/proto-loader, the .proto's own field names):
 * nothing of the server's code is on the client side. Every ModelInfer answer is compared bit for bit with
 * Predict's answer on the same server, for the three bundled models, with typed contents and with raw contents.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startTestServer, callUnary, createRawClient, type TestServer } from '../helpers/test-server.js';
import { tempRepo } from '../helpers/model-repo.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig, type ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import type { HostTensor, NamedTensors } from '../../src/tensor/tensor.js';
import { serveArgs } from '../../src/v8-tuning.js';

const MODELS = ['lead-scoring', 'property-valuation', 'lead-intent'] as const;
const cfg = (m: string): ModelConfig => readModelConfig(path.resolve('models', m, 'config.json'), m);
const TOKEN = 'kserve-admin-token';
const bearer = (t: string): grpc.Metadata => { const m = new grpc.Metadata(); m.set('authorization', `Bearer ${t}`); return m; };

// ---- the independent client: the .proto file and @grpc/proto-loader, nothing else ----
const OIP_DEF = protoLoader.loadSync(path.resolve('proto/inference/grpc_service.proto'), { keepCase: true, longs: String, enums: String, defaults: true, arrays: true, oneofs: true });
type OipClient = grpc.Client & Record<string, (...args: any[]) => grpc.ClientUnaryCall>;
function oipClient(address: string): OipClient {
  const pkg = grpc.loadPackageDefinition(OIP_DEF) as any;
  return new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure()) as OipClient;
}
function oipCall<T = any>(client: OipClient, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!.call(client, request, metadata, {}, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}
const fail = (p: Promise<unknown>): Promise<grpc.ServiceError> => p.then(() => { throw new Error('expected the call to fail'); }, (e: grpc.ServiceError) => e);

const OIP_TYPE = { float32: 'FP32', int64: 'INT64' } as Record<string, string>;
/** An OIP input with typed contents. */
function contentsInput(name: string, t: HostTensor): Record<string, unknown> {
  const copy = new Uint8Array(t.data).buffer;
  const contents = t.dtype === 'float32' ? { fp32_contents: Array.from(new Float32Array(copy)) }
    : { int64_contents: Array.from(new BigInt64Array(copy), (v) => v.toString()) };
  return { name, datatype: OIP_TYPE[t.dtype], shape: [...t.shape], contents };
}
/** An OIP request with typed contents, or with raw_input_contents. */
function inferRequest(model: string, inputs: NamedTensors, raw: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const entries = Object.entries(inputs);
  return raw
    ? { model_name: model, inputs: entries.map(([n, t]) => ({ name: n, datatype: OIP_TYPE[t.dtype], shape: [...t.shape] })), raw_input_contents: entries.map(([, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), ...extra }
    : { model_name: model, inputs: entries.map(([n, t]) => contentsInput(n, t)), ...extra };
}
/** The bytes of each output of a ModelInfer response, whichever form it came in. */
function outputBytes(res: any): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  res.outputs.forEach((o: any, i: number) => {
    if (res.raw_output_contents.length > 0) out[o.name] = Buffer.from(res.raw_output_contents[i]);
    else {
      expect(o.datatype).toBe('FP32');
      out[o.name] = Buffer.from(Float32Array.from(o.contents.fp32_contents as number[]).buffer);
    }
  });
  return out;
}
const param = (res: any, key: string): unknown => {
  const p = res.parameters[key];
  return p?.[p.parameter_choice];
};

describe('Open Inference Protocol beside hub.inference.v1', () => {
  let srv: TestServer;
  let oip: OipClient;
  beforeAll(async () => {
    srv = await startTestServer({ config: { adminToken: TOKEN, preloadTop: 3, metricsAddress: '127.0.0.1:0' } });
    oip = oipClient(srv.address);
  });
  afterAll(async () => { oip?.close(); await srv?.close(); });

  it('ServerLive, ServerReady and ServerMetadata answer on the Predict port', async () => {
    expect(await oipCall(oip, 'ServerLive', {})).toEqual({ live: true });
    expect(await oipCall(oip, 'ServerReady', {})).toEqual({ ready: true });
    const meta = await oipCall(oip, 'ServerMetadata', {});
    expect(meta.name).toBe('hub-inference');
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.extensions).toEqual(expect.arrayContaining(['model_repository', 'parameters']));
  });

  for (const model of MODELS) {
    it(`${model}: ModelReady and ModelMetadata describe the model's signature with OIP datatypes`, async () => {
      const c = cfg(model);
      expect(await oipCall(oip, 'ModelReady', { name: model })).toEqual({ ready: true });
      expect(await oipCall(oip, 'ModelReady', { name: model, version: '1' })).toEqual({ ready: true });
      const meta = await oipCall(oip, 'ModelMetadata', { name: model });
      expect(meta.name).toBe(model);
      expect(meta.versions).toEqual(['1']);
      expect(meta.platform).toBe('onnx_onnxv1');
      const sig = (specs: ModelConfig['inputs']): unknown => specs.map((s) => ({ name: s.name, datatype: OIP_TYPE[s.dtype], shape: s.shape.map(String) }));
      expect(meta.inputs).toEqual(sig(c.inputs));
      expect(meta.outputs).toEqual(sig(c.outputs));
      expect(meta.properties).toMatchObject({ version: '1', state: 'READY', max_batch_size: String(c.maxBatchSize) });
      expect(meta.properties.variants.split(',')).toContain('fp32');
    });

    for (const raw of [false, true]) {
      it(`${model}: ModelInfer with ${raw ? 'raw_input_contents' : 'typed contents'} equals Predict bit for bit, answers in the same form, echoes the id`, async () => {
        const c = cfg(model);
        const inputs = sampleInputs(c, 3, raw ? 501 : 502);
        const id = `req-${model}-${raw}`;
        const res = await oipCall(oip, 'ModelInfer', inferRequest(model, inputs, raw, { id, parameters: { cache: { string_param: 'bypass' } } }));
        const ref = await srv.call('Predict', { model, inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
        expect(res.model_name).toBe(model);
        expect(res.model_version).toBe('1');
        expect(res.id).toBe(id);
        // The form of the answer follows the form of the question.
        expect(res.raw_output_contents.length).toBe(raw ? res.outputs.length : 0);
        for (const o of res.outputs) expect(o.contents === null).toBe(raw);
        expect(param(res, 'variant')).toBe(ref.variant.replace('VARIANT_', '').toLowerCase());
        const bytes = outputBytes(res);
        expect(Object.keys(bytes).sort()).toEqual(ref.outputs.map((o: any) => o.name).sort());
        for (const o of ref.outputs) {
          const mine = res.outputs.find((x: any) => x.name === o.name);
          expect(mine.datatype).toBe('FP32');
          expect(mine.shape).toEqual(o.shape);
          expect(bytes[o.name]!.equals(o.raw), `${model} ${o.name}`).toBe(true);
        }
        expect(Number(param(res, 'batch_size'))).toBeGreaterThanOrEqual(3);
        expect(Number(param(res, 'compute_us'))).toBeGreaterThan(0);
        expect(Number(param(res, 'cached_rows'))).toBe(0);
        expect(Number(param(res, 'total_us'))).toBeGreaterThan(0);
        expect(param(res, 'queue_us')).toMatch(/^\d+$/);
      });
    }
  }

  it('variant=fp32 and variant=int8 run those variants, equal to Predict with VARIANT_FP32 / VARIANT_INT8', async () => {
    const inputs = sampleInputs(cfg('lead-intent'), 2, 510);
    for (const variant of ['fp32', 'int8']) {
      const res = await oipCall(oip, 'ModelInfer', inferRequest('lead-intent', inputs, true, { parameters: { variant: { string_param: variant }, cache: { string_param: 'bypass' } } }));
      const ref = await srv.call('Predict', { model: 'lead-intent', variant: `VARIANT_${variant.toUpperCase()}`, inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
      expect(param(res, 'variant')).toBe(variant);
      expect(outputBytes(res)['logits']!.equals(ref.outputs[0].raw)).toBe(true);
    }
  });

  it('raw_output chooses the answer form whatever form the inputs came in', async () => {
    const inputs = sampleInputs(cfg('lead-scoring'), 2, 520);
    const typedIn = await oipCall(oip, 'ModelInfer', inferRequest('lead-scoring', inputs, false, { parameters: { raw_output: { bool_param: true } } }));
    expect(typedIn.raw_output_contents.length).toBe(1);
    const rawIn = await oipCall(oip, 'ModelInfer', inferRequest('lead-scoring', inputs, true, { parameters: { raw_output: { bool_param: false } } }));
    expect(rawIn.raw_output_contents.length).toBe(0);
    expect(outputBytes(typedIn)['probability']!.equals(outputBytes(rawIn)['probability']!)).toBe(true);
  });

  it('requested outputs: only those, in the order asked', async () => {
    const inputs = sampleInputs(cfg('lead-scoring'), 1, 530);
    const res = await oipCall(oip, 'ModelInfer', inferRequest('lead-scoring', inputs, true, { outputs: [{ name: 'probability' }] }));
    expect(res.outputs.map((o: any) => o.name)).toEqual(['probability']);
    const e = await fail(oipCall(oip, 'ModelInfer', inferRequest('lead-scoring', inputs, true, { outputs: [{ name: 'nope' }] })));
    expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/unknown output "nope"; model "lead-scoring" has outputs: probability/);
  });

  it('shares the cache with Predict: rows Predict computed come back as cached_rows, and hub_requests_total counts ModelInfer', async () => {
    const inputs = sampleInputs(cfg('property-valuation'), 4, 540);
    const scrape = async (): Promise<number> => {
      const text = await (await fetch(`http://${srv.app.metricsAddress}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('hub_requests_total{model="property-valuation",code="OK"}')).reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
    };
    const before = await scrape();
    const first = await srv.call('Predict', { model: 'property-valuation', inputs: wireInputs(inputs) });
    const res = await oipCall(oip, 'ModelInfer', inferRequest('property-valuation', inputs, false));
    expect(Number(param(res, 'cached_rows'))).toBe(4);
    expect(Number(param(res, 'batch_size'))).toBe(0);
    expect(outputBytes(res)['value']!.equals(first.outputs[0].raw)).toBe(true);
    const refreshed = await oipCall(oip, 'ModelInfer', inferRequest('property-valuation', inputs, false, { parameters: { cache: { string_param: 'refresh' } } }));
    expect(Number(param(refreshed, 'cached_rows'))).toBe(0);
    expect(await scrape() - before).toBe(3);
  });

  describe('errors: the same codes and messages as Predict', () => {
    const scoring = (): NamedTensors => sampleInputs(cfg('lead-scoring'), 1, 550);
    const same = async (predict: Record<string, unknown>, infer: Record<string, unknown>, code: grpc.status): Promise<grpc.ServiceError> => {
      const p = await fail(srv.call('Predict', predict));
      const o = await fail(oipCall(oip, 'ModelInfer', infer));
      expect(o.code).toBe(code);
      expect(p.code).toBe(code);
      expect(o.details).toBe(p.details);
      expect(o.metadata.get('hub-error-code')).toEqual(p.metadata.get('hub-error-code'));
      return o;
    };

    it('unknown model and unknown version are NOT_FOUND', async () => {
      const e = await same({ model: 'ghost', inputs: wireInputs(scoring()) }, inferRequest('ghost', scoring(), true), grpc.status.NOT_FOUND);
      expect(e.details).toMatch(/model "ghost" not found; available models: .*lead-scoring/);
      const v = await same({ model: 'lead-scoring', version: '9', inputs: wireInputs(scoring()) }, inferRequest('lead-scoring', scoring(), true, { model_version: '9' }), grpc.status.NOT_FOUND);
      expect(v.details).toMatch(/has no version "9"; versions: 1/);
      for (const rpc of ['ModelMetadata', 'ModelReady']) {
        const m = await fail(oipCall(oip, rpc, { name: 'ghost' }));
        expect(m.code, rpc).toBe(grpc.status.NOT_FOUND);
        const mv = await fail(oipCall(oip, rpc, { name: 'lead-scoring', version: '9' }));
        expect(mv.code, rpc).toBe(grpc.status.NOT_FOUND);
      }
    });

    it('a variant the model does not have is NOT_FOUND', async () => {
      const inputs = sampleInputs(cfg('property-valuation'), 1, 551);
      const e = await same({ model: 'property-valuation', variant: 'VARIANT_INT8', inputs: wireInputs(inputs) },
        inferRequest('property-valuation', inputs, true, { parameters: { variant: { string_param: 'int8' } } }), grpc.status.NOT_FOUND);
      expect(e.details).toMatch(/has no INT8 variant/);
    });

    it('a datatype, a shape or a row count the signature does not take is INVALID_ARGUMENT naming the input', async () => {
      const f = scoring()['features']!;
      const asInt64: HostTensor = { dtype: 'int64', shape: [1, 32], data: new Uint8Array(8 * 32) };
      const e1 = await same({ model: 'lead-scoring', inputs: wireInputs({ features: asInt64 }) }, inferRequest('lead-scoring', { features: asInt64 }, true), grpc.status.INVALID_ARGUMENT);
      expect(e1.details).toMatch(/input "features" has dtype int64, expected float32; model "lead-scoring" expects inputs: features float32 \[-1,32\]/);
      const narrow: HostTensor = { dtype: 'float32', shape: [1, 31], data: f.data.subarray(0, 31 * 4) };
      const e2 = await same({ model: 'lead-scoring', inputs: wireInputs({ features: narrow }) }, inferRequest('lead-scoring', { features: narrow }, false), grpc.status.INVALID_ARGUMENT);
      expect(e2.details).toMatch(/input "features" has shape \[1,31\], expected \[-1,32\]/);
      const e3 = await same({ model: 'lead-scoring', inputs: wireInputs({ other: f }) }, inferRequest('lead-scoring', { other: f }, true), grpc.status.INVALID_ARGUMENT);
      expect(e3.details).toMatch(/unexpected input "other"/);
    });

    it('a byte length or value count that does not match the shape is INVALID_ARGUMENT', async () => {
      const req = inferRequest('lead-scoring', scoring(), true);
      const short = { ...req, raw_input_contents: [(req['raw_input_contents'] as Buffer[])[0]!.subarray(0, 100)] };
      const e1 = await fail(oipCall(oip, 'ModelInfer', short));
      expect(e1.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e1.details).toBe('input "features": raw_input_contents has 100 bytes but FP32 [1,32] needs 128 (32 elements x 4 bytes)');
      const typed = inferRequest('lead-scoring', scoring(), false) as any;
      typed.inputs[0].contents.fp32_contents = typed.inputs[0].contents.fp32_contents.slice(0, 30);
      const e2 = await fail(oipCall(oip, 'ModelInfer', typed));
      expect(e2.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e2.details).toBe('input "features": contents.fp32_contents has 30 values but FP32 [1,32] needs 32');
      const wrongField = { model_name: 'lead-scoring', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], contents: { int64_contents: ['1', '2'] } }] };
      const e3 = await fail(oipCall(oip, 'ModelInfer', wrongField));
      expect(e3.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e3.details).toMatch(/datatype FP32 takes contents.fp32_contents, but int64_contents was set/);
      const noData = { model_name: 'lead-scoring', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 32] }] };
      const e4 = await fail(oipCall(oip, 'ModelInfer', noData));
      expect(e4.details).toMatch(/has 0 values but FP32 \[1,32\] needs 32 \(or send raw_input_contents\)/);
    });

    it('contents and raw_input_contents together, or raw entries not one per input, are INVALID_ARGUMENT', async () => {
      const raw = inferRequest('lead-scoring', scoring(), true);
      const typed = inferRequest('lead-scoring', scoring(), false);
      const both = await fail(oipCall(oip, 'ModelInfer', { ...typed, raw_input_contents: raw['raw_input_contents'] }));
      expect(both.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(both.details).toMatch(/set either raw_input_contents or contents, not both/);
      const extra = await fail(oipCall(oip, 'ModelInfer', { ...raw, raw_input_contents: [...(raw['raw_input_contents'] as Buffer[]), Buffer.alloc(4)] }));
      expect(extra.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(extra.details).toMatch(/raw_input_contents has 2 entries but the request has 1 inputs/);
    });

    it('unsupported datatypes, unknown parameters and tensor parameters are INVALID_ARGUMENT', async () => {
      const fp64 = { model_name: 'lead-scoring', inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 32], contents: { fp64_contents: new Array(32).fill(0.5) } }] };
      const e1 = await fail(oipCall(oip, 'ModelInfer', fp64));
      expect(e1.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e1.details).toMatch(/datatype "FP64" is not supported; use one of FP32, FP16, INT64, INT32, UINT8, BOOL/);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ parameters: { varient: { string_param: 'int8' } } }, /unknown parameter "varient"; hub-inference reads: variant, cache, raw_output/],
        [{ parameters: { variant: { string_param: 'int4' } } }, /parameter "variant" is "int4"; use one of auto, fp32, int8, fp16/],
        [{ parameters: { variant: { int64_param: 8 } } }, /parameter "variant" must be a string_param/],
        [{ parameters: { cache: { string_param: 'never' } } }, /parameter "cache" is "never"; use one of default, bypass, refresh/],
        [{ parameters: { raw_output: { string_param: 'yes' } } }, /parameter "raw_output" must be a bool_param/],
        [{ outputs: [{ name: 'probability', parameters: { classification: { int64_param: 3 } } }] }, /output "probability" carries parameters \(classification\)/],
      ];
      for (const [extra, re] of cases) {
        const e = await fail(oipCall(oip, 'ModelInfer', inferRequest('lead-scoring', scoring(), true, extra)));
        expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(e.details).toMatch(re);
      }
      const shm = inferRequest('lead-scoring', scoring(), true) as any;
      shm.inputs[0].parameters = { shared_memory_region: { string_param: 'r0' } };
      const e2 = await fail(oipCall(oip, 'ModelInfer', shm));
      expect(e2.details).toMatch(/input "features" carries parameters \(shared_memory_region\); .*no shared memory/);
      const noModel = await fail(oipCall(oip, 'ModelInfer', inferRequest('', scoring(), true)));
      expect(noModel.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(noModel.details).toBe('field "model" is required');
    });
  });

  describe('model-repository extension', () => {
    it('RepositoryIndex lists every model with Triton states', async () => {
      const idx = await oipCall(oip, 'RepositoryIndex', {});
      for (const m of MODELS) expect(idx.models).toContainEqual({ name: m, version: '1', state: 'READY', reason: '' });
      const bad = await fail(oipCall(oip, 'RepositoryIndex', { repository_name: 'other' }));
      expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    });

    it('load and unload follow the admin token rule of LoadModel/UnloadModel', async () => {
      for (const md of [new grpc.Metadata(), bearer('wrong')]) {
        const hub = await fail(srv.call('UnloadModel', { model: 'lead-scoring' }, { metadata: md }));
        const mine = await fail(oipCall(oip, 'RepositoryModelUnload', { model_name: 'lead-scoring' }, md));
        expect(mine.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(mine.code).toBe(hub.code);
        expect(mine.details).toBe(hub.details);
        const load = await fail(oipCall(oip, 'RepositoryModelLoad', { model_name: 'lead-scoring' }, md));
        expect(load.code).toBe(grpc.status.UNAUTHENTICATED);
      }
      expect(await oipCall(oip, 'ModelReady', { name: 'lead-scoring' })).toEqual({ ready: true });
    });

    it('unload makes the model not ready (OIP and grpc.health.v1 alike) and load brings it back', async () => {
      const health = healthCheck(srv.address);
      try {
        expect(await oipCall(oip, 'RepositoryModelUnload', { model_name: 'lead-scoring', parameters: { unload_dependents: { bool_param: true } } }, bearer(TOKEN))).toEqual({});
        expect(await oipCall(oip, 'ModelReady', { name: 'lead-scoring' })).toEqual({ ready: false });
        expect(await health('hub.inference.v1.InferenceService/lead-scoring')).toBe('NOT_SERVING');
        const idx = await oipCall(oip, 'RepositoryIndex', { ready: true });
        expect(idx.models.map((m: any) => m.name)).not.toContain('lead-scoring');
        const all = await oipCall(oip, 'RepositoryIndex', {});
        expect(all.models).toContainEqual({ name: 'lead-scoring', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' });
        const params = await fail(oipCall(oip, 'RepositoryModelLoad', { model_name: 'lead-scoring', parameters: { config: { string_param: '{}' } } }, bearer(TOKEN)));
        expect(params.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(await oipCall(oip, 'RepositoryModelLoad', { model_name: 'lead-scoring' }, bearer(TOKEN))).toEqual({});
        expect(await oipCall(oip, 'ModelReady', { name: 'lead-scoring' })).toEqual({ ready: true });
        expect(await health('hub.inference.v1.InferenceService/lead-scoring')).toBe('SERVING');
        const ghost = await fail(oipCall(oip, 'RepositoryModelUnload', { model_name: 'ghost' }, bearer(TOKEN)));
        expect(ghost.code).toBe(grpc.status.NOT_FOUND);
      } finally {
        health.close();
      }
    });
  });

  it('reflection lists inference.GRPCInferenceService, and grpc.health.v1 knows it by name', async () => {
    const def = protoLoader.loadSync(path.resolve('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'), { keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const client = new pkg.grpc.reflection.v1alpha.ServerReflection(srv.address, grpc.credentials.createInsecure());
    try {
      const ask = (req: Record<string, string>): Promise<any> => new Promise((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (r: any) => { resolve(r); call.end(); });
        call.on('error', reject);
        call.write(req);
      });
      const list = await ask({ list_services: '' });
      const services = list.list_services_response.service.map((s: { name: string }) => s.name);
      expect(services).toEqual(expect.arrayContaining(['inference.GRPCInferenceService', 'hub.inference.v1.InferenceService', 'grpc.health.v1.Health']));
      const file = await ask({ file_containing_symbol: 'inference.GRPCInferenceService' });
      expect(file.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
    const health = healthCheck(srv.address);
    try { expect(await health('inference.GRPCInferenceService')).toBe('SERVING'); } finally { health.close(); }
  });
});

describe('what grpcurl and ghz do: descriptors from reflection, proto3 JSON, a call', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer({ config: { preloadTop: 1 } }); });
  afterAll(async () => { await srv?.close(); });

  /** The OIP descriptors as the server's reflection serves them (no proto file), as a protobufjs root. */
  async function reflectedRoot(): Promise<protobuf.Root> {
    const def = protoLoader.loadSync(path.resolve('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'), { keepCase: true });
    const client = new (grpc.loadPackageDefinition(def) as any).grpc.reflection.v1alpha.ServerReflection(srv.address, grpc.credentials.createInsecure());
    try {
      const files = await new Promise<Buffer[]>((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (r: any) => { resolve(r.file_descriptor_response.file_descriptor_proto); call.end(); });
        call.on('error', reject);
        call.write({ file_containing_symbol: 'inference.GRPCInferenceService' });
      });
      const descriptor = createRequire(import.meta.url)('protobufjs/ext/descriptor');
      const set = descriptor.FileDescriptorSet.create({ file: files.map((b: Buffer) => descriptor.FileDescriptorProto.decode(b)) });
      const root = (protobuf.Root as any).fromDescriptor(set) as protobuf.Root;
      root.resolveAll();
      return root;
    } finally {
      client.close();
    }
  }

  /** Calls ModelInfer with a proto3-JSON request encoded through the reflected descriptors. */
  async function inferJson(root: protobuf.Root, json: Record<string, unknown>): Promise<any> {
    const req = root.lookupType('inference.ModelInferRequest');
    const res = root.lookupType('inference.ModelInferResponse');
    const Client = grpc.makeGenericClientConstructor({
      ModelInfer: {
        path: '/inference.GRPCInferenceService/ModelInfer', requestStream: false, responseStream: false,
        requestSerialize: (o: Record<string, unknown>) => Buffer.from(req.encode(req.fromObject(o)).finish()),
        requestDeserialize: (b: Buffer) => req.decode(b),
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), { longs: String, defaults: true }),
      },
    }, 'GRPCInferenceService');
    const client = new Client(srv.address, grpc.credentials.createInsecure()) as any;
    try {
      return await new Promise((resolve, reject) => client.ModelInfer(json, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
    } finally {
      client.close();
    }
  }

  it('the README grpcurl ModelInfer example answers what Predict answers for the same features', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('grpcurl') && l.includes('"model_name"'));
    expect(line, 'README has a grpcurl ModelInfer example').toBeDefined();
    const json = JSON.parse(/-d '([^']+)'/.exec(line!)![1]!) as any;
    const root = await reflectedRoot();
    const res = await inferJson(root, json);
    expect(res.id).toBe(json.id);
    const values: number[] = json.inputs[0].contents.fp32_contents;
    const ref = await srv.call('Predict', { model: 'lead-scoring', variant: 'VARIANT_FP32', inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: [1, 32], floatData: values }] });
    expect(Buffer.from(Float32Array.from(res.outputs[0].contents.fp32_contents as number[]).buffer).equals(ref.outputs[0].raw)).toBe(true);
    // The other grpcurl lines name methods the reflected service has.
    const methods = Object.keys(root.lookupService('inference.GRPCInferenceService').methods);
    for (const m of readme.matchAll(/inference\.GRPCInferenceService\/(\w+)/g)) expect(methods).toContain(m[1]);
  });

  it('the OIP ghz config (no proto file) sends requests the server answers', async () => {
    const cfg = JSON.parse(readFileSync('bench/ghz/oip-lead-scoring.json', 'utf8')) as { call: string; proto?: string; data: Record<string, unknown>[] };
    expect(cfg.proto).toBeUndefined();
    const root = await reflectedRoot();
    const [service, method] = [cfg.call.slice(0, cfg.call.lastIndexOf('.')), cfg.call.slice(cfg.call.lastIndexOf('.') + 1)];
    expect(Object.keys(root.lookupService(service).methods)).toContain(method);
    for (const data of cfg.data) {
      const res = await inferJson(root, data);
      expect(res.model_name).toBe('lead-scoring');
      expect(res.raw_output_contents.length).toBe(1);
      expect(res.raw_output_contents[0].length).toBe(4);
      expect(res.parameters.cached_rows.int64_param).toBe('0');
    }
  });
});

describe('Open Inference Protocol admin RPCs without a token', () => {
  it('are PERMISSION_DENIED beyond loopback, like LoadModel/UnloadModel', async () => {
    const srv = await startTestServer({ config: { grpcAddress: '0.0.0.0:0', preloadTop: 0 } });
    const port = srv.address.slice(srv.address.lastIndexOf(':') + 1);
    const oip = oipClient(`127.0.0.1:${port}`);
    const hub = createRawClient(`127.0.0.1:${port}`);
    try {
      const ref = await fail(callUnary(hub, 'UnloadModel', { model: 'lead-scoring' }));
      for (const rpc of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
        const e = await fail(oipCall(oip, rpc, { model_name: 'lead-scoring' }));
        expect(e.code, rpc).toBe(grpc.status.PERMISSION_DENIED);
        expect(e.details).toBe(ref.details);
      }
    } finally {
      oip.close();
      hub.close();
      await srv.close();
    }
  });
});

// ---- health agreement ----
const HEALTH_DEF = protoLoader.loadSync(path.resolve('node_modules/grpc-health-check/proto/health/v1/health.proto'), { keepCase: true, enums: String });
/** grpc.health.v1 Check as a function; UNREACHABLE once the server is gone. */
function healthCheck(address: string): ((service: string) => Promise<string>) & { close(): void } {
  const pkg = grpc.loadPackageDefinition(HEALTH_DEF) as any;
  const client = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  const check = (service: string): Promise<string> => new Promise((resolve) => {
    client.Check({ service }, { deadline: Date.now() + 2000 }, (err: grpc.ServiceError | null, res: { status: string }) => {
      resolve(err ? (err.code === grpc.status.NOT_FOUND ? 'SERVICE_UNKNOWN' : 'UNREACHABLE') : res.status);
    });
  });
  return Object.assign(check, { close: () => client.close() });
}

describe('ServerReady and ModelReady agree with grpc.health.v1 at every moment', () => {
  it('through warm-up, serving and a failed model; while draining both refuse new calls', async () => {
    const repo = tempRepo();
    repo.addBundled('lead-scoring');
    repo.addBundled('lead-intent');
    // A config whose signature the model file does not have: the load fails, the model stays FAILED.
    repo.addBundled('lead-scoring', { inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 16] }] }, 'broken-scoring');
    const server = await spawnServerEarly(repo.root);
    const oip = oipClient(server.address);
    const health = healthCheck(server.address);
    const questions: [string, string, Record<string, string>, (r: any) => boolean][] = [
      ['', 'ServerReady', {}, (r) => r.ready],
      ['hub.inference.v1.InferenceService/lead-scoring', 'ModelReady', { name: 'lead-scoring' }, (r) => r.ready],
      ['hub.inference.v1.InferenceService/lead-intent', 'ModelReady', { name: 'lead-intent' }, (r) => r.ready],
      ['hub.inference.v1.InferenceService/broken-scoring', 'ModelReady', { name: 'broken-scoring' }, (r) => r.ready],
    ];
    const seen = new Map<string, Set<string>>(questions.map(([h]) => [h, new Set<string>()]));
    let refusedWhileDraining = 0;
    let compared = 0;
    let shutdownSent = false;
    try {
      // Sample until the server is gone: while it warms, while it serves, and after SIGTERM.
      for (let round = 0; round < 2000 && server.child.exitCode === null; round++) {
        for (const [name, rpc, req, ready] of questions) {
          const before = await health(name);
          const answer = await oipCall(oip, rpc, req).then(ready, () => undefined);
          const after = await health(name);
          if (shutdownSent && before === 'UNREACHABLE' && server.child.exitCode === null) {
            // Draining: the server refuses new calls (GOAWAY) from the instant health turns NOT_SERVING.
            expect(answer, `${rpc} answered while the draining server refused Check`).toBeUndefined();
            refusedWhileDraining++;
          }
          if (before === 'UNREACHABLE' || after === 'UNREACHABLE' || answer === undefined) continue;
          // A status that held across the OIP call must be exactly what the OIP call said.
          if (before === after) {
            expect(answer, `${rpc} ${JSON.stringify(req)} while Check("${name}") = ${before}`).toBe(before === 'SERVING');
            seen.get(name)!.add(before);
            compared++;
          }
        }
        if (seen.get('')!.has('SERVING') && !shutdownSent) {
          // Heavy requests in flight keep the drain going while the loop keeps asking.
          const c = createRawClient(server.address);
          for (let i = 0; i < 8; i++) void callUnary(c, 'Predict', { model: 'lead-intent', variant: 'VARIANT_FP32', inputs: wireInputs(sampleInputs(cfg('lead-intent'), 32, i)), cache: 'CACHE_POLICY_BYPASS' }).catch(() => undefined).finally(() => c.close());
          await new Promise((r) => setTimeout(r, 50));
          server.child.kill('SIGTERM');
          shutdownSent = true;
        }
      }
      expect(await server.exited).toBe(0);
      expect(compared).toBeGreaterThan(10);
      // Not ready while the preloaded models warm, ready once they are; a lead-scoring warm before lead-intent.
      expect(seen.get('')).toEqual(new Set(['NOT_SERVING', 'SERVING']));
      expect(seen.get('hub.inference.v1.InferenceService/lead-scoring')).toContain('SERVING');
      expect(seen.get('hub.inference.v1.InferenceService/lead-intent')).toContain('SERVING');
      // The failed model is never ready, and ModelReady says so instead of failing.
      expect(seen.get('hub.inference.v1.InferenceService/broken-scoring')).toEqual(new Set(['NOT_SERVING']));
      // The drain was sampled: both services refused new calls while accepted ones finished.
      expect(refusedWhileDraining).toBeGreaterThan(0);
    } finally {
      oip.close();
      health.close();
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      repo.remove();
    }
  });
});

/** Spawns the compiled server and returns as soon as it listens (before its models are warm). */
async function spawnServerEarly(modelRepository: string): Promise<{ child: ChildProcess; address: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, serveArgs(), {
    env: { ...process.env, HUB_GRPC_ADDRESS: '127.0.0.1:0', HUB_METRICS_ADDRESS: '', HUB_LOG_LEVEL: 'info', HUB_PRELOAD_TOP: '10', HUB_MODEL_REPOSITORY: modelRepository },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  let out = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"grpcAddress":"([^"]+)"[^\n]*"msg":"listening; preloading models"/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
  });
  return { child, address, exited };
}

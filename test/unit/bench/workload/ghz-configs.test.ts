import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ghzConfigs, ZIPF_DATA_FILES } from '../../../../bench/workload/ghz-configs.js';
import { BENCH_MODELS, benchModelConfig } from '../../../../bench/workload/bench-models.js';
import { encodeRequest } from '../../../../bench/load/grpc-codec.js';
import { encodeOipRequest, oipProtoRoot } from '../../../../bench/load/oip-codec.js';

const GHZ_DIR = path.join('bench', 'ghz');
const files = readdirSync(GHZ_DIR).filter((f) => f.endsWith('.json'));

// JSON keys of ghz's runner.Config (the documented config-file format).
const GHZ_KEYS = new Set(['proto', 'protoset', 'call', 'cacert', 'cert', 'key', 'skipTLS', 'skipFirst', 'cname', 'authority', 'insecure',
  'total', 'async', 'concurrency', 'concurrency-schedule', 'concurrency-start', 'concurrency-end', 'concurrency-step',
  'concurrency-step-duration', 'concurrency-max-duration', 'connections', 'rps', 'duration', 'duration-stop', 'max-duration', 'timeout',
  'data', 'data-file', 'binary-file', 'metadata', 'metadata-file', 'stream-interval', 'output', 'format', 'connect-timeout', 'keepalive',
  'cpus', 'import-paths', 'name', 'tags', 'reflect-metadata', 'debug', 'host', 'enable-compression', 'load-schedule', 'load-start',
  'load-end', 'load-step', 'load-step-duration', 'load-max-duration']);
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

const root = new protobuf.Root();
root.loadSync(path.join('proto', 'hub', 'inference', 'v1', 'inference.proto'), { keepCase: false });
root.resolveAll();

describe('committed ghz configs (bench/ghz/*.json)', () => {
  it('has one config per scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s is valid JSON using only ghz config keys with valid values', (file) => {
    const cfg = JSON.parse(readFileSync(path.join(GHZ_DIR, file), 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(cfg)) expect(GHZ_KEYS.has(key), `unknown ghz key "${key}"`).toBe(true);
    expect(cfg['insecure']).toBe(true);
    expect(cfg['format']).toBe('json');
    expect(typeof cfg['host']).toBe('string');
    expect(Number.isInteger(cfg['concurrency'])).toBe(true);
    for (const k of ['duration', 'timeout']) if (cfg[k] !== undefined) expect(String(cfg[k])).toMatch(GO_DURATION);
    expect(cfg['duration'] !== undefined || cfg['total'] !== undefined).toBe(true);
    // Without a proto file ghz asks the server's reflection: only the OIP configs do that (as against Triton).
    if (cfg['proto'] !== undefined) expect(existsSync(String(cfg['proto']))).toBe(true);
    else expect(String(cfg['call'])).toMatch(/^inference\.GRPCInferenceService\./);
    expect(cfg['data'] !== undefined || cfg['data-file'] !== undefined).toBe(true);
  });

  it.each(files)('%s calls a method that exists in the proto, with requests that encode', (file) => {
    const cfg = JSON.parse(readFileSync(path.join(GHZ_DIR, file), 'utf8')) as Record<string, unknown>;
    const m = /^(hub\.inference\.v1\.InferenceService|inference\.GRPCInferenceService)\.(\w+)$/.exec(String(cfg['call']));
    expect(m, `call ${String(cfg['call'])}`).not.toBeNull();
    const oip = m![1] === 'inference.GRPCInferenceService';
    const service = (oip ? oipProtoRoot() : root).lookupService(m![1]!);
    expect(Object.keys(service.methods)).toContain(m![2]);
    const data = cfg['data'];
    const list = Array.isArray(data) ? data : data ? [data] : [];
    const encode = oip ? encodeOipRequest : encodeRequest;
    for (const req of list) expect(encode(m![2]!, req as Record<string, unknown>).length).toBeGreaterThanOrEqual(0);
    if (cfg['data-file']) {
      expect(Object.values(ZIPF_DATA_FILES)).toContain(cfg['data-file']);
      // `npm run setup` / `npm run bench:data` (also run by `npm test`) write the data files: a config must
      // never point at a file that is not there.
      expect(existsSync(String(cfg['data-file'])), `${String(cfg['data-file'])} is missing: run npm run bench:data`).toBe(true);
    }
    // ghz fails before the first call when an output path's directory does not exist.
    if (cfg['output'] !== undefined) expect(existsSync(path.dirname(String(cfg['output'])))).toBe(true);
  });

  it('match the generator output exactly (regenerate with `npm run bench -- --write-ghz`)', () => {
    const generated = ghzConfigs();
    expect(Object.keys(generated).sort()).toEqual([...files].sort());
    for (const [file, cfg] of Object.entries(generated)) {
      expect(JSON.parse(readFileSync(path.join(GHZ_DIR, file), 'utf8'))).toEqual(cfg);
    }
  });

  it('encode requests that decode back to the same model, variant and shapes', () => {
    const cfg = ghzConfigs()['variant-int8-32rows.json']!;
    const req = (cfg['data'] as Record<string, unknown>[])[0]!;
    const type = root.lookupType('hub.inference.v1.PredictRequest');
    const back = type.toObject(type.decode(encodeRequest('Predict', req)), { enums: String, longs: String }) as any;
    expect(back.model).toBe('lead-intent');
    expect(back.variant).toBe('VARIANT_INT8');
    expect(back.cache).toBe('CACHE_POLICY_BYPASS');
    expect(back.inputs[0].shape).toEqual(['32', '64']);
    expect(back.inputs[0].raw.length).toBe(32 * 64 * 8);
  });
});

describe('the OIP ghz config', () => {
  it('sends the rows transport-lead-scoring sends, as raw_input_contents with the cache bypassed', () => {
    const configs = ghzConfigs();
    const oip = configs['oip-lead-scoring.json']!;
    const hub = configs['transport-lead-scoring.json']!;
    expect(oip['proto']).toBeUndefined();
    expect([oip['concurrency'], oip['connections'], oip['duration']]).toEqual([hub['concurrency'], hub['connections'], hub['duration']]);
    const type = oipProtoRoot().lookupType('inference.ModelInferRequest');
    const oipReqs = (oip['data'] as Record<string, unknown>[]).map((r) => type.toObject(type.decode(encodeOipRequest('ModelInfer', r)), { longs: String }) as any);
    const hubReqs = hub['data'] as any[];
    expect(oipReqs.length).toBe(hubReqs.length);
    oipReqs.forEach((r, i) => {
      expect(r.model_name).toBe('lead-scoring');
      expect(r.parameters.cache.string_param).toBe('bypass');
      expect(r.inputs[0]).toMatchObject({ name: 'features', datatype: 'FP32', shape: ['1', '32'] });
      expect(Buffer.from(r.raw_input_contents[0]).toString('base64')).toBe(hubReqs[i].inputs[0].raw);
    });
  });
});

describe('bench model signatures', () => {
  it.each(BENCH_MODELS)('%s matches models/<name>/config.json', (model) => {
    const file = path.join('models', model, 'config.json');
    const built = JSON.parse(readFileSync(file, 'utf8')) as { inputs: { name: string; dtype: string; shape: number[] }[] };
    const ours = benchModelConfig(model);
    expect(ours.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual(built.inputs.map((i) => [i.name, i.dtype, i.shape]));
  });
});

import { describe, it, expect } from 'vitest';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { spawn } from 'node:child_process';
import { startTestServer, createRawClient, callUnary } from '../helpers/test-server.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { serveArgs } from '../../src/v8-tuning.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');

function healthClient(address: string): grpc.Client & Record<string, any> {
  const def = protoLoader.loadSync(path.resolve('node_modules/grpc-health-check/proto/health/v1/health.proto'), { keepCase: true, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

describe('health', () => {
  it('goes NOT_SERVING -> SERVING once preloaded models are warm -> NOT_SERVING as soon as shutdown begins', async () => {
    const child = spawn(process.execPath, serveArgs(), {
      env: { ...process.env, HUB_GRPC_ADDRESS: '127.0.0.1:0', HUB_METRICS_ADDRESS: '', HUB_LOG_LEVEL: 'info', HUB_PRELOAD_TOP: '3' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(out)), 60_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"grpcAddress":"([^"]+)"[^\n]*"msg":"listening; preloading models"/.exec(out);
          if (m) { clearTimeout(timer); resolve(m[1]!); }
        });
      });
      const health = healthClient(address);
      const seen: string[] = [];
      const perModel: string[] = [];
      const watch = health['Watch']({ service: '' });
      watch.on('data', (r: { status: string }) => {
        if (seen.at(-1) !== r.status) seen.push(r.status);
        if (r.status === 'SERVING') {
          // Make shutdown take a while (heavy requests in flight) so NOT_SERVING is observable while draining.
          const c = createRawClient(address);
          for (let i = 0; i < 8; i++) void callUnary(c, 'Predict', { model: 'lead-intent', variant: 'VARIANT_FP32', inputs: wireInputs(sampleInputs(intentCfg, 32, i)), cache: 'CACHE_POLICY_BYPASS' }).catch(() => undefined);
          setTimeout(() => child.kill('SIGTERM'), 100);
        }
      });
      watch.on('error', () => undefined);
      const modelWatch = health['Watch']({ service: 'hub.inference.v1.InferenceService/lead-scoring' });
      modelWatch.on('data', (r: { status: string }) => { if (perModel.at(-1) !== r.status) perModel.push(r.status); });
      modelWatch.on('error', () => undefined);
      expect(await exited).toBe(0);
      expect(seen).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
      expect(perModel).toContain('SERVING');
      expect(perModel.at(-1)).toBe('NOT_SERVING');
      health.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('metrics and reflection', () => {
  it('/metrics shows request, batch and cache counters moving after predictions', async () => {
    const srv = await startTestServer({ config: { metricsAddress: '127.0.0.1:0', preloadTop: 1 } });
    try {
      const scrape = async (): Promise<string> => (await fetch(`http://${srv.app.metricsAddress}/metrics`)).text();
      const value = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
      const before = await scrape();
      const inputs = wireInputs(sampleInputs(scoringCfg, 2, 9));
      await srv.call('Predict', { model: 'lead-scoring', inputs });
      await srv.call('Predict', { model: 'lead-scoring', inputs });
      await srv.call('Predict', { model: 'nope', inputs }).catch(() => undefined);
      const after = await scrape();
      expect(value(after, /^hub_requests_total\{model="lead-scoring",code="OK"\}/) - value(before, /^hub_requests_total\{model="lead-scoring",code="OK"\}/)).toBe(2);
      expect(value(after, /^hub_requests_total\{model="_unknown",code="MODEL_NOT_FOUND"\}/)).toBeGreaterThanOrEqual(1);
      expect(value(after, /^hub_inference_rows_total\{model="lead-scoring"/) - value(before, /^hub_inference_rows_total\{model="lead-scoring"/)).toBe(2);
      expect(value(after, /^hub_executions_total\{model="lead-scoring"/) - value(before, /^hub_executions_total\{model="lead-scoring"/)).toBe(1);
      expect(value(after, /^hub_cache_requests_total\{model="lead-scoring",tier="l1",result="hit"\}/) - value(before, /^hub_cache_requests_total\{model="lead-scoring",tier="l1",result="hit"\}/)).toBe(2);
      expect(after).toMatch(/^hub_batch_size_rows_bucket\{/m);
      expect(after).toMatch(/^hub_queue_duration_seconds_bucket\{/m);
      expect(after).toMatch(/^hub_nodejs_eventloop_lag_seconds /m);
      expect(after).toMatch(/^hub_engine_workers 2$/m);
      expect(after).toMatch(/^hub_model_warmup_seconds\{model="lead-intent"/m);
      expect((await fetch(`http://${srv.app.metricsAddress}/other`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });

  it('server reflection lists the inference and health services', async () => {
    const srv = await startTestServer({ config: { preloadTop: 0 } });
    try {
      const def = protoLoader.loadSync(path.resolve('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'), { keepCase: true });
      const pkg = grpc.loadPackageDefinition(def) as any;
      const client = new pkg.grpc.reflection.v1alpha.ServerReflection(srv.address, grpc.credentials.createInsecure());
      const services = await new Promise<string[]>((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (r: any) => { resolve(r.list_services_response.service.map((s: { name: string }) => s.name)); call.end(); });
        call.on('error', reject);
        call.write({ list_services: '' });
      });
      expect(services).toContain('hub.inference.v1.InferenceService');
      client.close();
    } finally {
      await srv.close();
    }
  });
});

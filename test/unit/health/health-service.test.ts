import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';
import { createHealth, modelHealthService, INFERENCE_HEALTH_SERVICE, type Health } from '../../../src/health/index.js';

// A real health client from the package's own health.proto (the stub ghz, grpcurl and k8s would use).
const def = protoLoader.loadSync(protoPath, { keepCase: true, enums: String });
const HealthClient = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health as typeof grpc.Client;

const cleanup: (() => void)[] = [];
afterEach(() => { for (const f of cleanup.splice(0)) f(); });

async function serve(health: Health): Promise<any> {
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as any;
  cleanup.push(() => { client.close(); server.forceShutdown(); });
  return client;
}
function check(client: any, service: string): Promise<string> {
  return new Promise((resolve) => client.Check({ service }, (err: grpc.ServiceError | null, res: { status: string }) => resolve(err ? grpc.status[err.code] : res.status)));
}

describe('health service', () => {
  it('starts every name NOT_SERVING and answers NOT_FOUND for names it does not know', async () => {
    const health = createHealth(['lead-scoring']);
    const client = await serve(health);
    expect(await check(client, '')).toBe('NOT_SERVING');
    expect(await check(client, INFERENCE_HEALTH_SERVICE)).toBe('NOT_SERVING');
    expect(await check(client, 'hub.inference.v1.InferenceService/lead-scoring')).toBe('NOT_SERVING');
    expect(await check(client, 'nope')).toBe('NOT_FOUND');
  });

  it('setOverall flips "" and the API name; setModel flips one model', async () => {
    const health = createHealth(['a', 'b']);
    const client = await serve(health);
    health.setOverall(true);
    health.setModel('a', true);
    expect(await check(client, '')).toBe('SERVING');
    expect(await check(client, INFERENCE_HEALTH_SERVICE)).toBe('SERVING');
    expect(await check(client, modelHealthService('a'))).toBe('SERVING');
    expect(await check(client, modelHealthService('b'))).toBe('NOT_SERVING');
    expect(health.status(modelHealthService('a'))).toBe('SERVING');
  });

  it('registers models added later and setAll(false) turns every name NOT_SERVING (shutdown)', async () => {
    const health = createHealth();
    const client = await serve(health);
    health.setOverall(true);
    health.setModel('late', true);
    expect(await check(client, modelHealthService('late'))).toBe('SERVING');
    health.setAll(false);
    for (const s of ['', INFERENCE_HEALTH_SERVICE, modelHealthService('late')]) expect(await check(client, s)).toBe('NOT_SERVING');
  });

  it('streams changes to Watch subscribers', async () => {
    const health = createHealth();
    const client = await serve(health);
    const seen: string[] = [];
    const stream = client.Watch({ service: '' });
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.on('data', (r: { status: string }) => {
      seen.push(r.status);
      if (seen.length === 1) health.setOverall(true);
      if (seen.length === 2) health.setAll(false);
      if (seen.length === 3) resolve();
    }));
    stream.cancel();
    expect(seen).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
  });
});

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startTestServer, callUnary, createRawClient, type TestServer } from '../helpers/test-server.js';
import { loadPackageDefinition } from '../../src/proto/hub-proto.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const TOKEN = 'test-admin-token-123';
const bearer = (t: string): grpc.Metadata => { const m = new grpc.Metadata(); m.set('authorization', `Bearer ${t}`); return m; };

describe('admin RPCs', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer({ config: { adminToken: TOKEN, preloadTop: 1 } }); });
  afterAll(async () => { await srv?.close(); });

  it('refuse callers without the token', async () => {
    const none = await srv.call('UnloadModel', { model: 'lead-scoring' }).catch((e) => e);
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toMatch(/authorization: Bearer/);
    const wrong = await srv.call('LoadModel', { model: 'lead-scoring' }, { metadata: bearer('not-the-token') }).catch((e) => e);
    expect(wrong.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('unload and load a model with the token; predictions keep working', async () => {
    const un = await srv.call('UnloadModel', { model: 'lead-scoring' }, { metadata: bearer(TOKEN) });
    expect(un.version).toBe('1');
    const list = await srv.call('ListModels', {});
    expect(list.models.find((m: { name: string }) => m.name === 'lead-scoring').state).toBe('UNLOADED');
    const loaded = await srv.call('LoadModel', { model: 'lead-scoring' }, { metadata: bearer(TOKEN) });
    expect(loaded).toMatchObject({ model: 'lead-scoring', version: '1', ready: true });
    const res = await srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 1, 1)) });
    expect(res.outputs[0].name).toBe('probability');
  });

  it('LoadModel with a version that does not exist is NOT_FOUND and leaves the loaded model serving', async () => {
    await srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 1, 60)) });
    const e = await srv.call('LoadModel', { model: 'lead-scoring', version: 'nope' }, { metadata: bearer(TOKEN) }).catch((x) => x);
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.details).toMatch(/model "lead-scoring" has no version "nope"/);
    const meta = await srv.call('GetModelMetadata', { model: 'lead-scoring' });
    expect(meta.ready).toBe(true);
    const r = await srv.call('Predict', { model: 'lead-scoring', cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(sampleInputs(scoringCfg, 1, 61)) });
    expect(r.outputs[0].shape.map(Number)).toEqual([1, 1]);
  });

  it('LoadModel of an unknown model is NOT_FOUND', async () => {
    const e = await srv.call('LoadModel', { model: 'ghost' }, { metadata: bearer(TOKEN) }).catch((x) => x);
    expect(e.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('admin RPCs without a token', () => {
  it('are disabled on a server listening beyond loopback, and it keeps serving', async () => {
    const srv = await startTestServer({ config: { grpcAddress: '0.0.0.0:0', preloadTop: 1 } });
    try {
      const port = srv.address.slice(srv.address.lastIndexOf(':') + 1);
      const client = createRawClient(`127.0.0.1:${port}`);
      try {
        for (const rpc of ['LoadModel', 'UnloadModel']) {
          const e = await callUnary(client, rpc, { model: 'lead-scoring' }).catch((x) => x);
          expect(e.code, rpc).toBe(grpc.status.PERMISSION_DENIED);
          expect(e.details).toMatch(/admin RPCs are disabled: set HUB_ADMIN_TOKEN/);
        }
        const r = await callUnary<any>(client, 'Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 1, 70)) });
        expect(r.outputs[0].shape.map(Number)).toEqual([1, 1]);
      } finally {
        client.close();
      }
    } finally {
      await srv.close();
    }
  });

  it('are open on a loopback-only server', async () => {
    const srv = await startTestServer({ config: { preloadTop: 1 } });
    try {
      const r = await srv.call('LoadModel', { model: 'lead-scoring' });
      expect(r.ready).toBe(true);
    } finally {
      await srv.close();
    }
  });
});

describe('TLS', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hub-tls-'));
    const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=hub-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'server.crt');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-keyout', 'client.key', '-out', 'client.csr');
    run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'client.crt');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function client(address: string, withCert: boolean): grpc.Client & Record<string, any> {
    const f = (n: string): Buffer => readFileSync(path.join(dir, n));
    const creds = withCert ? grpc.credentials.createSsl(f('ca.crt'), f('client.key'), f('client.crt')) : grpc.credentials.createSsl(f('ca.crt'));
    const pkg = grpc.loadPackageDefinition(loadPackageDefinition()) as any;
    return new pkg.hub.inference.v1.InferenceService(address.replace('127.0.0.1', 'localhost'), creds, { 'grpc.ssl_target_name_override': 'localhost' });
  }

  it('serves over mTLS and refuses a client without a certificate', async () => {
    const srv = await startTestServer({ config: { preloadTop: 0, tls: { certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key'), caFile: path.join(dir, 'ca.crt'), requireClientCert: true } } });
    try {
      const good = client(srv.address, true);
      const res = await callUnary(good as any, 'ListModels', {});
      expect(res.models.length).toBeGreaterThan(0);
      good.close();
      const anon = client(srv.address, false);
      const err = await callUnary(anon as any, 'ListModels', {}, { deadlineMs: 5000 }).catch((e) => e);
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      anon.close();
    } finally {
      await srv.close();
    }
  });

  it('rejects a TLS config with a key but no certificate, naming the settings', async () => {
    await expect(startTestServer({ config: { preloadTop: 0, tls: { keyFile: path.join(dir, 'server.key') } } })).rejects.toThrow(/tls.certFile \(HUB_TLS_CERT_FILE\)/);
  });
});

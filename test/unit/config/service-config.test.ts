import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServiceConfig, maskedConfig, ConfigError, SERVICE_DEFAULTS } from '../../../src/config/service-config.js';

describe('service config', () => {
  it('has the documented defaults', () => {
    const c = loadServiceConfig({});
    expect(c.grpcAddress).toBe('0.0.0.0:50051');
    expect(c.metricsAddress).toBe('0.0.0.0:9464');
    expect(c.cache.l1MaxEntries).toBe(50_000);
    expect(c.redisUrl).toBeUndefined();
    expect(c.workers).toBe(SERVICE_DEFAULTS.workers);
    // The idle spinner: 2 ms with a second core to keep awake, off on one core.
    expect(c.idleSpinUs).toBe(os.availableParallelism() > 1 ? 2000 : 0);
    expect(loadServiceConfig({ HUB_IDLE_SPIN_US: '0' }).idleSpinUs).toBe(0);
    // Lone batches on the main thread on every core: up to a 10 ms run, 0 disables.
    expect(c.idleMainMaxUs).toBe(10_000);
    expect(loadServiceConfig({ HUB_IDLE_MAIN_MAX_US: '0' }).idleMainMaxUs).toBe(0);
    expect(Object.isFrozen(c) && Object.isFrozen(c.cache)).toBe(true);
  });

  it.each([
    [{ HUB_WORKERS: 'many' }, /field "workers" \(env HUB_WORKERS\)/],
    [{ HUB_GRPC_ADDRESS: 'localhost' }, /field "grpcAddress" \(env HUB_GRPC_ADDRESS\): expected host:port/],
    [{ HUB_BATCHING: 'sometimes' }, /field "batching" \(env HUB_BATCHING\)/],
    [{ HUB_EXECUTION_PROVIDER: 'tpu' }, /field "executionProvider"/],
    [{ REDIS_URL: 'localhost:6379' }, /field "redisUrl" \(env REDIS_URL\): expected redis:\/\/host:port/],
    [{ REDIS_URL: 'redis+cluster://' }, /field "redisUrl" \(env REDIS_URL\): a cluster URL needs at least one seed node/],
    [{ REDIS_URL: 'redis+cluster://h1:7000,h2:99999' }, /field "redisUrl" \(env REDIS_URL\): bad cluster seed "h2:99999"/],
    [{ REDIS_URL: 'redis+cluster://h1:7000/2' }, /field "redisUrl" \(env REDIS_URL\): a cluster URL takes no database/],
    [{ HUB_ADMIN_TOKEN: 'short' }, /field "adminToken" .*at least 8 characters/],
    [{ HUB_REDIS_READ_TIMEOUT_MS: '-3' }, /field "cache.redisReadTimeoutMs"/],
    [{ HUB_IDLE_SPIN_US: '-1' }, /field "idleSpinUs" \(env HUB_IDLE_SPIN_US\)/],
    [{ HUB_IDLE_SPIN_US: '1000000' }, /field "idleSpinUs" \(env HUB_IDLE_SPIN_US\)/],
    [{ HUB_IDLE_MAIN_MAX_US: '-1' }, /field "idleMainMaxUs" \(env HUB_IDLE_MAIN_MAX_US\)/],
    [{ HUB_IDLE_MAIN_MAX_US: '1000000' }, /field "idleMainMaxUs" \(env HUB_IDLE_MAIN_MAX_US\)/],
  ])('rejects %o naming the field', (env, re) => {
    expect(() => loadServiceConfig(env)).toThrow(ConfigError);
    expect(() => loadServiceConfig(env)).toThrow(re);
  });

  it('reads a JSON file and lets env override it; unknown fields are errors naming the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-cfg-'));
    const file = path.join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify({ workers: 3, cache: { l1MaxEntries: 10 } }));
    const c = loadServiceConfig({ HUB_CONFIG: file, HUB_WORKERS: '4' });
    expect(c.workers).toBe(4);
    expect(c.cache.l1MaxEntries).toBe(10);
    writeFileSync(file, JSON.stringify({ wrokers: 3 }));
    expect(() => loadServiceConfig({ HUB_CONFIG: file })).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\+ environment: field "\\(root\\)"|wrokers`));
  });

  it('an empty HUB_METRICS_ADDRESS disables metrics, as documented; other empty variables mean unset', () => {
    expect(loadServiceConfig({ HUB_METRICS_ADDRESS: '' }).metricsAddress).toBe('');
    expect(loadServiceConfig({ HUB_GRPC_ADDRESS: '' }).grpcAddress).toBe('0.0.0.0:50051');
  });

  it('masks secrets when printed', () => {
    const c = loadServiceConfig({ HUB_ADMIN_TOKEN: 'supersecret', REDIS_URL: 'redis://user:pw@h:6379' });
    const m = maskedConfig(c);
    expect(m['adminToken']).toBe('***');
    expect(m['redisUrl']).toBe('redis://***@h:6379');
  });

  it('accepts a cluster REDIS_URL and masks its credentials when printed', () => {
    const c = loadServiceConfig({ REDIS_URL: 'rediss+cluster://app:p%2Fw%40rd@h1:7000,h2:7001' });
    expect(c.redisUrl).toBe('rediss+cluster://app:p%2Fw%40rd@h1:7000,h2:7001');
    expect(maskedConfig(loadServiceConfig({ REDIS_URL: 'redis+cluster://app:pw@h1:7000,h2:7001' }))['redisUrl']).toBe('redis+cluster://***@h1:7000,h2:7001');
    // An unencoded '@' in the password leaves none of it visible.
    expect(maskedConfig(loadServiceConfig({ REDIS_URL: 'redis+cluster://:p@ss@h1:7000' }))['redisUrl']).toBe('redis+cluster://***@h1:7000');
  });

  it('parses booleans from env text', () => {
    expect(loadServiceConfig({ HUB_TLS_REQUIRE_CLIENT_CERT: 'false' }).tls.requireClientCert).toBe(false);
    expect(loadServiceConfig({ HUB_TLS_REQUIRE_CLIENT_CERT: 'true' }).tls.requireClientCert).toBe(true);
    expect(loadServiceConfig({}).v8Pretenuring).toBe(false);
    expect(loadServiceConfig({ HUB_V8_PRETENURING: 'true' }).v8Pretenuring).toBe(true);
    expect(() => loadServiceConfig({ HUB_V8_PRETENURING: 'sometimes' })).toThrow(/v8Pretenuring/);
  });
});

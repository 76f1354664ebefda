/**
 * Residency on a real server (real gRPC, real ONNX Runtime, fleet MLP files): the memory budget evicts the
 * lowest predicted demand, never a pinned model and never one with requests in flight; a request for an
 * unloaded model loads it and waits (one load however many wait, counted in hub_cold_starts_total, its queue
 * time includes the load); start-up preloads by predicted demand from persisted history; the tick loads a
 * model ahead of the hour its profile says is busy; ListModels says why each model is resident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { fleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { ModelUsage } from '../../src/residency/usage-predictor.js';

/** Charged bytes per file byte in these tests: set explicitly so budgets are exact. */
const FACTOR = 4;
const NEVER_MS = 3_600_000;

interface Summary { name: string; state: string; residencyReason: string; predictedDemand: number; residentBytes: string; pinned: boolean; coldStarts: string }

async function listModels(srv: TestServer): Promise<Record<string, Summary>> {
  const { models } = await srv.call<{ models: Summary[] }>('ListModels', {});
  return Object.fromEntries(models.map((m) => [m.name, m]));
}

/** Sum of a metric's samples whose labels include `labels`. */
async function metric(srv: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://${srv.app.metricsAddress}/metrics`)).text();
  return text.split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
}

const budgetFor = (repo: FleetRepo, models: number): number => Math.floor((repo.fileBytes.values().next().value as number) * FACTOR * (models + 0.5));

describe('memory budget eviction', () => {
  let repo: FleetRepo;
  let srv: TestServer;
  beforeAll(async () => {
    repo = fleetRepo([{ name: 'p', pin: true }, { name: 'a', priority: 50 }, { name: 'b', priority: 40 }, { name: 'c', priority: 10 }]);
    srv = await startTestServer({ config: {
      modelRepository: repo.root, metricsAddress: '127.0.0.1:0', preloadTop: 10, modelMemoryBytes: budgetFor(repo, 3),
      residency: { policy: 'predicted', memoryFactor: FACTOR, tickMs: NEVER_MS, usageFile: 'off' },
    } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('preloads the pinned model and the top priorities that fit, and says why', async () => {
    const m = await listModels(srv);
    expect(Object.fromEntries(Object.values(m).map((x) => [x.name, x.state]))).toEqual({ p: 'READY', a: 'READY', b: 'READY', c: 'UNLOADED' });
    expect(m['p']!.pinned).toBe(true);
    expect(m['p']!.residencyReason).toBe('pinned (preload.pin)');
    expect(m['a']!.residencyReason).toBe('preloaded at start: preload.priority 50 (no predicted demand)');
    expect(Number(m['a']!.residentBytes)).toBe(repo.fileBytes.get('a')! * FACTOR);
    expect(Number(m['c']!.residentBytes)).toBe(0);
  });

  it('evicts the lowest predicted demand for a cold load, never the pinned model, and fails no request of a busy model', async () => {
    for (let i = 0; i < 30; i++) await srv.call('Predict', repo.request('a', i));
    for (let i = 0; i < 5; i++) await srv.call('Predict', repo.request('b', i));
    await srv.app.residency.tick(); // folds the counts into the EWMA (p, pinned, has none: still never evicted)
    // 'a' keeps serving 4 callers while 'c' loads and something is evicted.
    let stop = false;
    const busy = Array.from({ length: 4 }, async (_, k) => {
      let ok = 0;
      while (!stop) { await srv.call('Predict', repo.request('a', k)); ok++; }
      return ok;
    });
    const res = await srv.call('Predict', repo.request('c'));
    stop = true;
    const served = await Promise.all(busy); // any failed call would reject here
    expect(served.every((n) => n > 0)).toBe(true);
    expect(res.model).toBe('c');
    const m = await listModels(srv);
    expect(m['b']!.state).toBe('UNLOADED');
    expect(m['b']!.residencyReason).toMatch(/^evicted at \w{3} \d{2}:\d{2} \(clock\): lowest predicted near-term demand \([\d.]+ req\/h\), to make room for c$/);
    expect(m['p']!.state).toBe('READY');
    expect(m['a']!.state).toBe('READY');
    expect(m['c']!.residencyReason).toMatch(/cold start/);
    expect(m['c']!.coldStarts).toBe('1');
    expect(m['a']!.predictedDemand).toBeGreaterThan(m['b']!.predictedDemand);
  });

  it('passes over a model with a request in flight even when its demand is the lowest', async () => {
    await srv.app.residency.tick();
    // Resident now: p (pinned), a (busy earlier), c (one request). Hold c the way a request in flight does.
    const held = await srv.app.repository.resolve('c', undefined, 'auto');
    try {
      await srv.call('Predict', repo.request('b'));
      const m = await listModels(srv);
      expect(m['c']!.state).toBe('READY');
      expect(m['a']!.state).toBe('UNLOADED');
      expect(m['a']!.residencyReason).toMatch(/to make room for b$/);
      // The held request can still run on the batcher it resolved.
      const r = await held.batcher.submit({ inputs: { features: { dtype: 'float32', shape: [1, 16], data: new Uint8Array(64) } }, rows: 1 });
      expect(r.outputs['probability']!.shape).toEqual([1, 1]);
    } finally {
      held.release();
    }
    const memory = srv.app.residency.memory();
    expect(memory.used).toBeLessThanOrEqual(memory.limit!);
  });
});

describe('cold start on demand', () => {
  let repo: FleetRepo;
  let srv: TestServer;
  beforeAll(async () => {
    repo = fleetRepo([{ name: 'x', priority: 9 }, { name: 'y', priority: 1 }]);
    srv = await startTestServer({ config: {
      modelRepository: repo.root, metricsAddress: '127.0.0.1:0', preloadTop: 10, modelMemoryBytes: budgetFor(repo, 1),
      residency: { memoryFactor: FACTOR, tickMs: NEVER_MS, usageFile: 'off' },
    } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('loads an unloaded model once for concurrent requests, counts one cold start, and puts the wait in queue time', async () => {
    expect((await listModels(srv))['y']!.state).toBe('UNLOADED');
    // The registry is per process: earlier suites in this file count too, so compare deltas.
    const loadsBefore = await metric(srv, 'hub_residency_decisions_total', { action: 'load' });
    const evictsBefore = await metric(srv, 'hub_residency_decisions_total', { action: 'evict', reason: 'make_room' });
    const waitsBefore = await metric(srv, 'hub_cold_start_wait_seconds_count');
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => srv.call('Predict', repo.request('y', i))));
    expect(answers.map((a) => a.model)).toEqual(Array(6).fill('y'));
    // Every one of them waited for the load: ONNX Runtime sessions in 2 workers plus warm-up take milliseconds.
    for (const a of answers) expect(Number(a.timing.queueUs)).toBeGreaterThan(1000);
    expect(await metric(srv, 'hub_cold_starts_total', { model: 'y' })).toBe(1);
    expect(await metric(srv, 'hub_residency_decisions_total', { action: 'load' }) - loadsBefore).toBe(1);
    expect(await metric(srv, 'hub_residency_decisions_total', { action: 'evict', reason: 'make_room' }) - evictsBefore).toBe(1);
    expect(await metric(srv, 'hub_cold_start_wait_seconds_count') - waitsBefore).toBe(1);
    const m = await listModels(srv);
    expect(m['y']!.coldStarts).toBe('1');
    expect(m['x']!.state).toBe('UNLOADED');
    // A loaded model answers without the wait.
    const warm = await srv.call('Predict', repo.request('y', 99));
    expect(Number(warm.timing.queueUs)).toBeLessThan(Number(answers[0].timing.queueUs));
  });
});

/** Monday 2026-01-05 00:00 UTC. */
const MONDAY = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

/** A usage snapshot of a model that was busy (`perSecond`) during `hours` of Monday, observed all day. */
function mondayHistory(hours: readonly number[], perSecond: number): unknown {
  const u = new ModelUsage(900, MONDAY);
  for (let t = MONDAY; t < MONDAY + 24 * HOUR; t += 60_000) {
    if (hours.includes(Math.floor((t - MONDAY) / HOUR))) u.record(t, perSecond * 60);
    u.fold(t);
  }
  return u.snapshot(MONDAY + 24 * HOUR);
}

describe('start-up and ticks from persisted usage history', () => {
  let repo: FleetRepo;
  let dir: string;
  let file: string;
  beforeAll(() => {
    repo = fleetRepo([{ name: 'top', priority: 90 }, { name: 'second', priority: 80 }, { name: 'morning', priority: 0 }, { name: 'nine', priority: 0 }, { name: 'noon', priority: 0 }]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'hub-usage-'));
    file = path.join(dir, 'usage.json');
    // morning: busy 08h-10h at 2/s; nine: busy 09h at 1/s; noon: busy 12h.
    writeFileSync(file, JSON.stringify({ format: 1, models: { morning: mondayHistory([8, 9], 2), nine: mondayHistory([9], 1), noon: mondayHistory([12], 3) } }));
  });
  afterAll(() => { repo?.remove(); rmSync(dir, { recursive: true, force: true }); });

  const start = (clockStart: string, preloadTop: number, models: number): Promise<TestServer> => startTestServer({ config: {
    modelRepository: repo.root, preloadTop, modelMemoryBytes: budgetFor(repo, models),
    residency: { memoryFactor: FACTOR, tickMs: NEVER_MS, usageFile: file, clockStart },
  } });

  it('preloads the models with the highest predicted demand for the next interval, not the highest priority', async () => {
    // Tuesday 08:50: morning is busy now (Monday 08h, via the hour-of-day profile), nine starts within the lead time.
    const srv = await start('2026-01-06T08:50:00Z', 10, 2);
    try {
      const m = await listModels(srv);
      expect(m['morning']!.state).toBe('READY');
      expect(m['nine']!.state).toBe('READY');
      expect(m['top']!.state).toBe('UNLOADED');
      expect(m['second']!.state).toBe('UNLOADED');
      expect(m['noon']!.state).toBe('UNLOADED');
      expect(m['morning']!.residencyReason).toMatch(/^preloaded at start: the usage profile expects 7200 req\/h in this hour \(Tue 08h\)$/);
      expect(m['nine']!.residencyReason).toMatch(/^preloaded at start: the usage profile expects 3600 req\/h in Tue 09h, within the 15 min lead time$/);
      expect(m['morning']!.predictedDemand).toBeCloseTo(7200, 0);
    } finally {
      await srv.close();
    }
  });

  it('falls back to preload.priority for models without history', async () => {
    // Tuesday 03:00: no model has predicted demand now or within the lead time.
    const srv = await start('2026-01-06T03:00:00Z', 2, 5);
    try {
      const m = await listModels(srv);
      expect([m['top']!.state, m['second']!.state, m['morning']!.state]).toEqual(['READY', 'READY', 'UNLOADED']);
      expect(m['top']!.residencyReason).toBe('preloaded at start: preload.priority 90 (no predicted demand)');
    } finally {
      await srv.close();
    }
  });

  it('loads a model ahead of the hour its profile says is busy, evicting one whose hours are over', async () => {
    // Tuesday 11:50: morning's and nine's hours are over; noon starts within the lead time.
    const srv = await start('2026-01-06T11:50:00Z', 1, 1);
    try {
      let m = await listModels(srv);
      expect(m['noon']!.state).toBe('READY'); // already the top prediction at start
      await srv.app.repository.unload('noon'); // an admin unload holds it back from loads ahead of demand...
      await srv.app.residency.tick();
      m = await listModels(srv);
      expect(m['noon']!.state).toBe('UNLOADED');
      expect(m['noon']!.residencyReason).toMatch(/unloaded by an admin request/);
      await srv.call('Predict', repo.request('noon')); // ...until a request brings it back
      await srv.call('Predict', repo.request('top')); // top takes the only slot (a cold start evicts noon)
      m = await listModels(srv);
      expect(m['noon']!.state).toBe('UNLOADED');
      // Noon is due within the lead time and top has almost no demand: the tick evicts top for noon.
      await srv.app.residency.tick();
      m = await listModels(srv);
      expect(m['noon']!.state).toBe('READY');
      expect(m['noon']!.residencyReason).toMatch(/^loaded ahead of predicted demand: the usage profile expects 10800 req\/h in Tue 12h, within the 15 min lead time$/);
      expect(m['top']!.state).toBe('UNLOADED');
      expect(m['top']!.residencyReason).toMatch(/lowest predicted near-term demand/);
    } finally {
      await srv.close();
    }
  });

  it('persists usage at shutdown so the next start sees it (file)', async () => {
    const own = path.join(dir, 'round-trip.json');
    const opts = { modelRepository: repo.root, preloadTop: 0, residency: { tickMs: NEVER_MS, usageFile: own } };
    const a = await startTestServer({ config: opts });
    for (let i = 0; i < 12; i++) await a.call('Predict', repo.request('second', i));
    await a.close();
    expect(existsSync(own)).toBe(true);
    const saved = JSON.parse(readFileSync(own, 'utf8')) as { models: Record<string, { total: number }> };
    expect(saved.models['second']!.total).toBe(12);
    const b = await startTestServer({ config: opts });
    try {
      const m = await listModels(b);
      expect(m['second']!.predictedDemand).toBeGreaterThan(0);
      expect(m['top']!.predictedDemand).toBe(0);
    } finally {
      await b.close();
    }
  });
});

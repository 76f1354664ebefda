/**
 * Smoke test of the bench's oip scenario: a real server driven by h2load through Predict and through OIP ModelInfer
 * (frames encoded from bench/ghz/oip-lead-scoring.json). It checks the OIP frames are calls the server answers
 * OK (h2load ignores grpc-status: errors come from the server's hub_requests_total) and that the report compares
 * the two. No speed assertions: numbers belong in bench/results.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { h2loadAvailable } from '../../bench/load/h2load-runner.js';
import { liveChildCount } from '../../bench/harness/child-processes.js';
import { smokeContext } from '../helpers/bench-smoke-context.js';
import { runBench, writeReport } from '../../bench/run-bench.js';
import { COST_DEFAULTS } from '../../bench/report/cost-model.js';
import { OIP_POINT } from '../../bench/scenarios/oip-scenario.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'hub-bench-oip-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!h2loadAvailable())('bench oip scenario (h2load)', () => {
  it('measures Predict and ModelInfer on one server with no errors and reports them side by side', async () => {
    const results = await runBench(smokeContext(), ['oip'], COST_DEFAULTS);
    expect(liveChildCount()).toBe(0);
    const points = results.measurements.filter((m) => m.scenario === 'oip');
    expect(points.map((m) => m.config)).toEqual([OIP_POINT.predict, OIP_POINT.oip]);
    for (const m of points) {
      expect(m.load.completed, m.config).toBeGreaterThan(0);
      expect(m.server, 'server metrics').toBeDefined();
      // Every call the server saw in the window was answered OK: the OIP frames are valid ModelInfer calls.
      expect(m.server!.okRequests, m.config).toBeGreaterThan(0);
      expect(m.errors, m.config).toBe(0);
    }
    const files = await writeReport(results, outDir);
    expect(readFileSync(files.markdown, 'utf8')).toMatch(/## Open Inference Protocol beside hub\.inference\.v1[\s\S]*OIP = \*\*\d+\.\d%\*\* of Predict/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseGhzReport } from '../../../../bench/load/ghz-parse.js';
import { ghzArgs } from '../../../../bench/load/ghz-runner.js';
import { fixture } from '../fixture.js';

// The fixture follows ghz's documented JSON report schema (not captured: ghz is not installable here).
describe('ghz JSON report parser', () => {
  const r = parseGhzReport(fixture('ghz-report.json'));

  it('converts Go nanosecond durations to seconds and milliseconds', () => {
    expect(r.durationSeconds).toBe(2);
    expect(r.meanMs).toBe(12.5);
    expect(r.maxMs).toBe(98);
  });

  it('reads p50/p95/p99 from latencyDistribution', () => {
    expect(r.p50Ms).toBe(11);
    expect(r.p95Ms).toBe(30);
    expect(r.p99Ms).toBe(64);
  });

  it('counts every non-OK status the server gave as an error, and ghz\'s own end-of-run cut-offs apart', () => {
    expect(r.count).toBe(1064);
    expect(r.okCount).toBe(995);
    expect(r.errorCount).toBe(5);
    expect(r.cutOffCount).toBe(64); // 'Unavailable ... use of closed network connection': ghz closing its connections
    expect(r.statusCodes['ResourceExhausted']).toBe(3);
    expect(r.requestsPerSecond).toBe(500);
    expect(r.endReason).toBe('normal');
  });

  it('reports a missing percentile as NaN instead of inventing one', () => {
    const text = JSON.stringify({ count: 1, total: 1, average: 1, fastest: 1, slowest: 1, rps: 1, statusCodeDistribution: { OK: 1 } });
    expect(parseGhzReport(text).p95Ms).toBeNaN();
  });

  it('rejects a report without the required numbers', () => {
    expect(() => parseGhzReport('{"count": 3}')).toThrow(/total/);
  });

  it('overrides only host, concurrency, duration and output on the command line', () => {
    expect(ghzArgs({ config: 'bench/ghz/mixed.json', cwd: '.', address: '127.0.0.1:9', concurrency: 128, durationSeconds: 60 }, '/tmp/o.json'))
      .toEqual(['--config=bench/ghz/mixed.json', '--concurrency=128', '--duration=60000ms', '--format=json', '--output=/tmp/o.json', '127.0.0.1:9']);
  });
});

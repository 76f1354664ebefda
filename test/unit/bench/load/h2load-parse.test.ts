import { describe, expect, it } from 'vitest';
import { durationToMs, parseH2loadLog, parseH2loadOutput } from '../../../../bench/load/h2load-parse.js';
import { h2loadResult, h2loadArgs, splitConcurrency } from '../../../../bench/load/h2load-runner.js';
import { fixture } from '../fixture.js';

describe('h2load text report parser (captured h2load 1.52 output)', () => {
  it('reads throughput, request counts, status classes and request time from a count-mode run', () => {
    const r = parseH2loadOutput(fixture('h2load-count-mode.txt'));
    expect(r.durationSeconds).toBeCloseTo(1.65, 5);
    expect(r.requestsPerSecond).toBeCloseTo(1213.01, 5);
    expect(r.requests).toEqual({ total: 2000, started: 2000, done: 2000, succeeded: 2000, failed: 0, errored: 0, timeout: 0 });
    expect(r.status['2xx']).toBe(2000);
    expect(r.requestTimeMs.min).toBeCloseTo(4.26, 5);
    expect(r.requestTimeMs.max).toBeCloseTo(87.38, 5);
    expect(r.requestTimeMs.mean).toBeCloseTo(26.09, 5);
  });

  it('reads microsecond request times and the measured-phase rate of a timing-mode run', () => {
    const r = parseH2loadOutput(fixture('h2load-duration-mode.txt'));
    expect(r.requestsPerSecond).toBeCloseTo(9100, 5);
    expect(r.requests.done).toBe(18200);
    expect(r.requestTimeMs.min).toBeCloseTo(0.196, 6);
    expect(r.requestTimeMs.max).toBeCloseTo(34.36, 5);
  });

  it('counts every request of a run against a closed port as failed', () => {
    const r = parseH2loadOutput(fixture('h2load-connection-refused.txt'));
    expect(r.requests.failed).toBe(10);
    expect(r.requests.errored).toBe(10);
    expect(r.requests.done).toBe(0);
  });

  it('rejects output that has no report (h2load failed before running)', () => {
    expect(() => parseH2loadOutput('invalid URI: foo\n')).toThrow(/finished in/);
  });

  it('converts h2load duration units', () => {
    expect(durationToMs('196us')).toBeCloseTo(0.196, 9);
    expect(durationToMs('4.26ms')).toBeCloseTo(4.26, 9);
    expect(durationToMs('1.65s')).toBeCloseTo(1650, 9);
    expect(() => durationToMs('3m')).toThrow();
  });
});

describe('h2load --log-file parser', () => {
  it('reads start time, HTTP status and elapsed microseconds per request', () => {
    const log = parseH2loadLog(fixture('h2load-log-file.tsv'));
    expect(log).toHaveLength(50);
    expect(log[0]).toEqual({ startUs: 1795475948217113, status: 200, elapsedUs: 61699 });
    expect(log.every((e) => e.status === 200)).toBe(true);
  });

  it('rejects malformed lines', () => {
    expect(() => parseH2loadLog('1\t200\n')).toThrow(/malformed/);
  });
});

describe('h2load runner helpers', () => {
  it('folds report and log into a LoadResult with percentiles from the log', () => {
    const stdout = fixture('h2load-count-mode.txt');
    const log = parseH2loadLog(fixture('h2load-log-file.tsv'));
    const r = h2loadResult([{ args: [], stdout, log }], 32);
    expect(r.completed).toBe(2000);
    expect(r.clientErrors).toBe(0);
    expect(r.latency.count).toBe(50);
    expect(r.latency.p50Ms).toBeGreaterThan(0);
    expect(r.latency.p99Ms).toBeGreaterThanOrEqual(r.latency.p95Ms);
    expect(r.durationSeconds).toBeCloseTo(2000 / 1213.01, 5);
  });

  it('splits callers into equal streams over at most four connections', () => {
    expect(splitConcurrency(1)).toEqual({ connections: 1, streams: 1 });
    expect(splitConcurrency(64)).toEqual({ connections: 4, streams: 16 });
    expect(splitConcurrency(6)).toEqual({ connections: 3, streams: 2 });
    expect(splitConcurrency(7)).toEqual({ connections: 1, streams: 7 });
  });

  it('sends the gRPC headers and the pre-encoded body to the method path', () => {
    const args = h2loadArgs({ address: '127.0.0.1:1234', path: '/hub.inference.v1.InferenceService/Predict', body: new Uint8Array(), concurrency: 16, durationSeconds: 2.5, warmupSeconds: 0.5 }, '/tmp/b', '/tmp/l');
    expect(args).toEqual(expect.arrayContaining(['-c', '4', '-m', '4', '-D', '2500ms', '--warm-up-time', '500ms', '-d', '/tmp/b', 'content-type: application/grpc', 'te: trailers', '--log-file=/tmp/l']));
    expect(args.at(-1)).toBe('http://127.0.0.1:1234/hub.inference.v1.InferenceService/Predict');
  });
});

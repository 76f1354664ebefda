import { describe, expect, it } from 'vitest';
import { parseProcStatCpuSeconds, processCpuSeconds } from '../../../../bench/harness/process-cpu.js';
import { parseServingLine } from '../../../../bench/harness/server-process.js';

describe('process CPU from /proc/<pid>/stat', () => {
  it('adds utime and stime even when the command name has spaces and parentheses', () => {
    const stat = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 1000 1000000 2000';
    expect(parseProcStatCpuSeconds(stat, 100)).toBe(3);
  });

  it('reads this process\'s own CPU time', () => {
    const before = processCpuSeconds(process.pid);
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const after = processCpuSeconds(process.pid);
    expect(before).toBeDefined();
    expect(after!).toBeGreaterThanOrEqual(before!);
  });
});

describe('server "serving" line', () => {
  it('reads the bound gRPC and metrics addresses', () => {
    const line = JSON.stringify({ level: 30, msg: 'serving', grpcAddress: '127.0.0.1:4000', metricsAddress: '127.0.0.1:4001' });
    expect(parseServingLine(line)).toEqual({ grpcAddress: '127.0.0.1:4000', metricsAddress: '127.0.0.1:4001' });
  });

  it('treats a missing or empty metrics address as none and ignores other lines', () => {
    expect(parseServingLine(JSON.stringify({ msg: 'serving', grpcAddress: 'h:1', metricsAddress: '' }))).toEqual({ grpcAddress: 'h:1', metricsAddress: undefined });
    expect(parseServingLine(JSON.stringify({ msg: 'listening; preloading models', grpcAddress: 'h:1' }))).toBeUndefined();
    expect(parseServingLine('not json "serving"')).toBeUndefined();
  });
});

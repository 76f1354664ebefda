import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, InferenceError, type ErrorCode } from '../../../src/errors/index.js';
import { GRPC_STATUS_OF, toGrpcStatus } from '../../../src/server/grpc-status.js';

describe('error family', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('maps every code to its gRPC status and keeps the message', () => {
    for (const code of codes) {
      const s = toGrpcStatus(new InferenceError(code, `boom ${code}`));
      expect(s.code).toBe(GRPC_STATUS_OF[code]);
      expect(s.details).toBe(`boom ${code}`);
      expect(s.metadata.get('hub-error-code')).toEqual([code]);
    }
  });

  it('follows the status table of DESIGN', () => {
    expect(GRPC_STATUS_OF.MODEL_NOT_FOUND).toBe(status.NOT_FOUND);
    expect(GRPC_STATUS_OF.INVALID_INPUT).toBe(status.INVALID_ARGUMENT);
    expect(GRPC_STATUS_OF.MODEL_NOT_READY).toBe(status.UNAVAILABLE);
    expect(GRPC_STATUS_OF.QUEUE_FULL).toBe(status.RESOURCE_EXHAUSTED);
    expect(GRPC_STATUS_OF.DEADLINE_EXCEEDED).toBe(status.DEADLINE_EXCEEDED);
    expect(GRPC_STATUS_OF.ENGINE_FAILURE).toBe(status.INTERNAL);
  });

  it('turns unknown errors into INTERNAL with a generic message (no stack or details leak)', () => {
    const s = toGrpcStatus(new TypeError('secret path /etc/x at line 3'));
    expect(s.code).toBe(status.INTERNAL);
    expect(s.details).toBe('internal server error');
  });

  it('keeps the errors room free of gRPC: the status table lives beside the server', () => {
    expect(Object.keys(GRPC_STATUS_OF).sort()).toEqual([...codes].sort());
    for (const f of ['inference-error.ts', 'index.ts']) expect(readFileSync(`src/errors/${f}`, 'utf8')).not.toMatch(/@grpc\/grpc-js/);
  });

  it('documents every code in README', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const code of codes) expect(readme, `README documents ${code}`).toContain(`\`${code}\``);
  });
});

describe('toGrpcStatus message bound', () => {
  it('cuts a message over 2,048 characters (it may quote client input) and says how long it was', () => {
    const st = toGrpcStatus(new InferenceError('INVALID_INPUT', `input "x": ${'y'.repeat(10_000)}`));
    expect(st.details.length).toBeLessThanOrEqual(2048);
    expect(st.details).toMatch(/^input "x": y+…\(10011 chars, cut\)$/);
    expect(toGrpcStatus(new InferenceError('INVALID_INPUT', 'short')).details).toBe('short');
  });
});

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, InferenceError, toGrpcStatus, type ErrorCode } from '../../../src/errors/index.js';

describe('error family', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('maps every code to its gRPC status and keeps the message', () => {
    for (const code of codes) {
      const s = toGrpcStatus(new InferenceError(code, `boom ${code}`));
      expect(s.code).toBe(ERROR_CODES[code].grpc);
      expect(s.details).toBe(`boom ${code}`);
      expect(s.metadata.get('hub-error-code')).toEqual([code]);
    }
  });

  it('follows the status table of DESIGN', () => {
    expect(ERROR_CODES.MODEL_NOT_FOUND.grpc).toBe(status.NOT_FOUND);
    expect(ERROR_CODES.INVALID_INPUT.grpc).toBe(status.INVALID_ARGUMENT);
    expect(ERROR_CODES.MODEL_NOT_READY.grpc).toBe(status.UNAVAILABLE);
    expect(ERROR_CODES.QUEUE_FULL.grpc).toBe(status.RESOURCE_EXHAUSTED);
    expect(ERROR_CODES.DEADLINE_EXCEEDED.grpc).toBe(status.DEADLINE_EXCEEDED);
    expect(ERROR_CODES.ENGINE_FAILURE.grpc).toBe(status.INTERNAL);
  });

  it('turns unknown errors into INTERNAL with a generic message (no stack or details leak)', () => {
    const s = toGrpcStatus(new TypeError('secret path /etc/x at line 3'));
    expect(s.code).toBe(status.INTERNAL);
    expect(s.details).toBe('internal server error');
  });

  it('documents every code in README', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const code of codes) expect(readme, `README documents ${code}`).toContain(`\`${code}\``);
  });
});

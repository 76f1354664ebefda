import { describe, it, expect } from 'vitest';
import { EventEmitter } from 'node:events';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { CallCancellation } from '../../../src/server/inference-call.js';

/** The two things CallCancellation reads of a grpc-js call: its 'cancelled' event and its `cancelled` flag. */
function fakeCall(): EventEmitter & { cancelled: boolean } {
  return Object.assign(new EventEmitter(), { cancelled: false });
}
const asCall = (c: EventEmitter): ServerUnaryCall<unknown, unknown> => c as unknown as ServerUnaryCall<unknown, unknown>;

describe('CallCancellation (a call\'s cancellation, hooked to grpc-js only when something waits on it)', () => {
  it('adds no listener to the call until something waits, and reads the call\'s flag meanwhile', () => {
    const call = fakeCall();
    let running = true;
    const c = new CallCancellation(asCall(call), () => running);
    expect(call.listenerCount('cancelled')).toBe(0);
    expect(c.aborted).toBe(false);
    call.cancelled = true; // the client left; grpc-js set the flag
    expect(c.aborted).toBe(true);
    running = false;
    expect(c.aborted).toBe(true); // once aborted, it stays so
    expect(call.listenerCount('cancelled')).toBe(0);
  });

  it('runs a waiting listener once when the client leaves while the call runs', () => {
    const call = fakeCall();
    const c = new CallCancellation(asCall(call), () => true);
    let heard = 0;
    c.addEventListener('abort', () => heard++);
    c.addEventListener('abort', () => heard++);
    expect(call.listenerCount('cancelled')).toBe(1);
    call.cancelled = true;
    call.emit('cancelled');
    call.emit('cancelled');
    expect(heard).toBe(2);
    expect(c.aborted).toBe(true);
  });

  it('a listener added after the client left is not run, and the signal reads aborted', () => {
    const call = fakeCall();
    const c = new CallCancellation(asCall(call), () => true);
    call.cancelled = true;
    let heard = 0;
    c.addEventListener('abort', () => heard++);
    expect(heard).toBe(0);
    expect(c.aborted).toBe(true);
  });

  it('an answered call is never cancelled (grpc-js emits cancelled when a finished call\'s stream closes)', () => {
    const call = fakeCall();
    let running = true;
    const c = new CallCancellation(asCall(call), () => running);
    let heard = 0;
    c.addEventListener('abort', () => heard++);
    running = false;
    call.cancelled = true;
    call.emit('cancelled');
    expect(heard).toBe(0);
    expect(c.aborted).toBe(false);
  });
});

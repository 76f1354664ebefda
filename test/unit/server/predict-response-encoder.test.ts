import { describe, it, expect } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import { inferenceServiceDefinition } from '../../../src/server/grpc-server.js';
import { loadPackageDefinition } from '../../../src/proto/hub-proto.js';
import { encodeTensor } from '../../../src/server/tensor-codec.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';

// Out through the serializer grpc-js uses for Predict (encodePredictResponse), back in through proto-loader's own
// decoder, as every client reads it; compared with what proto-loader's serializer (fromObject + encode) writes.
const served = inferenceServiceDefinition()['Predict'] as grpc.MethodDefinition<unknown, object>;
const loader = (loadPackageDefinition()['hub.inference.v1.InferenceService'] as Record<string, any>)['Predict'];
const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const f32: HostTensor = { dtype: 'float32', shape: [2, 1], data: bytes(new Float32Array([0.25, -3.5])) };
const i64: HostTensor = { dtype: 'int64', shape: [1, 2], data: bytes(new BigInt64Array([9007199254740993n, -1n])) };
const response = (typed: boolean): Record<string, unknown> => ({
  model: 'lead-scoring', version: '1', variant: 'VARIANT_INT8',
  outputs: [encodeTensor('probability', f32, typed), encodeTensor('ids', i64, typed)],
  cachedRows: 1, requestId: 'r-1',
  timing: { queueUs: 12, computeUs: 34, batchSize: 2, totalUs: 4_000_000_123 },
});

describe('encodePredictResponse', () => {
  it('writes the same message as proto-loader for raw outputs, enums, int64 shapes and uint64 timing', () => {
    const res = response(false);
    const ours = served.responseSerialize(res);
    expect(loader.responseDeserialize(ours)).toEqual(loader.responseDeserialize(loader.responseSerialize(response(false))));
    const back = loader.responseDeserialize(ours);
    expect(back.variant).toBe('VARIANT_INT8');
    expect(back.outputs[0].dtype).toBe('DATA_TYPE_FLOAT32');
    expect(back.outputs[1].shape).toEqual(['1', '2']);
    expect(back.timing.totalUs).toBe('4000000123');
    expect(new Float32Array(new Uint8Array(back.outputs[0].raw).buffer)).toEqual(new Float32Array([0.25, -3.5]));
  });

  it('writes typed outputs (float_data, int64_data as exact decimal strings) like proto-loader', () => {
    const back = loader.responseDeserialize(served.responseSerialize(response(true)));
    expect(back).toEqual(loader.responseDeserialize(loader.responseSerialize(response(true))));
    expect(back.outputs[1].int64Data).toEqual(['9007199254740993', '-1']);
    expect(back.outputs[0].floatData).toEqual([0.25, -3.5]);
  });
});

import { describe, it, expect } from 'vitest';
import { oipPackageDefinition, oipServiceDefinition } from '../../../src/kserve/oip-proto.js';
import { decodeInputs, encodeOutputs } from '../../../src/kserve/oip-tensor-codec.js';
import type { ModelInferRequestMessage } from '../../../src/kserve/oip-messages.js';
import { InferenceError } from '../../../src/errors/index.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';

// Requests go through the real wire: serialized and deserialized by the server's own method definition, so the
// codec sees exactly the objects grpc-js hands the handler.
const infer = (oipPackageDefinition()['inference.GRPCInferenceService'] as Record<string, any>)['ModelInfer'];
const wire = (req: Record<string, unknown>): ModelInferRequestMessage => infer.requestDeserialize(infer.requestSerialize(req));
// Responses go out through the serializer grpc-js uses for ModelInfer (encodeModelInferResponse), and back in
// through proto-loader's decoder, as an OIP client reads them.
const served = oipServiceDefinition()['ModelInfer']!;
const responseWire = (res: Record<string, unknown>): any => infer.responseDeserialize(served.responseSerialize(res));

const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const err = (fn: () => unknown): InferenceError => {
  try { fn(); } catch (e) { if (e instanceof InferenceError) return e; throw e; }
  throw new Error('expected an InferenceError');
};

describe('decodeInputs: typed contents', () => {
  it('decodes every supported datatype to little-endian bytes', () => {
    const { inputs, raw } = decodeInputs(wire({
      inputs: [
        { name: 'f', datatype: 'FP32', shape: [2], contents: { fp32Contents: [1.5, -2] } },
        { name: 'l', datatype: 'INT64', shape: [2], contents: { int64Contents: ['9007199254740993', '-1'] } },
        { name: 'i', datatype: 'INT32', shape: [1, 2], contents: { intContents: [7, -7] } },
        { name: 'u', datatype: 'UINT8', shape: [3], contents: { uintContents: [0, 128, 255] } },
        { name: 'b', datatype: 'BOOL', shape: [2], contents: { boolContents: [true, false] } },
      ],
    }));
    expect(raw).toBe(false);
    expect(bytesOf(inputs['f']!.data)).toEqual(bytesOf(new Float32Array([1.5, -2])));
    expect(bytesOf(inputs['l']!.data)).toEqual(bytesOf(new BigInt64Array([9007199254740993n, -1n])));
    expect(inputs['i']).toMatchObject({ dtype: 'int32', shape: [1, 2] });
    expect(bytesOf(inputs['i']!.data)).toEqual(bytesOf(new Int32Array([7, -7])));
    expect([...inputs['u']!.data]).toEqual([0, 128, 255]);
    expect([...inputs['b']!.data]).toEqual([1, 0]);
  });

  it('names the input and the field to fix', () => {
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], contents: { fp32Contents: [1, 2] } }] }))).message)
      .toBe('input "x": contents.fp32_contents has 2 values but FP32 [3] needs 3');
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { fp32Contents: [1] } }] }))).message)
      .toBe('input "x": datatype INT32 takes contents.int_contents, but fp32_contents was set');
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32Contents: [1], intContents: [1] } }] }))).message)
      .toBe('input "x": set one contents field, not int_contents and fp32_contents');
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP16', shape: [1], contents: { fp32Contents: [1] } }] }))).message)
      .toMatch(/FP16 tensors travel only in raw_input_contents/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'UINT8', shape: [1], contents: { uintContents: [256] } }] }))).message)
      .toMatch(/UINT8 values in contents.uint_contents must be 0..255/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], contents: { bytesContents: [Buffer.from('a')] } }] }))).message)
      .toBe('input "x": datatype "BYTES" is not supported; use one of FP32, FP16, INT64, INT32, UINT8, BOOL');
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP32', shape: [], contents: { fp32Contents: [1] } }] }))).message).toMatch(/shape is empty/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }] }))).message).toMatch(/negative or invalid dim/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1 << 20, 1 << 20] }] }))).message).toMatch(/over the 268435456-byte limit/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: '', datatype: 'FP32', shape: [1], contents: { fp32Contents: [1] } }] }))).message).toBe('an input tensor has no name');
    const twice = { name: 'x', datatype: 'FP32', shape: [1], contents: { fp32Contents: [1] } };
    expect(err(() => decodeInputs(wire({ inputs: [twice, twice] }))).message).toBe('input "x": given twice');
    expect(err(() => decodeInputs(wire({ inputs: [twice, twice] }))).code).toBe('INVALID_INPUT');
  });
});

describe('decodeInputs: raw_input_contents', () => {
  it('takes the bytes as they are, FP16 included, one entry per input in order', () => {
    const f = new Float32Array([1, 2, 3, 4]);
    const h = new Uint16Array([0x3c00, 0xc000]);
    const req = wire({
      inputs: [{ name: 'a', datatype: 'FP32', shape: [2, 2] }, { name: 'h', datatype: 'FP16', shape: [1, 2] }],
      rawInputContents: [bytesOf(f), bytesOf(h)],
    });
    const { inputs, raw } = decodeInputs(req);
    expect(raw).toBe(true);
    expect(bytesOf(inputs['a']!.data)).toEqual(bytesOf(f));
    expect(inputs['h']).toMatchObject({ dtype: 'float16', shape: [1, 2] });
    expect(bytesOf(inputs['h']!.data)).toEqual(bytesOf(h));
    // No per-element copy: the tensor views the decoded message's bytes.
    expect(inputs['a']!.data.buffer).toBe(req.rawInputContents[0]!.buffer);
  });

  it('refuses a byte length that does not match, contents beside raw, and a wrong entry count', () => {
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'a', datatype: 'INT64', shape: [1, 3] }], rawInputContents: [Buffer.alloc(16)] }))).message)
      .toBe('input "a": raw_input_contents has 16 bytes but INT64 [1,3] needs 24 (3 elements x 8 bytes)');
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1], contents: { fp32Contents: [1] } }], rawInputContents: [Buffer.alloc(4)] }))).message)
      .toMatch(/input "a": set either raw_input_contents or contents, not both/);
    expect(err(() => decodeInputs(wire({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1] }, { name: 'b', datatype: 'FP32', shape: [1] }], rawInputContents: [Buffer.alloc(4)] }))).message)
      .toBe('raw_input_contents has 1 entries but the request has 2 inputs; give one entry per input, in the order of inputs');
  });
});

describe('encodeOutputs', () => {
  const f32: HostTensor = { dtype: 'float32', shape: [2, 1], data: new Uint8Array(new Float32Array([0.25, -1e-7]).buffer) };
  const i64: HostTensor = { dtype: 'int64', shape: [2], data: new Uint8Array(new BigInt64Array([2n ** 60n, -3n]).buffer) };
  const i32: HostTensor = { dtype: 'int32', shape: [1], data: new Uint8Array(new Int32Array([-5]).buffer) };
  const u8: HostTensor = { dtype: 'uint8', shape: [2], data: new Uint8Array([3, 250]) };
  const b: HostTensor = { dtype: 'bool', shape: [2], data: new Uint8Array([0, 1]) };

  it('writes typed contents that survive the wire exactly', () => {
    const enc = encodeOutputs([['f', f32], ['l', i64], ['i', i32], ['u', u8], ['b', b]], false);
    expect(enc.rawOutputContents).toEqual([]);
    const res = responseWire({ outputs: enc.outputs });
    expect(res.outputs.map((o: any) => [o.name, o.datatype, o.shape])).toEqual([
      ['f', 'FP32', ['2', '1']], ['l', 'INT64', ['2']], ['i', 'INT32', ['1']], ['u', 'UINT8', ['2']], ['b', 'BOOL', ['2']],
    ]);
    expect(bytesOf(Float32Array.from(res.outputs[0].contents.fp32Contents))).toEqual(bytesOf(f32.data));
    expect(res.outputs[1].contents.int64Contents).toEqual([String(2n ** 60n), '-3']);
    expect(res.outputs[2].contents.intContents).toEqual([-5]);
    expect(res.outputs[3].contents.uintContents).toEqual([3, 250]);
    expect(res.outputs[4].contents.boolContents).toEqual([false, true]);
  });

  it('writes raw bytes in output order, and a FP16 output makes every output raw', () => {
    const raw = encodeOutputs([['f', f32], ['l', i64]], true);
    expect(raw.outputs.every((o) => o.contents === undefined)).toBe(true);
    expect(raw.rawOutputContents.map((x) => Buffer.from(x))).toEqual([bytesOf(f32.data), bytesOf(i64.data)]);
    const half: HostTensor = { dtype: 'float16', shape: [1], data: new Uint8Array([0, 0x3c]) };
    const mixed = encodeOutputs([['f', f32], ['h', half]], false);
    expect(mixed.rawOutputContents.length).toBe(2);
    expect(mixed.outputs.map((o) => o.datatype)).toEqual(['FP32', 'FP16']);
  });

  it('reads unaligned output bytes correctly', () => {
    const backing = new Uint8Array(9);
    backing.set(new Uint8Array(new Float32Array([1.25, 3]).buffer), 1);
    const t: HostTensor = { dtype: 'float32', shape: [2], data: backing.subarray(1) };
    expect(encodeOutputs([['x', t]], false).outputs[0]!.contents).toEqual({ fp32Contents: [1.25, 3] });
  });
});

describe('the ModelInfer response encoder', () => {
  it('writes what proto-loader\'s own serializer writes, for typed and raw answers with parameters', () => {
    const f32: HostTensor = { dtype: 'float32', shape: [2, 1], data: new Uint8Array(new Float32Array([0.5, -3]).buffer) };
    const i64: HostTensor = { dtype: 'int64', shape: [1], data: new Uint8Array(new BigInt64Array([-(2n ** 62n)]).buffer) };
    const b: HostTensor = { dtype: 'bool', shape: [1], data: new Uint8Array([1]) };
    const parameters = { variant: { stringParam: 'int8' }, queue_us: { int64Param: 7 }, cached_rows: { int64Param: 0 } };
    for (const raw of [false, true]) {
      const enc = encodeOutputs([['f', f32], ['l', i64], ['b', b]], raw);
      const res = { modelName: 'm', modelVersion: '2', id: 'x', parameters, outputs: enc.outputs, rawOutputContents: enc.rawOutputContents };
      const ours = infer.responseDeserialize(served.responseSerialize(res));
      expect(ours).toEqual(infer.responseDeserialize(infer.responseSerialize(res)));
      expect(ours.parameters.variant).toEqual({ stringParam: 'int8', parameterChoice: 'stringParam' });
      expect(ours.parameters.queue_us.int64Param).toBe('7');
    }
  });
});

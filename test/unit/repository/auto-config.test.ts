import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { readModel, valueInfo, OnnxDataType, type ModelProto } from '../../../src/onnx/onnx-io.js';
import { autoCompleteConfig, onnxSignature, AutoConfigError } from '../../../src/repository/auto-config.js';
import { parseModelConfig } from '../../../src/repository/model-config.js';

function model(inputs: ReturnType<typeof valueInfo>[], outputs: ReturnType<typeof valueInfo>[], initializers: string[] = []): ModelProto {
  return { irVersion: 8, graph: { input: inputs, output: outputs, initializer: initializers.map((name) => ({ name, dims: [1], dataType: OnnxDataType.FLOAT })) } };
}

describe('auto-complete config from the ONNX signature', () => {
  it('completes the bundled lead-intent model to its committed signature', () => {
    const sig = onnxSignature(readModel(path.resolve('models/lead-intent/1/model.onnx')));
    const { raw, inferred } = autoCompleteConfig('lead-intent', sig, undefined, 'lead-intent/1/model.onnx');
    expect(inferred).toEqual(['inputs', 'outputs']);
    expect(raw['inputs']).toEqual([
      { name: 'input_ids', dtype: 'int64', shape: [-1, 64] },
      { name: 'attention_mask', dtype: 'int64', shape: [-1, 64] },
    ]);
    expect(raw['outputs']).toEqual([{ name: 'logits', dtype: 'float32', shape: [-1, 8] }]);
    const cfg = parseModelConfig(raw, 'lead-intent (auto-completed)');
    expect(cfg.maxBatchSize).toBe(64); // the defaults apply
  });

  it('takes the leading dynamic dim as the batch and keeps other dynamic dims dynamic', () => {
    const sig = onnxSignature(model([valueInfo('ids', OnnxDataType.INT64, ['batch', 'seq'])], [valueInfo('label', OnnxDataType.INT64, ['N'])]));
    const { raw } = autoCompleteConfig('m', sig, undefined, 'm/1/model.onnx');
    expect(raw['inputs']).toEqual([{ name: 'ids', dtype: 'int64', shape: [-1, -1] }]);
    expect(raw['outputs']).toEqual([{ name: 'label', dtype: 'int64', shape: [-1] }]);
  });

  it('skips initializers that old IR versions list among the inputs', () => {
    const sig = onnxSignature(model([valueInfo('x', OnnxDataType.FLOAT, ['N', 4]), valueInfo('w', OnnxDataType.FLOAT, [1])], [valueInfo('y', OnnxDataType.FLOAT, ['N', 1])], ['w']));
    expect(sig.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('a config.json overrides only the fields it sets', () => {
    const sig = onnxSignature(model([valueInfo('x', OnnxDataType.FLOAT, ['N', 4])], [valueInfo('y', OnnxDataType.FLOAT, ['N', 1])]));
    const declared = { name: 'm', maxBatchSize: 8, outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] };
    const { raw, inferred } = autoCompleteConfig('m', sig, declared, 'm/1/model.onnx');
    expect(inferred).toEqual(['inputs']);
    expect(raw['maxBatchSize']).toBe(8);
    expect(raw['outputs']).toBe(declared.outputs);
    expect(raw['description']).toBeUndefined();
  });

  it('refuses a model without a batch dim, naming the input and the export fix', () => {
    const sig = onnxSignature(model([valueInfo('x', OnnxDataType.FLOAT, [1, 4])], [valueInfo('y', OnnxDataType.FLOAT, [1, 1])]));
    expect(() => autoCompleteConfig('m', sig, undefined, 'm/1/model.onnx')).toThrow(AutoConfigError);
    expect(() => autoCompleteConfig('m', sig, undefined, 'm/1/model.onnx')).toThrow(/m\/1\/model\.onnx: .*input "x" has no batch dim: dim 0 is fixed at 1.*dynamic_axes/);
  });

  it('refuses an element type the service does not serve, naming it', () => {
    const sig = onnxSignature(model([valueInfo('x', OnnxDataType.DOUBLE, ['N', 4])], [valueInfo('y', OnnxDataType.FLOAT, ['N', 1])]));
    expect(() => autoCompleteConfig('m', sig, undefined, 'm/1/model.onnx')).toThrow(/input "x" has ONNX type DOUBLE/);
  });

  it('refuses a non-tensor output (a ZipMap sequence of maps), naming the converter option', () => {
    const m = model([valueInfo('x', OnnxDataType.FLOAT, ['N', 4])], [{ name: 'output_probability', type: {} }]);
    expect(() => autoCompleteConfig('m', onnxSignature(m), undefined, 'm/1/model.onnx')).toThrow(/output "output_probability" is not a tensor .*zipmap=False/);
  });
});

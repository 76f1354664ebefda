import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { attr, floatTensor, OnnxDataType, readModel, valueInfo, type ModelProto } from '../../../src/onnx/onnx-io.js';
import { inferInputRanges } from '../../../src/repository/input-ranges.js';

describe('input ranges from the graph', () => {
  it('reads the bundled lead-intent vocabulary from its embedding table', () => {
    expect(inferInputRanges(readModel(path.resolve('models/lead-intent/1/model.onnx')))).toEqual({
      input_ids: { min: 0, max: 8191, source: 'the embedding table it indexes, 8192 rows' },
    });
  });

  it('follows Cast/Unsqueeze to the Gather, takes the smallest table, and ignores inputs that index nothing', () => {
    const m: ModelProto = {
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
      graph: {
        node: [
          { opType: 'Cast', input: ['ids'], output: ['ids32'], attribute: [attr('to', OnnxDataType.INT32, 'int')] },
          { opType: 'Unsqueeze', input: ['ids32', 'axes'], output: ['ids_u'] },
          { opType: 'Gather', name: 'big', input: ['E1', 'ids_u'], output: ['e1'] },
          { opType: 'Gather', name: 'small', input: ['E2', 'ids'], output: ['e2'], attribute: [attr('axis', 0, 'int')] },
          { opType: 'Add', input: ['mask', 'mask'], output: ['m2'] },
        ],
        initializer: [floatTensor('E1', [1000, 2], new Float32Array(2000)), floatTensor('E2', [300, 2], new Float32Array(600)), { name: 'axes', dims: [1], dataType: OnnxDataType.INT64, int64Data: [0] }],
        input: [valueInfo('ids', OnnxDataType.INT64, ['b', 4]), valueInfo('mask', OnnxDataType.INT64, ['b', 4])],
        output: [valueInfo('e1', OnnxDataType.FLOAT, ['b', 4, 2])],
      },
    };
    expect(inferInputRanges(m)).toEqual({ ids: { min: 0, max: 299, source: 'the embedding table it indexes, 300 rows' } });
  });
});

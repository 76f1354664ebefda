import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attr, floatTensor, OnnxDataType, readModel, valueInfo, writeModel, type ModelProto } from '../../../src/onnx/onnx-io.js';
import { inferInputRanges, validRanges } from '../../../src/repository/input-ranges.js';
import { parseModelConfig, readModelConfig } from '../../../src/repository/model-config.js';
import { batchIO, GraphBuilder } from '../../../models/builder/graph-builder.js';

const INTENT_ONNX = path.resolve('models/lead-intent/1/model.onnx');
const intent = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
const SHOWN = { model: 'lead-intent/1/model.onnx', config: 'lead-intent/config.json' };

/** lead-intent's config with a declared range on input_ids. */
function intentWithRange(range: { min: number; max: number }) {
  return parseModelConfig({ ...intent, inputs: intent.inputs.map((i) => (i.name === 'input_ids' ? { ...i, range } : i)) }, SHOWN.config);
}

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

describe('valid ranges at load', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hub-ranges-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a declared range over the embedding table when it is narrower', async () => {
    await expect(validRanges(intent, INTENT_ONNX, SHOWN)).resolves.toEqual({ input_ids: { min: 0, max: 8191, source: 'the embedding table it indexes, 8192 rows' } });
    await expect(validRanges(intentWithRange({ min: 1, max: 4095 }), INTENT_ONNX, SHOWN)).resolves.toEqual({ input_ids: { min: 1, max: 4095, source: 'config.json' } });
  });

  it.each([[{ min: 0, max: 8192 }], [{ min: -1, max: 100 }]])('refuses a declared range %o wider than the embedding table, naming the file and field', async (range) => {
    await expect(validRanges(intentWithRange(range), INTENT_ONNX, SHOWN)).rejects.toThrow(
      `lead-intent/config.json: field "inputs.input_ids.range": [${range.min}, ${range.max}] is wider than the embedding table it indexes, 8192 rows, valid [0, 8191]`);
  });

  it('reads a tiny model written with the builder: ids through Reshape into an embedding Gather', async () => {
    const b = new GraphBuilder('tiny-ranges');
    const table = b.uniform('embedding', [50, 4], 0.1);
    const flat = b.op('Reshape', ['ids', b.ints('flat_shape', [-1])], 'ids');
    const emb = b.op('Gather', [table, flat], 'embed', { axis: 0 });
    b.op('ReduceSum', [emb, b.ints('axes', [1])], 'out', { keepdims: 0 }, 'y');
    const file = path.join(dir, 'tiny.onnx');
    writeModel(file, b.build({ inputs: [batchIO('ids', 'int64', [1]), batchIO('w', 'int64', [1])], outputs: [batchIO('y', 'float32', [])], doc: 'test', recipe: 'test' }));
    const cfg = parseModelConfig({
      name: 'tiny', inputs: [{ name: 'ids', dtype: 'int64', shape: [-1, 1] }, { name: 'w', dtype: 'int64', shape: [-1, 1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [-1] }],
    }, 'tiny/config.json');
    await expect(validRanges(cfg, file, { model: 'tiny/1/model.onnx', config: 'tiny/config.json' })).resolves.toEqual({ ids: { min: 0, max: 49, source: 'the embedding table it indexes, 50 rows' } });
  });

  it('names the model file, as the repository shows it, when the graph cannot be read', async () => {
    const file = path.join(dir, 'broken.onnx');
    writeFileSync(file, 'not an onnx model');
    await expect(validRanges(intent, file, SHOWN)).rejects.toThrow(/^lead-intent\/1\/model\.onnx: cannot read the model: /);
  });
});

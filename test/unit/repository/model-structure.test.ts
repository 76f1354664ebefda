import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readModel, readModelStructure, readModelStructureAsync, type ModelProto, type NodeProto, type TensorProto } from '../../../src/onnx/onnx-io.js';

/** Every bundled model variant and every committed exporter fixture: real files, several exporters. */
const FILES = [
  ...['lead-scoring', 'property-valuation', 'lead-intent'].flatMap((m) => readdirSync(path.resolve('models', m, '1')).filter((f) => f.endsWith('.onnx')).map((f) => path.resolve('models', m, '1', f))),
  ...readdirSync(path.resolve('test/fixtures/byom'), { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).map((f) => path.resolve('test/fixtures/byom', f)),
];

/** A tensor without its values: what the structure read keeps. */
function shapeOf(t: TensorProto): { name?: string | undefined; dims: number[]; dataType?: number | undefined } {
  return { name: t.name, dims: (t.dims ?? []).map(Number), dataType: t.dataType };
}

/** Nodes with every tensor attribute (a Constant's value) reduced to name, dims and type. */
function nodesWithoutValues(nodes: readonly NodeProto[] | undefined): unknown {
  return (nodes ?? []).map((n) => ({
    ...n,
    attribute: (n.attribute ?? []).map((a) => ({ ...a, t: a.t && shapeOf(a.t), tensors: (a.tensors ?? []).map(shapeOf) })),
  }));
}

/** The model with every tensor (initializers and attributes) reduced to name, dims and type. */
function withoutValues(m: ModelProto): unknown {
  const g = m.graph;
  return { ...m, graph: g && { ...g, initializer: (g.initializer ?? []).map(shapeOf), node: nodesWithoutValues(g.node) } };
}

describe('reading a model\'s structure without its tensor values (load-time checks)', () => {
  it('covers bundled models and exporter fixtures', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(5);
    expect(FILES.some((f) => f.includes(`${path.sep}fixtures${path.sep}`))).toBe(true);
  });

  it.each(FILES.map((f) => [path.relative(process.cwd(), f), f]))('%s: same graph, inputs, outputs, nodes and initializer shapes as the full read, no values', async (_shown, file) => {
    const full = readModel(file);
    const sync = readModelStructure(file);
    const async = await readModelStructureAsync(file);
    expect(async).toEqual(sync);
    for (const t of sync.graph?.initializer ?? []) {
      expect(t.rawData).toBeUndefined();
      expect(t.floatData ?? []).toEqual([]);
      expect(t.int64Data ?? []).toEqual([]);
    }
    // Nodes (tensor attributes but for their values), inputs and outputs are decoded as the full read does.
    const g = sync.graph as NonNullable<ModelProto['graph']>;
    const fg = full.graph as NonNullable<ModelProto['graph']>;
    expect(nodesWithoutValues(g.node)).toEqual(nodesWithoutValues(fg.node));
    expect(g.input).toEqual(fg.input);
    expect(g.output).toEqual(fg.output);
    expect((g.initializer ?? []).map(shapeOf)).toEqual((fg.initializer ?? []).map(shapeOf));
    expect(withoutValues(sync)).toEqual(withoutValues(full));
  });

  it('names the file when it is not an ONNX model, from both forms', async () => {
    const file = path.resolve('models/lead-scoring/config.json');
    expect(() => readModelStructure(file, 'lead-scoring/config.json')).toThrow(/^lead-scoring\/config\.json: cannot read the model: /);
    await expect(readModelStructureAsync(file, 'lead-scoring/config.json')).rejects.toThrow(/^lead-scoring\/config\.json: cannot read the model: /);
    await expect(readModelStructureAsync(path.resolve('models/nope/1/model.onnx'), 'nope/1/model.onnx')).rejects.toThrow(/^nope\/1\/model\.onnx: cannot read the model: .*ENOENT/);
  });
});

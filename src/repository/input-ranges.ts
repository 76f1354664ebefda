/**
 * Valid value ranges of integer inputs, read from the graph: an input that (directly, or through ops that
 * only move or re-type its values) is the `indices` of a Gather over a constant table (an embedding) can hold
 * 0 .. rows-1. ONNX also accepts negative indices (counted from the end), but no tokenizer produces them: a
 * negative id is a client bug that Gather would silently wrap, so it is refused too. A value outside its range
 * is refused before it is queued (an out-of-range id makes ONNX Runtime fail the whole batch).
 */
import { readModelStructureAsync, type ModelProto, type NodeProto } from '../onnx/onnx-io.js';
import type { ModelConfig } from './model-config.js';

/** An inclusive integer range, and where it came from. */
export interface InputRange {
  readonly min: number;
  readonly max: number;
  /** e.g. `the embedding table it indexes, 8192 rows` or `config.json`. */
  readonly source: string;
}

/** Ops that pass an integer tensor's values through unchanged (only its shape or type moves). */
const PASS_THROUGH = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Expand', 'Transpose']);

function intAttr(node: NodeProto, name: string, dflt: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i !== undefined ? Number(a.i) : dflt;
}

/** Ranges of the graph's integer inputs that index an embedding table, by input name. */
export function inferInputRanges(model: ModelProto): Record<string, InputRange> {
  const g = model.graph;
  if (!g) return {};
  const tables = new Map((g.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
  const consumers = new Map<string, NodeProto[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const out: Record<string, InputRange> = {};
  for (const input of g.input ?? []) {
    const name = input.name ?? '';
    if (tables.has(name)) continue;
    // Follow the values through pass-through ops to every Gather that uses them as indices.
    const seen = new Set<string>([name]);
    const frontier = [name];
    let best: InputRange | undefined;
    while (frontier.length > 0) {
      const v = frontier.pop() as string;
      for (const n of consumers.get(v) ?? []) {
        if (n.opType === 'Gather' && n.input?.[1] === v) {
          const dims = tables.get(n.input[0] ?? '');
          if (!dims) continue;
          const axis = intAttr(n, 'axis', 0);
          const rows = dims[axis < 0 ? dims.length + axis : axis];
          if (rows === undefined || rows < 1) continue;
          // The source names the table's size, not the node: graph node names are internals a caller never sees.
          if (!best || rows - 1 < best.max) best = { min: 0, max: rows - 1, source: `the embedding table it indexes, ${rows} rows` };
        } else if (PASS_THROUGH.has(n.opType ?? '') && n.input?.[0] === v) {
          for (const o of n.output ?? []) if (!seen.has(o)) { seen.add(o); frontier.push(o); }
        }
      }
    }
    if (best) out[name] = best;
  }
  return out;
}

/** How messages name the files: repository-relative, never absolute. */
export interface ShownFiles {
  readonly model: string;
  readonly config: string;
}

/**
 * The valid ranges of a model's integer inputs: declared in config.json, else inferred from the embedding
 * tables of its FP32 graph. A declared range wider than the table the input indexes is a load error naming
 * the config file and field. Runs at every load, while other models serve: the graph is read off the event loop
 * and without its tensors' values (readModelStructureAsync).
 */
export async function validRanges(cfg: ModelConfig, fp32File: string, shown: ShownFiles): Promise<Record<string, InputRange>> {
  const needed = cfg.inputs.some((i) => i.dtype === 'int64' || i.dtype === 'int32' || i.dtype === 'uint8');
  const inferred = needed ? inferInputRanges(await readModelStructureAsync(fp32File, shown.model)) : {};
  const out: Record<string, InputRange> = {};
  for (const spec of cfg.inputs) {
    const fromGraph = inferred[spec.name];
    if (spec.range) {
      if (fromGraph && (spec.range.min < fromGraph.min || spec.range.max > fromGraph.max)) {
        throw new Error(`${shown.config}: field "inputs.${spec.name}.range": [${spec.range.min}, ${spec.range.max}] is wider than ${fromGraph.source}, valid [${fromGraph.min}, ${fromGraph.max}]`);
      }
      out[spec.name] = { ...spec.range, source: 'config.json' };
    } else if (fromGraph) {
      out[spec.name] = fromGraph;
    }
  }
  return out;
}

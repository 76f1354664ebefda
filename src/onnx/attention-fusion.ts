/**
 * Attention fusion: rewrites each BERT-style self-attention block of an FP32 graph into one ONNX Runtime
 * `com.microsoft.Attention` node, the rewrite ONNX Runtime's own offline transformer optimizer makes and its
 * session-time optimizer makes only for the exact subgraphs it knows (it did not for the bundled lead-intent).
 *
 * A block, as exporters and hand-built graphs write it (X [batch, seq, hidden]):
 *
 *     q = Transpose[0,2,1,3](Reshape(Add(MatMul(X, Wq), bq), [0, 0, H, D]))   (k and v alike)
 *     kT = Transpose[0,2,3,1](Reshape(...))   or   Transpose[0,1,3,2](k)
 *     p = Softmax(-1)(Add(Div(MatMul(q, kT), c), bias))   (Div or Mul by a constant, or neither; bias optional)
 *     out = Reshape(Transpose[0,2,1,3](MatMul(p, v)), [0, 0, H*D])
 *
 * becomes `Attention(X, [Wq|Wk|Wv], [bq|bk|bv], attention_bias = Expand(bias, [1, 1, seq, seq]))` with
 * `num_heads` H and `scale` 1/c (or c, or 1). One GEMM replaces three and one kernel replaces the block's 19
 * nodes, each of which costs a hand-off to the intra-op threads: measured on the bundled lead-intent (116 nodes
 * after ONNX Runtime's own fusions, 52 after this), a lone row ran 1-6% faster on two threads and a batch of 8
 * 2-4% faster (docs/benchmarks/2026-12-05-attention-fusion.md).
 *
 * Every tensor inside a block must be used by that block only (no other consumer, not a graph output), and
 * the weights, biases and head-split shapes must be constants (initializers or Constant nodes); anything else
 * is left as it is. The numbers change at the rounding level (one kernel's summation order and softmax instead
 * of the graph's), which is why the caller verifies the fused model against the original before serving it.
 * Not matched: attention with a packed input projection and shapes computed at run time, such as
 * `torch.nn.MultiheadAttention`'s export (the torch-text fixture), and cross-attention (different Q and K/V
 * inputs).
 */
import { GraphIndex, intAttr } from './graph-utils.js';
import { attr, floatTensor, int64Tensor, OnnxDataType, tensorFloats, tensorInts, type ModelProto, type NodeProto, type TensorProto } from './onnx-io.js';

/** A fused model and the number of attention blocks rewritten (0: the model is returned unchanged). */
export interface AttentionFusion {
  readonly model: ModelProto;
  readonly blocks: number;
}

const MS_DOMAIN = 'com.microsoft';

/** One projection of X into heads: its MatMul weight and bias, the head split, and the nodes it is made of. */
interface HeadsProjection {
  readonly x: string;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly heads: number;
  readonly headDim: number;
  readonly nodes: readonly NodeProto[];
}

/** A matched block: what the Attention node needs and every node it replaces. */
interface Block {
  readonly x: string;
  readonly q: HeadsProjection;
  readonly k: HeadsProjection;
  readonly v: HeadsProjection;
  readonly scale: number;
  readonly bias: string | undefined;
  readonly output: string;
  readonly nodes: readonly NodeProto[];
}

function sameInts(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The graph's lookups: who makes and who uses each tensor, and its constants. */
class GraphView {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly constants = new Map<string, TensorProto>();
  readonly graphOutputs: Set<string>;

  constructor(readonly model: ModelProto) {
    const g = model.graph ?? {};
    for (const t of g.initializer ?? []) if (t.name) this.constants.set(t.name, t);
    // A graph input with the same name overrides an initializer (it can be fed): not a constant.
    for (const i of g.input ?? []) if (i.name) this.constants.delete(i.name);
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) this.producer.set(o, n);
      for (const i of n.input ?? []) if (i) (this.consumers.get(i) ?? this.consumers.set(i, []).get(i) as NodeProto[]).push(n);
      if (n.opType === 'Constant' && (n.domain ?? '') === '' && n.output?.[0]) {
        const value = n.attribute?.find((a) => a.name === 'value')?.t;
        if (value) this.constants.set(n.output[0], value);
      }
    }
    this.graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  }

  /** The node making `name` when it has this op type and `name` is used by exactly one node and is no graph output. */
  soleFrom(name: string | undefined, opType: string): NodeProto | undefined {
    if (!name) return undefined;
    const n = this.producer.get(name);
    if (!n || n.opType !== opType || (n.domain ?? '') !== '' || !this.private(name)) return undefined;
    return n;
  }

  /** Whether exactly one node uses the tensor and it is not a graph output. */
  private(name: string): boolean {
    return (this.consumers.get(name)?.length ?? 0) === 1 && !this.graphOutputs.has(name);
  }

  /** The only node using `name`, when it has this op type. */
  soleUser(name: string | undefined, opType: string): NodeProto | undefined {
    if (!name || !this.private(name)) return undefined;
    const n = this.consumers.get(name)?.[0];
    return n && n.opType === opType && (n.domain ?? '') === '' ? n : undefined;
  }

  floats(name: string | undefined): Float32Array | undefined {
    const t = name === undefined ? undefined : this.constants.get(name);
    return t && t.dataType === OnnxDataType.FLOAT ? tensorFloats(t) : undefined;
  }

  ints(name: string | undefined): number[] | undefined {
    const t = name === undefined ? undefined : this.constants.get(name);
    return t ? tensorInts(t) : undefined;
  }

  dims(name: string): readonly number[] {
    return this.constants.get(name)?.dims ?? [];
  }

  /** A float constant with one element. */
  scalar(name: string | undefined): number | undefined {
    const f = this.floats(name);
    return f && f.length === 1 ? f[0] : undefined;
  }
}

/** A Reshape with allowzero=1 (opset 14) takes a 0 in its shape literally instead of copying the input's dim. */
function copiesZeros(n: NodeProto): boolean {
  return intAttr(n, 'allowzero', 0) !== 0;
}

function permOf(n: NodeProto): number[] | undefined {
  return n.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
}

/** X -> MatMul(W) [-> Add(b)] -> Reshape([0, 0|-1, H, D]) -> Transpose(perm), ending at `name`. */
function projection(view: GraphView, name: string | undefined, perm: readonly number[]): HeadsProjection | undefined {
  const tr = view.soleFrom(name, 'Transpose');
  if (!tr || !sameInts(permOf(tr), perm)) return undefined;
  const rs = view.soleFrom(tr.input?.[0], 'Reshape');
  const shape = view.ints(rs?.input?.[1]);
  if (!rs || copiesZeros(rs) || !shape || shape.length !== 4 || shape[0] !== 0 || (shape[1] !== 0 && shape[1] !== -1)) return undefined;
  const [heads, headDim] = [shape[2] as number, shape[3] as number];
  if (!(heads > 0 && headDim > 0)) return undefined;
  const add = view.soleFrom(rs.input?.[0], 'Add');
  let biasName: string | undefined;
  let mmName = rs.input?.[0];
  if (add) {
    const i = view.floats(add.input?.[1]) ? 1 : 0;
    biasName = add.input?.[i];
    mmName = add.input?.[1 - i];
  }
  const mm = view.soleFrom(mmName, 'MatMul');
  if (!mm) return undefined;
  const x = mm.input?.[0];
  const wName = mm.input?.[1] as string;
  const weight = view.floats(wName);
  const wDims = view.dims(wName);
  if (!x || !weight || wDims.length !== 2 || wDims[1] !== heads * headDim) return undefined;
  let bias: Float32Array = new Float32Array(heads * headDim);
  if (add) {
    const b = view.floats(biasName);
    if (!b || b.length !== heads * headDim || view.dims(biasName as string).length !== 1) return undefined;
    bias = b;
  }
  return { x, weight, bias, heads, headDim, nodes: [mm, ...(add ? [add] : []), rs, tr] };
}

/** K as [B, H, D, S]: Transpose[0,2,3,1] of the split heads, or Transpose[0,1,3,2] of Transpose[0,2,1,3]. */
function keyProjection(view: GraphView, name: string | undefined): HeadsProjection | undefined {
  const direct = projection(view, name, [0, 2, 3, 1]);
  if (direct) return direct;
  const tr = view.soleFrom(name, 'Transpose');
  if (!tr || !sameInts(permOf(tr), [0, 1, 3, 2])) return undefined;
  const k = projection(view, tr.input?.[0], [0, 2, 1, 3]);
  return k && { ...k, nodes: [...k.nodes, tr] };
}

/** Softmax(axis -1 over rank 4) -> the block around it, or undefined when anything does not fit. */
function matchBlock(view: GraphView, sm: NodeProto, opset: number): Block | undefined {
  // Before opset 13 Softmax flattened from its axis (default 1): only an explicit last axis means the same.
  const axis = intAttr(sm, 'axis', opset >= 13 ? -1 : 1);
  if (axis !== -1 && axis !== 3) return undefined;
  const add = view.soleFrom(sm.input?.[0], 'Add');
  if (!add) return matchScores(view, sm, sm.input?.[0], undefined, [sm]);
  // Either side of the Add may be the scores; the other is the bias.
  return matchScores(view, sm, add.input?.[0], add.input?.[1], [sm, add]) ?? matchScores(view, sm, add.input?.[1], add.input?.[0], [sm, add]);
}

/** The rest of a block, given the tensor Softmax (after the bias) reads the scores from. */
function matchScores(view: GraphView, sm: NodeProto, scoresName: string | undefined, bias: string | undefined, nodes: NodeProto[]): Block | undefined {
  let scale: number | undefined = 1;
  let qk = view.soleFrom(scoresName, 'MatMul');
  const own = [...nodes];
  if (!qk) {
    const div = view.soleFrom(scoresName, 'Div');
    const mul = view.soleFrom(scoresName, 'Mul');
    if (div) {
      const c = view.scalar(div.input?.[1]);
      scale = c === undefined || c === 0 ? undefined : 1 / c;
      qk = view.soleFrom(div.input?.[0], 'MatMul');
      own.push(div);
    } else if (mul) {
      const i = view.scalar(mul.input?.[1]) !== undefined ? 1 : 0;
      scale = view.scalar(mul.input?.[i]);
      qk = view.soleFrom(mul.input?.[1 - i], 'MatMul');
      own.push(mul);
    }
  }
  if (!qk || scale === undefined || !Number.isFinite(scale)) return undefined;
  own.push(qk);
  const q = projection(view, qk.input?.[0], [0, 2, 1, 3]);
  const k = keyProjection(view, qk.input?.[1]);
  const ctx = view.soleUser(sm.output?.[0], 'MatMul');
  if (!q || !k || !ctx || ctx.input?.[0] !== sm.output?.[0]) return undefined;
  const v = projection(view, ctx.input?.[1], [0, 2, 1, 3]);
  const merge = view.soleUser(ctx.output?.[0], 'Transpose');
  const out = merge && sameInts(permOf(merge), [0, 2, 1, 3]) ? view.soleUser(merge.output?.[0], 'Reshape') : undefined;
  if (!v || !merge || !out || copiesZeros(out)) return undefined;
  const hidden = q.heads * q.headDim;
  const s = view.ints(out.input?.[1]);
  // [0, 0 | -1, H*D] or [0, 0, -1]: batch and sequence kept, the heads merged.
  const merges = s !== undefined && s.length === 3 && s[0] === 0 && ((s[1] === 0 || s[1] === -1) && s[2] === hidden || s[1] === 0 && s[2] === -1);
  if (!merges) return undefined;
  // Self-attention over one input, the same head split for Q, K and V.
  for (const p of [k, v]) if (p.x !== q.x || p.heads !== q.heads || p.headDim !== q.headDim || p.weight.length !== q.weight.length) return undefined;
  const all = [...own, ...q.nodes, ...k.nodes, ...v.nodes, ctx, merge, out];
  // The bias is read before the block runs: it cannot be one of the block's own tensors.
  if (bias !== undefined && all.some((n) => n.output?.includes(bias))) return undefined;
  return { x: q.x, q, k, v, scale, bias, output: out.output?.[0] as string, nodes: all };
}

/** [Wq | Wk | Wv] as one [in, 3 * hidden] matrix. */
function packWeights(q: HeadsProjection, k: HeadsProjection, v: HeadsProjection): Float32Array {
  const hidden = q.heads * q.headDim;
  const rows = q.weight.length / hidden;
  const w = new Float32Array(rows * 3 * hidden);
  for (let r = 0; r < rows; r++) {
    for (const [j, p] of [q, k, v].entries()) w.set(p.weight.subarray(r * hidden, (r + 1) * hidden), r * 3 * hidden + j * hidden);
  }
  return w;
}

/** Orders nodes so every input is made before it is used (stable: the original order where it already is). */
function topoSort(nodes: readonly NodeProto[], available: ReadonlySet<string>): NodeProto[] {
  const made = new Set(available);
  const out: NodeProto[] = [];
  let pending = [...nodes];
  while (pending.length > 0) {
    const next: NodeProto[] = [];
    for (const n of pending) {
      if ((n.input ?? []).every((i) => !i || made.has(i))) {
        out.push(n);
        for (const o of n.output ?? []) made.add(o);
      } else {
        next.push(n);
      }
    }
    if (next.length === pending.length) throw new Error('attention fusion: the rewritten graph has a cycle or a missing input');
    pending = next;
  }
  return out;
}

/**
 * Rewrites every matched attention block of the model (a new object; the input is not changed). Blocks that
 * do not match stay as they are.
 */
export function fuseAttention(model: ModelProto): AttentionFusion {
  const graph = model.graph;
  if (!graph?.node?.some((n) => n.opType === 'Softmax')) return { model, blocks: 0 };
  // A subgraph (If, Loop, Scan) may read any tensor of the graph: who uses what is not known here.
  if (graph.node.some((n) => n.attribute?.some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0))) return { model, blocks: 0 };
  const opset = model.opsetImport?.find((o) => (o.domain ?? '') === '')?.version ?? 1;
  const msOpset = model.opsetImport?.find((o) => o.domain === MS_DOMAIN)?.version;
  if (msOpset !== undefined && msOpset < 1) return { model, blocks: 0 };
  const view = new GraphView(model);
  const blocks: Block[] = [];
  const claimed = new Set<NodeProto>();
  for (const n of graph.node) {
    if (n.opType !== 'Softmax' || (n.domain ?? '') !== '') continue;
    const b = matchBlock(view, n, opset);
    if (b && !b.nodes.some((x) => claimed.has(x))) {
      blocks.push(b);
      for (const x of b.nodes) claimed.add(x);
    }
  }
  if (blocks.length === 0) return { model, blocks: 0 };

  const names = new GraphIndex(graph);
  const initializers: TensorProto[] = [];
  const added: NodeProto[] = [];
  const expanded = new Map<string, string>();
  for (const b of blocks) {
    const base = names.unique(`${b.output}/fused_attention`);
    const hidden = b.q.heads * b.q.headDim;
    const w = names.unique(`${base}/qkv_weight`);
    const bias = names.unique(`${base}/qkv_bias`);
    initializers.push(floatTensor(w, [b.q.weight.length / hidden, 3 * hidden], packWeights(b.q, b.k, b.v)));
    const packedBias = new Float32Array(3 * hidden);
    packedBias.set(b.q.bias, 0);
    packedBias.set(b.k.bias, hidden);
    packedBias.set(b.v.bias, 2 * hidden);
    initializers.push(floatTensor(bias, [3 * hidden], packedBias));
    const inputs = [b.x, w, bias];
    if (b.bias !== undefined) {
      // Attention takes the bias as [batch or 1, heads or 1, seq, seq]: broadcast it there once per bias tensor
      // (self-attention: every block using one bias has the same sequence length).
      let full = expanded.get(b.bias);
      if (!full) {
        const e = names.unique(`${base}/bias`);
        const [shape, seq, target, ones, one] = ['shape', 'seq', 'target', 'ones', 'seq_axis'].map((s) => names.unique(`${e}/${s}`)) as [string, string, string, string, string];
        initializers.push(int64Tensor(ones, [2], [1, 1]), int64Tensor(one, [1], [1]));
        full = names.unique(`${e}/expanded`);
        added.push(
          { opType: 'Shape', name: shape, input: [b.x], output: [shape] },
          { opType: 'Gather', name: seq, input: [shape, one], output: [seq], attribute: [attr('axis', 0, 'int')] },
          { opType: 'Concat', name: target, input: [ones, seq, seq], output: [target], attribute: [attr('axis', 0, 'int')] },
          { opType: 'Expand', name: full, input: [b.bias, target], output: [full] },
        );
        expanded.set(b.bias, full);
      }
      inputs.push('', '', full);
    }
    const attrs = [attr('num_heads', b.q.heads, 'int'), attr('scale', b.scale, 'float')];
    added.push({ opType: 'Attention', domain: MS_DOMAIN, name: base, input: inputs, output: [b.output], attribute: attrs });
  }

  const nodes = [...graph.node.filter((n) => !claimed.has(n)), ...added];
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  // Constant nodes only the replaced blocks used go too.
  const kept = nodes.filter((n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => used.has(o)));
  const keptInitializers = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...initializers];
  const available = new Set<string>([...(graph.input ?? []).map((i) => i.name ?? ''), ...keptInitializers.map((t) => t.name ?? '')]);
  // Shape annotations of the replaced tensors go with them.
  const known = new Set(kept.flatMap((n) => n.output ?? []));
  const opsetImport = [...(model.opsetImport ?? [])];
  if (msOpset === undefined) opsetImport.push({ domain: MS_DOMAIN, version: 1 });
  return {
    model: { ...model, opsetImport, graph: { ...graph, node: topoSort(kept, available), initializer: keptInitializers, valueInfo: (graph.valueInfo ?? []).filter((v) => known.has(v.name ?? '')) } },
    blocks: blocks.length,
  };
}

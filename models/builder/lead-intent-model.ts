/**
 * lead-intent: a small BERT-style transformer encoder classifying a tokenised lead message into 8 intents.
 * input_ids int64 [batch,64] + attention_mask int64 [batch,64] -> logits float32 [batch,8].
 *
 * Token embedding (Gather) + learned positions -> LayerNorm -> 4 post-LN encoder layers (4-head softmax
 * attention with an additive mask bias, GELU FFN 256-1024-256) -> masked mean pooling -> LayerNorm ->
 * Linear(256->8), plus a lexical prior (per-token class scores, masked mean). Every projection is a MatMul with a constant weight plus an Add bias, so dynamic INT8
 * quantization can replace them with MatMulInteger. About 210M multiply-adds per row: heavy enough that
 * batching and INT8 change throughput measurably. Weights are seeded random (untrained).
 */
import type { ModelProto } from '../../src/onnx/onnx-io.js';
import { GraphBuilder, batchIO } from './graph-builder.js';
import { gelu, heLimit, layerNorm, linear, xavierLimit } from './layers.js';

/** Architecture of lead-intent; the config.json signature must agree with SEQ and CLASSES. */
export const LEAD_INTENT = Object.freeze({ vocab: 8192, seq: 64, hidden: 256, layers: 4, heads: 4, ffn: 1024, classes: 8 });

/** Bumped whenever the recipe changes the bytes it writes (recorded in the model's metadata). */
const RECIPE = 'lead-intent-v2';

/** Added to attention scores of padding keys: large enough to zero them after Softmax, small enough for fp16. */
const MASK_BIAS = -10_000;

/** Uniform bound giving standard deviation `std`. */
function stdLimit(std: number): number {
  return std * Math.sqrt(3);
}

/**
 * Residual-branch output projections are scaled down by 1/sqrt(2 * layers) (the GPT-2 initialisation): the
 * exact token-embedding signal on the residual path stays dominant, so INT8 rounding in early layers is not
 * amplified through the later ones (measured: logits relL2 vs FP32 0.030 -> 0.018 under simulated INT8).
 */
const BRANCH = 1 / Math.sqrt(2 * LEAD_INTENT.layers);

/**
 * Std of the per-token class scores of the lexical prior (see buildLeadIntent). Measured with simulated dynamic
 * INT8 (uint8 per-tensor activations over a 2048-row batch, int8 per-channel weights): top-1 agreement 0.984
 * at 10, 0.992 at 20, 0.994 at 30 (1.000 over 32 rows); the encoder still decides 22% of argmaxes at 30 (33% at
 * 20), so an INT8 variant with a broken encoder fails the top-1 gate.
 */
const LEXICON_STD = 30;

function attention(g: GraphBuilder, x: string, maskBias: string, scope: string): string {
  const { hidden, heads } = LEAD_INTENT;
  const headDim = hidden / heads;
  const lim = xavierLimit(hidden, hidden);
  // Shapes use 0 (copy the input dim) and -1 so the graph never bakes in the batch size.
  const splitShape = g.ints(`${scope}/split_heads_shape`, [0, 0, heads, headDim]);
  const mergeShape = g.ints(`${scope}/merge_heads_shape`, [0, 0, hidden]);
  const project = (name: string, perm: number[]): string => {
    const p = linear(g, x, `${scope}/${name}`, hidden, hidden, lim);
    return g.op('Transpose', [g.op('Reshape', [p, splitShape], `${scope}/${name}`)], `${scope}/${name}`, { perm });
  };
  const q = project('query', [0, 2, 1, 3]); // [B, H, S, D]
  const kT = project('key', [0, 2, 3, 1]); // [B, H, D, S]
  const v = project('value', [0, 2, 1, 3]); // [B, H, S, D]
  const scores = g.op('Div', [g.op('MatMul', [q, kT], scope), g.scalar(`${scope}/sqrt_head_dim`, Math.sqrt(headDim))], scope);
  const probs = g.op('Softmax', [g.op('Add', [scores, maskBias], scope)], scope, { axis: -1 });
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, v], scope)], scope, { perm: [0, 2, 1, 3] }); // [B, S, H, D]
  return linear(g, g.op('Reshape', [ctx, mergeShape], scope), `${scope}/output`, hidden, hidden, lim * BRANCH);
}

function encoderLayer(g: GraphBuilder, x: string, maskBias: string, i: number): string {
  const { hidden, ffn } = LEAD_INTENT;
  const scope = `layer${i}`;
  const a = layerNorm(g, g.op('Add', [x, attention(g, x, maskBias, `${scope}/attention`)], scope), `${scope}/attention_norm`, hidden);
  const up = gelu(g, linear(g, a, `${scope}/ffn_in`, hidden, ffn, heLimit(hidden)), `${scope}/ffn`);
  // GELU outputs have a positive mean; with random (untrained) weights that mean would add the same vector to
  // every token, and after mean pooling it would drown the per-message signal (one class would win almost
  // always). Zero-sum columns cancel it.
  const down = linear(g, up, `${scope}/ffn_out`, ffn, hidden, xavierLimit(ffn, hidden) * BRANCH, { centerColumns: true });
  return layerNorm(g, g.op('Add', [a, down], scope), `${scope}/ffn_norm`, hidden);
}

/** Builds the lead-intent transformer encoder. */
export function buildLeadIntent(): ModelProto {
  const { vocab, seq, hidden, layers, classes } = LEAD_INTENT;
  const g = new GraphBuilder('lead-intent');

  // Embeddings: token vectors have unit std; positions are smaller so the token content, not the slot,
  // dominates each row and the classes differ across inputs.
  const tokens = g.op('Gather', [g.uniform('embeddings/token', [vocab, hidden], stdLimit(1)), 'input_ids'], 'embeddings', { axis: 0 });
  const positions = g.uniform('embeddings/position', [seq, hidden], stdLimit(0.2));
  let x = layerNorm(g, g.op('Add', [tokens, positions], 'embeddings'), 'embeddings/norm', hidden);

  // Mask [B,S] (1 = token, 0 = padding) -> additive bias [B,1,1,S] broadcast over heads and queries.
  const mask = g.op('Cast', ['attention_mask'], 'mask', { to: 1 /* FLOAT */ });
  const inverted = g.op('Sub', [g.scalar('mask/one', 1), mask], 'mask');
  const bias4d = g.op('Unsqueeze', [g.op('Mul', [inverted, g.scalar('mask/bias', MASK_BIAS)], 'mask'), g.ints('mask/bias_axes', [1, 2])], 'mask');

  for (let i = 0; i < layers; i++) x = encoderLayer(g, x, bias4d, i);

  // Masked mean over real tokens; the count is clamped to >= 1 so an all-padding row gives zeros, not NaN.
  const mask3d = g.op('Unsqueeze', [mask, g.ints('pool/token_axis', [2])], 'pool');
  const summed = g.op('ReduceSum', [g.op('Mul', [x, mask3d], 'pool'), g.ints('pool/seq_axis', [1])], 'pool', { keepdims: 0 });
  const count = g.op('Max', [g.op('ReduceSum', [mask, g.ints('pool/count_axis', [1])], 'pool', { keepdims: 1 }), g.scalar('pool/min_count', 1)], 'pool');
  const pooled = layerNorm(g, g.op('Div', [summed, count], 'pool'), 'pool/norm', hidden);

  // Classifier weights give logits a std of ~2 over the normalised pooled vector: clear top-1 margins,
  // so INT8-vs-FP32 top-1 agreement measures the quantizer rather than ties.
  const w = g.uniform('classifier/weight', [hidden, classes], stdLimit(2 / Math.sqrt(hidden)));
  const b = g.filled('classifier/bias', [classes], 0);
  const encoderLogits = g.op('Add', [g.op('MatMul', [pooled, w], 'classifier'), b], 'classifier');

  // Lexical prior (a fastText-style keyword head, as in wide-and-deep models): every token id carries 8 class
  // scores, masked-averaged over the message and added to the encoder's logits. An untrained encoder alone
  // gives near-ties between classes on random messages, so INT8 rounding flipped ~3% of argmaxes and the
  // top-1 gate could not pass; trained classifiers are confident, and this head gives the bundled model that
  // property. It is a Gather (exact under INT8), so it adds margin without hiding encoder errors.
  const lex = g.op('Gather', [g.uniform('lexicon/class_scores', [vocab, classes], stdLimit(LEXICON_STD)), 'input_ids'], 'lexicon', { axis: 0 });
  const lexSum = g.op('ReduceSum', [g.op('Mul', [lex, mask3d], 'lexicon'), g.ints('lexicon/seq_axis', [1])], 'lexicon', { keepdims: 0 });
  g.op('Add', [encoderLogits, g.op('Div', [lexSum, count], 'lexicon')], 'classifier', {}, 'logits');

  return g.build({
    inputs: [batchIO('input_ids', 'int64', [seq]), batchIO('attention_mask', 'int64', [seq])],
    outputs: [batchIO('logits', 'float32', [classes])],
    doc: 'lead-intent: 8-way intent logits of a tokenised lead message; 4-layer transformer encoder (untrained, seeded weights).',
    recipe: RECIPE,
  });
}

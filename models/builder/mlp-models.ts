/**
 * The two tabular bundled models: lead-scoring (classifier, sigmoid probability) and property-valuation
 * (regression scaled to a USD price). Untrained: weights are seeded random with He/Xavier scaling so the
 * outputs are spread over a plausible range for standard-normal features (not saturated at 0/1).
 */
import type { ModelProto } from '../../src/onnx/onnx-io.js';
import { GraphBuilder, batchIO } from './graph-builder.js';
import { heLimit, linear, xavierLimit } from './layers.js';

/** Bumped whenever a recipe changes the bytes it writes (recorded in the model's metadata). */
const RECIPE = 'mlp-v1';

/** Hidden ReLU layers: dims [in, h1, h2, ...]; returns the last hidden activation. */
function reluStack(g: GraphBuilder, x: string, dims: number[]): string {
  let h = x;
  for (let i = 1; i < dims.length; i++) {
    const inDim = dims[i - 1] as number, outDim = dims[i] as number;
    h = g.op('Relu', [linear(g, h, `fc${i}`, inDim, outDim, heLimit(inDim))], `fc${i}`);
  }
  return h;
}

/** lead-scoring: features float32 [batch,32] -> probability float32 [batch,1]; MLP 32-256-256-1, Sigmoid. */
export function buildLeadScoring(): ModelProto {
  const g = new GraphBuilder('lead-scoring');
  const h = reluStack(g, 'features', [32, 256, 256]);
  // The head is Xavier-scaled: with He-scaled ReLU layers the logit std is ~1.5, so the sigmoid stays in its
  // informative range instead of pinning probabilities at 0 or 1.
  const logit = linear(g, h, 'head', 256, 1, xavierLimit(256, 1));
  g.op('Sigmoid', [logit], 'head', {}, 'probability');
  return g.build({
    inputs: [batchIO('features', 'float32', [32])],
    outputs: [batchIO('probability', 'float32', [1])],
    doc: 'lead-scoring: conversion probability from 32 standardized lead features (untrained, seeded weights).',
    recipe: RECIPE,
  });
}

/** Price scale of property-valuation: value = PRICE_MEAN + PRICE_STD * z (USD). */
export const PRICE_MEAN = 400_000;
/** See PRICE_MEAN. */
export const PRICE_STD = 100_000;

/** property-valuation: features float32 [batch,24] -> value float32 [batch,1]; MLP 24-128-128-1, then * 1e5 + 4e5. */
export function buildPropertyValuation(): ModelProto {
  const g = new GraphBuilder('property-valuation');
  const h = reluStack(g, 'features', [24, 128, 128]);
  const z = linear(g, h, 'head', 128, 1, xavierLimit(128, 1));
  // The scale lives in the graph (Mul/Add) so clients get dollars, the way a trained model exported with its
  // target de-standardisation would behave.
  const scaled = g.op('Mul', [z, g.scalar('head/price_std', PRICE_STD)], 'head');
  g.op('Add', [scaled, g.scalar('head/price_mean', PRICE_MEAN)], 'head', {}, 'value');
  return g.build({
    inputs: [batchIO('features', 'float32', [24])],
    outputs: [batchIO('value', 'float32', [1])],
    doc: `property-valuation: USD value = ${PRICE_MEAN} + ${PRICE_STD} * z from 24 standardized property features (untrained, seeded weights).`,
    recipe: RECIPE,
  });
}

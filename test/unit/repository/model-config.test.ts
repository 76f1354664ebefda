import { describe, it, expect } from 'vitest';
import { parseModelConfig, warmupBatchSizes, ModelConfigError } from '../../../src/repository/model-config.js';

const base = {
  name: 'm', inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
};

describe('model config', () => {
  it('fills defaults from one defaults object', () => {
    const c = parseModelConfig(base, 'm/config.json');
    expect(c.maxBatchSize).toBe(64);
    expect(c.dynamicBatching).toEqual({ maxQueueDelayMs: 10, preferredBatchSizes: [], maxQueueSize: 4096, defaultTimeoutMs: 0 });
    expect(c.cache).toEqual({ enabled: true, ttlSeconds: 300 });
    expect(c.variants.default).toBe('auto');
  });

  it.each([
    [{ ...base, maxBatchSize: 0 }, /m\/config.json: field "maxBatchSize"/],
    [{ ...base, inputs: [{ name: 'x', dtype: 'float64', shape: [-1, 4] }] }, /field "inputs.0.dtype"/],
    [{ ...base, inputs: [{ name: 'x', dtype: 'float32', shape: [4, 4] }] }, /field "inputs.0.shape": dim 0 must be -1/],
    [{ ...base, dynamicBatching: { maxQueueDelayMs: -1 } }, /field "dynamicBatching.maxQueueDelayMs"/],
    [{ ...base, dynamicBatching: { preferredBatchSizes: [128] } }, /field "dynamicBatching.preferredBatchSizes.0": 128 exceeds maxBatchSize 64/],
    [{ ...base, typo: true }, /typo/],
    [{ ...base, inputs: [base.inputs[0], base.inputs[0]] }, /duplicate input name "x"/],
  ])('rejects a bad config naming the file and field (%#)', (raw, re) => {
    expect(() => parseModelConfig(raw, 'm/config.json')).toThrow(ModelConfigError);
    expect(() => parseModelConfig(raw, 'm/config.json')).toThrow(re);
  });

  it('warms the configured buckets, else 1, the preferred sizes and the max', () => {
    expect(warmupBatchSizes(parseModelConfig({ ...base, maxBatchSize: 32, dynamicBatching: { preferredBatchSizes: [8, 16] } }, 'f'))).toEqual([1, 8, 16, 32]);
    expect(warmupBatchSizes(parseModelConfig({ ...base, warmup: { batchSizes: [4, 2, 4] } }, 'f'))).toEqual([2, 4]);
  });
});

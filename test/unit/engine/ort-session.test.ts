import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { sessionOptions } from '../../../src/engine/ort-session.js';
import { readModel } from '../../../src/onnx/onnx-io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-ort-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The op types of the graph ONNX Runtime runs for these options (it writes its optimized graph to a file). */
async function optimizedOps(options: ort.InferenceSession.SessionOptions, name: string): Promise<string[]> {
  const file = path.join(dir, `${name}.onnx`);
  const s = await ort.InferenceSession.create(path.resolve('models/lead-intent/1/model.onnx'), { ...options, optimizedModelFilePath: file });
  await s.release();
  return (readModel(file).graph?.node ?? []).map((n) => n.opType ?? '');
}

describe('session options', () => {
  it('leave out the optimizers a variant disables, and only those', async () => {
    const settings = { intraOpThreads: 1, graphOptimizationLevel: 'extended' } as const;
    expect(sessionOptions(settings)).not.toHaveProperty('extra');
    const off = sessionOptions({ ...settings, disabledOptimizers: ['SkipLayerNormFusion'] });
    expect(off.extra).toEqual({ optimization: { disable_specified_optimizers: 'SkipLayerNormFusion' } });
    // ONNX Runtime really runs without it: its optimized lead-intent graph has no SkipLayerNormalization, and
    // still has the other fusions of the level (BiasGelu).
    const [withIt, without] = [await optimizedOps(sessionOptions(settings), 'with'), await optimizedOps(off, 'without')];
    expect(withIt.filter((o) => o === 'SkipLayerNormalization')).toHaveLength(8);
    expect(without).not.toContain('SkipLayerNormalization');
    expect(without.filter((o) => o === 'LayerNormalization')).toHaveLength(10);
    expect(without).toContain('BiasGelu');
  });
});

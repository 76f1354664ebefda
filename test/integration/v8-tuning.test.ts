import { describe, expect, it } from 'vitest';
import { spawnServer } from '../helpers/child-server.js';
import { tuneV8 } from '../../src/v8-tuning.js';

describe('V8 settings of the serving process', () => {
  it('turns allocation-site pretenuring off unless HUB_V8_PRETENURING keeps it', () => {
    expect(tuneV8({ pretenuring: true })).toEqual([]);
    expect(tuneV8({ pretenuring: false })).toEqual(['--no-allocation-site-pretenuring']);
  });

  it('the server sets them on itself at start and says so; HUB_V8_PRETENURING=true leaves V8 as it is', async () => {
    const tuned = await spawnServer({ HUB_PRELOAD_TOP: '0' });
    await tuned.stop();
    const line = tuned.output().split('\n').find((l) => l.includes('V8 flags set for serving'));
    expect(line && JSON.parse(line).v8Flags).toEqual(['--no-allocation-site-pretenuring']);
    const plain = await spawnServer({ HUB_PRELOAD_TOP: '0', HUB_V8_PRETENURING: 'true' });
    await plain.stop();
    expect(plain.output()).toContain('"msg":"serving"');
    expect(plain.output()).not.toContain('V8 flags set for serving');
  });
});

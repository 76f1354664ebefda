import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../helpers/child-server.js';
import { missingServeFlags, SERVE_NODE_FLAGS, serveArgs, tuneV8 } from '../../src/v8-tuning.js';

const START_WARNING = 'started without the Node flags hub-inference serves with';

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

  it('finds the start-up flags by name on the command line or in NODE_OPTIONS, with any value', () => {
    expect(SERVE_NODE_FLAGS).toEqual(['--max-semi-space-size=32']);
    expect(missingServeFlags([], '')).toEqual(['--max-semi-space-size=32']);
    expect(missingServeFlags(['--max-semi-space-size=32'], '')).toEqual([]);
    expect(missingServeFlags(['--max-semi-space-size=128'], '')).toEqual([]); // the operator's own size
    expect(missingServeFlags([], '--enable-source-maps --max_semi_space_size=32')).toEqual([]);
    expect(missingServeFlags(['--max-old-space-size=64'], '--inspect')).toEqual(['--max-semi-space-size=32']);
  });

  it('npm start, both images, the tests\' and the bench\'s child servers start the server with them', () => {
    expect(serveArgs()).toEqual([...SERVE_NODE_FLAGS, 'dist/src/main.js']);
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
    expect(start).toBe(`node ${serveArgs().join(' ')}`);
    for (const file of ['Dockerfile.cpu', 'Dockerfile.gpu']) {
      const cmd = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('CMD ')).at(-1);
      expect(cmd, file).toBe(`CMD ${JSON.stringify(['node', ...serveArgs()]).replace(/,/g, ', ')}`);
    }
  });

  it('warns at start when started without them (plain `node dist/src/main.js`), and not when started as npm start does', async () => {
    const bare = await spawnServer({ HUB_PRELOAD_TOP: '0', NODE_OPTIONS: '' }, 120_000, []);
    await bare.stop();
    const warning = bare.output().split('\n').find((l) => l.includes(START_WARNING));
    expect(warning && JSON.parse(warning)).toMatchObject({ level: 40, missing: ['--max-semi-space-size=32'] });
    expect(bare.output()).toContain('"msg":"serving"'); // a warning, not a refusal
    const started = await spawnServer({ HUB_PRELOAD_TOP: '0', NODE_OPTIONS: '' });
    await started.stop();
    expect(started.output()).toContain('"msg":"serving"');
    expect(started.output()).not.toContain(START_WARNING);
  });
});

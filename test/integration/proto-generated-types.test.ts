import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPackageDefinition, PROTO_FILE, protoRoot } from '../../src/proto/hub-proto.js';
import { CACHE_FROM_ENUM, VARIANT_FROM_ENUM, WIRE_TO_DTYPE } from '../../src/proto/enums.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)).map((x) => path.join(f, x)) : [f])).sort();
}

describe('the proto module', () => {
  it('has generated types equal to what `npm run proto:types` writes from the .proto today', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'hub-gen-'));
    try {
      const script = JSON.parse(readFileSync('package.json', 'utf8')).scripts['proto:types'] as string;
      const args = script.split(' ').slice(1).map((a) => (a.startsWith('--outDir=') ? `--outDir=${out}` : a));
      execFileSync(path.resolve('node_modules/.bin/proto-loader-gen-types'), args, { stdio: 'pipe' });
      const committed = path.resolve('src/proto/generated');
      expect(files(out)).toEqual(files(committed));
      for (const f of files(out)) expect(readFileSync(path.join(committed, f), 'utf8'), f).toBe(readFileSync(path.join(out, f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('maps every enum value of the .proto, and nothing else', () => {
    const def = loadPackageDefinition();
    const values = (name: string): string[] => ((def[`hub.inference.v1.${name}`] as { type: { value: { name: string }[] } }).type.value.map((v) => v.name));
    expect(Object.keys(VARIANT_FROM_ENUM).sort()).toEqual(values('Variant').sort());
    expect(Object.keys(CACHE_FROM_ENUM).sort()).toEqual(values('CachePolicy').sort());
    expect(Object.keys(WIRE_TO_DTYPE).sort()).toEqual(values('DataType').filter((v) => v !== 'DATA_TYPE_UNSPECIFIED').sort());
    expect(readFileSync(path.join(protoRoot(), PROTO_FILE), 'utf8')).toMatch(/package hub\.inference\.v1;/);
  });
});

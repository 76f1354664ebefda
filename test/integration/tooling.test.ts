/** The project's own tooling runs clean: no warnings that hide real ones. */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

describe('tooling', () => {
  it('npm reads the project .npmrc without "Unknown project config" warnings', () => {
    const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('true');
    expect(r.stderr).not.toMatch(/Unknown project config/);
  });

  it('the import-cycle check finds no cycle and says what its warnings are', () => {
    const r = spawnSync('npm', ['run', '--silent', 'cycles'], { encoding: 'utf8', timeout: 120_000 });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status).toBe(0);
    expect(out).toMatch(/No circular dependency found/);
    // madge cannot resolve vega-lite's ESM-only package (a bench-only chart library) and skips it: shown, named.
    const warned = /\((\d+) warnings?\)/.exec(out);
    if (warned) expect(out).toMatch(new RegExp(`Skipped ${warned[1]} files?\\s+vega-lite`));
  });
});

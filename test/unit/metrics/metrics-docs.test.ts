import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { registry } from '../../../src/metrics/metrics.js';

const doc = readFileSync('docs/metrics.md', 'utf8');
/** Names in the first column of docs/metrics.md's tables, with their documented type. */
const documented = new Map([...doc.matchAll(/^\| `(hub_[a-z0-9_]+)` \| (counter|gauge|histogram|summary) \|/gm)].map((m) => [m[1]!, m[2]!]));

describe('docs/metrics.md', () => {
  it('documents every metric in the registry with its type', async () => {
    const registered = await registry.getMetricsAsJSON();
    const missing = registered.filter((m) => !documented.has(m.name)).map((m) => m.name);
    expect(missing).toEqual([]);
    const wrongType = registered.filter((m) => documented.get(m.name) !== String(m.type)).map((m) => `${m.name}: ${m.type}`);
    expect(wrongType).toEqual([]);
  });

  it('documents no metric that does not exist', async () => {
    const names = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...documented.keys()].filter((n) => !names.has(n))).toEqual([]);
  });
});

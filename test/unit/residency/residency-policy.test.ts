import { describe, it, expect } from 'vitest';
import { residencyPolicy } from '../../../src/residency/residency-policy.js';

const m = (name: string, priority: number, demand: number, lastUsedAt: number) => ({ name, priority, demand, hasHistory: demand > 0, lastUsedAt });
const models = [m('a', 90, 0, 300), m('b', 10, 5, 100), m('c', 50, 0.5, 200), m('d', 0, 0, 0)];
const order = (cmp: (x: typeof models[number], y: typeof models[number]) => number) => [...models].sort(cmp).map((x) => x.name);

describe('residency policies', () => {
  it('static ranks by preload.priority alone, both ways', () => {
    const p = residencyPolicy('static');
    expect(order(p.compareForPreload)).toEqual(['a', 'c', 'b', 'd']);
    expect(order(p.compareForEviction)).toEqual(['d', 'b', 'c', 'a']);
    expect(p.loadsAhead).toBe(false);
  });

  it('lru preloads by priority and evicts the least recently used', () => {
    const p = residencyPolicy('lru');
    expect(order(p.compareForPreload)).toEqual(['a', 'c', 'b', 'd']);
    expect(order(p.compareForEviction)).toEqual(['d', 'b', 'c', 'a']);
    expect(p.loadsAhead).toBe(false);
  });

  it('predicted preloads by demand, falls back to priority without demand, and evicts the lowest demand', () => {
    const p = residencyPolicy('predicted');
    expect(order(p.compareForPreload)).toEqual(['b', 'c', 'a', 'd']);
    // a and d both have no demand: the lower priority goes first.
    expect(order(p.compareForEviction)).toEqual(['d', 'a', 'c', 'b']);
    expect(p.loadsAhead).toBe(true);
    expect(p.evictionReason(models[2]!)).toBe('lowest predicted near-term demand (1800 req/h)');
  });
});

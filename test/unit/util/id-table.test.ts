import { describe, it, expect } from 'vitest';
import { IdTable } from '../../../src/util/id-table.js';
import { seededRandom } from '../../../src/repository/sample-inputs.js';

describe('IdTable', () => {
  it('answers like a Map over 20,000 random sets, deletes and reads, with ids growing the way stream ids do', () => {
    const r = seededRandom(7); // reproducible: a failure replays
    const table = new IdTable<{ v: number }>();
    const map = new Map<number, { v: number }>();
    let next = 1;
    for (let i = 0; i < 20_000; i++) {
      const op = r();
      if (op < 0.4) {
        const id = next; next += 2; // HTTP/2 client streams: odd, increasing
        const v = { v: i };
        expect(table.set(id, v)).toBe(table);
        map.set(id, v);
      } else if (op < 0.75 && map.size > 0) {
        const ids = [...map.keys()];
        const id = ids[Math.floor(r() * ids.length)]!;
        expect(table.delete(id)).toBe(map.delete(id));
      } else {
        const id = Math.floor(r() * next);
        expect(table.get(id)).toBe(map.get(id));
        expect(table.has(id)).toBe(map.has(id));
        expect(table.delete(id + 1_000_000)).toBe(false);
      }
      expect(table.size).toBe(map.size);
    }
    const sorted = [...map.entries()].sort((a, b) => a[0] - b[0]);
    expect([...table]).toEqual(sorted);
    expect([...table.keys()]).toEqual(sorted.map((e) => e[0]));
    expect([...table.values()]).toEqual(sorted.map((e) => e[1]));
  });

  it('overwrites without growing, and clear empties it', () => {
    const table = new IdTable<string>();
    table.set(3, 'a').set(3, 'b').set(0, 'z');
    expect(table.size).toBe(2);
    expect(table.get(3)).toBe('b');
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(3)).toBeUndefined();
    expect([...table]).toEqual([]);
  });

  it('forEach passes value, id and table, and skips an entry deleted during the walk (as Node deletes streams it destroys)', () => {
    const table = new IdTable<string>();
    for (const id of [1, 3, 5, 7]) table.set(id, `s${id}`);
    const seen: string[] = [];
    const self = { tag: 'this' };
    table.forEach(function (this: unknown, value, id, t) {
      expect(this).toBe(self);
      expect(t).toBe(table);
      seen.push(`${id}:${value}`);
      t.delete(id); // the visited entry itself, as stream.destroy() does
      if (id === 3) t.delete(5); // one not yet visited
    }, self);
    expect(seen).toEqual(['1:s1', '3:s3', '7:s7']);
    expect(table.size).toBe(0);
  });

  it('refuses ids that are not non-negative integers and undefined values', () => {
    const table = new IdTable<unknown>();
    expect(() => table.set(-1, 1)).toThrow(RangeError);
    expect(() => table.set(1.5, 1)).toThrow(RangeError);
    expect(() => table.set(Number.NaN, 1)).toThrow(RangeError);
    expect(() => table.set(1, undefined)).toThrow(TypeError);
    expect(table.size).toBe(0);
  });
});

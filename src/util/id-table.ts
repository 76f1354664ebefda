/**
 * A table keyed by integer ids with the part of Map's interface its users need, for long-lived tables whose
 * entries come and go at a server's call rate (HTTP/2 streams by stream id, engine requests by message id).
 *
 * Why not a Map. V8 stores a Map in a hash table that is replaced whenever it fills up with live and deleted
 * entries, and the replaced table keeps its entries and a pointer to its successor (so that live iterators can
 * follow). A full GC promotes every live young object, the current table included. Once that table is replaced,
 * it is dead but in the old generation, and young collections treat every old object as live: its successor
 * survives, is promoted in its turn, and keeps the next one alive. From the first full GC under load every
 * replaced table is promoted, with all the values it held. For HTTP/2 streams that is every finished call.
 * Old-generation garbage then fills up, and the next full GC, which starts the chain again, comes early.
 * Measured on a bare `node:http2` server (128 streams, ~40k streams/s): 75% of its scavenges promoted ~1.6 MB
 * each, against none once the streams table was one of these (docs/benchmarks/2026-12-05-map-chain.md).
 *
 * Here the entries are the integer-keyed elements of a prototype-less object. V8 keeps those in a dictionary
 * that, when it is resized, is simply dropped: a dropped store that is old keeps its values alive until the
 * next full GC, once, and nothing chains.
 *
 * Values must not be `undefined` (an `undefined` entry reads as absent). Iteration is in ascending id order.
 */
export class IdTable<V> {
  #items: Record<number, V> = Object.create(null) as Record<number, V>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    return this.#items[id];
  }

  has(id: number): boolean {
    return this.#items[id] !== undefined;
  }

  set(id: number, value: V): this {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`IdTable: ids are non-negative integers, not ${String(id)}`);
    if (value === undefined) throw new TypeError('IdTable: a value cannot be undefined');
    if (this.#items[id] === undefined) this.#size++;
    this.#items[id] = value;
    return this;
  }

  delete(id: number): boolean {
    if (this.#items[id] === undefined) return false;
    delete this.#items[id];
    this.#size--;
    return true;
  }

  clear(): void {
    this.#items = Object.create(null) as Record<number, V>;
    this.#size = 0;
  }

  /** Like Map's: an entry deleted during the walk and not yet visited is skipped. */
  forEach(fn: (value: V, id: number, table: this) => void, thisArg?: unknown): void {
    for (const [id, value] of this.entries()) fn.call(thisArg, value, id, this);
  }

  *entries(): IterableIterator<[number, V]> {
    const items = this.#items;
    for (const key in items) {
      const value = items[key as unknown as number];
      if (value !== undefined) yield [Number(key), value];
    }
  }

  *keys(): IterableIterator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}

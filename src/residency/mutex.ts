/** A FIFO async mutex: loads under a memory budget run one at a time, so each sees the budget the last one left. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves, in call order, with the function that lets the next holder in. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const prev = this.#tail;
    this.#tail = prev.then(() => held);
    let released = false;
    return prev.then(() => () => { if (!released) { released = true; release(); } });
  }
}

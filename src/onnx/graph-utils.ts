/** Small helpers over an ONNX graph: initializer lookup, consumers, unique names, attribute reads. */
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from './onnx-io.js';

/** Index of a graph for rewriting. */
export class GraphIndex {
  readonly initializers = new Map<string, TensorProto>();
  readonly #names = new Set<string>();
  #counter = 0;

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
    for (const n of graph.node ?? []) {
      for (const x of [...(n.input ?? []), ...(n.output ?? [])]) this.#names.add(x);
      if (n.name) this.#names.add(n.name);
    }
    for (const x of [...this.initializers.keys(), ...(graph.input ?? []).map((v) => v.name ?? '')]) this.#names.add(x);
  }

  /** A name not used anywhere in the graph yet. */
  unique(base: string): string {
    let name = base;
    while (this.#names.has(name)) name = `${base}_${++this.#counter}`;
    this.#names.add(name);
    return name;
  }

  /** Adds an initializer. */
  addInitializer(t: TensorProto): void {
    this.initializers.set(t.name ?? '', t);
    (this.graph.initializer ??= []).push(t);
  }
}

/** Reads an INT attribute (default when absent). */
export function intAttr(node: NodeProto, name: string, dflt: number): number {
  const a = (node.attribute ?? []).find((x: AttributeProto) => x.name === name);
  return a?.i !== undefined ? Number(a.i) : dflt;
}

/** Reads a FLOAT attribute (default when absent). */
export function floatAttr(node: NodeProto, name: string, dflt: number): number {
  const a = (node.attribute ?? []).find((x: AttributeProto) => x.name === name);
  return a?.f !== undefined ? a.f : dflt;
}

/** A node's display name for messages. */
export function nodeLabel(node: NodeProto): string {
  return `${node.opType ?? '?'} node "${node.name || (node.output ?? [])[0] || '?'}"`;
}

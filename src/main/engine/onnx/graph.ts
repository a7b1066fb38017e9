/**
 * Graph index over an ONNX GraphProto: producers, consumers, initializers, constants,
 * attribute access, node/initializer construction, topological order and dead-node removal.
 *
 * The index is a snapshot: after editing the graph, build a new one (`new GraphIndex(graph)`).
 */
import { create } from '@bufbuild/protobuf';
import {
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type ValueInfoProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  NodeProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { readNumbers } from './tensor.js';

export type { GraphProto, NodeProto, AttributeProto } from 'onnx-buf';

export class GraphIndex {
  readonly graph: GraphProto;
  /** Tensor name → node producing it. */
  readonly producer = new Map<string, NodeProto>();
  /** Tensor name → nodes consuming it (in graph order). */
  readonly consumers = new Map<string, NodeProto[]>();
  /** Initializer name → tensor. */
  readonly initializers = new Map<string, TensorProto>();
  /** Output of a `Constant` node → its tensor value. */
  readonly constants = new Map<string, TensorProto>();
  readonly graphInputs = new Set<string>();
  readonly graphOutputs = new Set<string>();

  constructor(graph: GraphProto) {
    this.graph = graph;
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    for (const i of graph.input) this.graphInputs.add(i.name);
    for (const o of graph.output) this.graphOutputs.add(o.name);
    for (const n of graph.node) {
      for (const o of n.output) if (o) this.producer.set(o, n);
      for (const i of n.input) {
        if (!i) continue;
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
      if (n.opType === 'Constant' && n.output[0]) {
        const v = n.attribute.find((a) => a.name === 'value')?.t;
        if (v) this.constants.set(n.output[0], v);
      }
    }
  }

  /** Tensor value of an initializer or Constant output, if the name is one. */
  constantTensor(name: string): TensorProto | undefined {
    return this.initializers.get(name) ?? this.constants.get(name);
  }

  /** Numbers held by an initializer/Constant, or undefined. */
  constantValues(name: string): number[] | undefined {
    const t = this.constantTensor(name);
    return t ? readNumbers(t) : undefined;
  }

  consumersOf(name: string): NodeProto[] {
    return this.consumers.get(name) ?? [];
  }

  /** The single consumer of a tensor, or undefined when there are zero or several. */
  soleConsumer(name: string): NodeProto | undefined {
    const c = this.consumersOf(name);
    return c.length === 1 ? c[0] : undefined;
  }

  /** True when the graph's real (non-initializer) inputs include `name`. */
  isRuntimeInput(name: string): boolean {
    return this.graphInputs.has(name) && !this.initializers.has(name);
  }
}

// ---- attributes ----

export function getAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = getAttr(node, name);
  return a ? Number(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = getAttr(node, name);
  return a ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = getAttr(node, name);
  return a ? a.ints.map((x) => Number(x)) : undefined;
}

export function attrString(node: NodeProto, name: string): string | undefined {
  const a = getAttr(node, name);
  return a ? new TextDecoder().decode(a.s) : undefined;
}

/** Attribute value for `makeNode`. Numbers are ints unless given as `{ f: x }`. */
export type AttrValue = number | { f: number } | number[] | { floats: number[] } | string | TensorProto;

function makeAttr(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number')
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  if (typeof v === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(v),
    });
  }
  if (Array.isArray(v)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: v.map((x) => BigInt(x)),
    });
  }
  if ('f' in v && typeof v.f === 'number')
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.f });
  if ('floats' in v && Array.isArray(v.floats)) {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: v.floats });
  }
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: v as TensorProto });
}

/** Build a node. */
export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  name = '',
  domain = '',
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: inputs,
    output: outputs,
    name,
    domain,
    attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
  });
}

/** Set (or replace) an attribute on a node. */
export function setAttr(node: NodeProto, name: string, v: AttrValue): void {
  const a = makeAttr(name, v);
  const i = node.attribute.findIndex((x) => x.name === name);
  if (i >= 0) node.attribute[i] = a;
  else node.attribute.push(a);
}

/** A value info with only an element type (shape left for ONNX Runtime to infer). */
export function untypedShapeValueInfo(name: string, elemType: number): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType }) },
    }),
  });
}

// ---- whole-graph helpers ----

/** Nodes in a topological order (stable w.r.t. the original order). Throws on cycles. */
export function topologicalOrder(graph: GraphProto): NodeProto[] {
  const available = new Set<string>([...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name), '']);
  const remaining = [...graph.node];
  const out: NodeProto[] = [];
  while (remaining.length > 0) {
    const before = remaining.length;
    for (let i = 0; i < remaining.length;) {
      const n = remaining[i] as NodeProto;
      if (n.input.every((x) => available.has(x))) {
        out.push(n);
        for (const o of n.output) available.add(o);
        remaining.splice(i, 1);
      } else i++;
    }
    if (remaining.length === before) {
      const stuck = remaining[0] as NodeProto;
      throw new Error(
        `Graph is not topologically sortable: node ${stuck.name || stuck.opType} waits on a missing input`,
      );
    }
  }
  return out;
}

/** Remove nodes and initializers that no graph output depends on. Returns the number of nodes removed. */
export function removeDeadNodes(graph: GraphProto): number {
  const idx = new GraphIndex(graph);
  const live = new Set<string>(graph.output.map((o) => o.name));
  const keep = new Set<NodeProto>();
  const stack = [...live];
  while (stack.length) {
    const name = stack.pop() as string;
    const p = idx.producer.get(name);
    if (!p || keep.has(p)) continue;
    keep.add(p);
    for (const i of p.input)
      if (i && !live.has(i)) {
        live.add(i);
        stack.push(i);
      }
  }
  const before = graph.node.length;
  graph.node = graph.node.filter((n) => keep.has(n));
  graph.initializer = graph.initializer.filter(
    (t) => live.has(t.name) || graph.input.some((i) => i.name === t.name && live.has(i.name)),
  );
  return before - graph.node.length;
}

/** A name not yet used by any tensor or node in the graph, built from `base`. */
export function uniqueNamer(graph: GraphProto): (base: string) => string {
  const used = new Set<string>();
  for (const n of graph.node) {
    used.add(n.name);
    for (const o of n.output) used.add(o);
    for (const i of n.input) used.add(i);
  }
  for (const t of graph.initializer) used.add(t.name);
  for (const i of graph.input) used.add(i.name);
  for (const o of graph.output) used.add(o.name);
  return (base: string) => {
    let name = base;
    let k = 1;
    while (used.has(name)) name = `${base}_${k++}`;
    used.add(name);
    return name;
  };
}

/**
 * Constant folding of small shape sub-graphs (int64 vectors built from Constant/Unsqueeze/Concat/
 * arithmetic), and resolution of initializer aliases made by `Identity` nodes.
 *
 * Used to read the dimension constants an exporter baked into Reshape targets. Values that depend
 * on runtime shapes (Shape → Gather …) fold to `undefined`.
 */
import type { NodeProto } from 'onnx-buf';
import type { GraphIndex } from './graph.js';

const PASS_THROUGH = new Set(['Identity', 'Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten']);

/** Fold a small numeric tensor to its values, or `undefined` when it depends on runtime data. */
export function foldValues(idx: GraphIndex, name: string, depth = 0): number[] | undefined {
  const c = idx.constantValues(name);
  if (c) return c;
  const node = idx.producer.get(name);
  if (!node || depth > 32) return undefined;
  const input = (i: number): number[] | undefined => {
    const n = node.input[i];
    return n ? foldValues(idx, n, depth + 1) : undefined;
  };
  if (PASS_THROUGH.has(node.opType)) return input(0);
  if (node.opType === 'Concat') {
    const parts = node.input.map((_, i) => input(i));
    if (parts.some((p) => p === undefined)) return undefined;
    return (parts as number[][]).flat();
  }
  if (['Mul', 'Div', 'Add', 'Sub'].includes(node.opType)) {
    const a = input(0);
    const b = input(1);
    if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
    const n = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = a.length === 1 ? (a[0] as number) : (a[i] as number);
      const y = b.length === 1 ? (b[0] as number) : (b[i] as number);
      if (node.opType === 'Mul') out.push(x * y);
      else if (node.opType === 'Add') out.push(x + y);
      else if (node.opType === 'Sub') out.push(x - y);
      else out.push(y === 0 ? NaN : Math.trunc(x / y));
    }
    return out;
  }
  return undefined;
}

/** Follow `Identity` producers back to the initializer a tensor aliases, if any. */
export function resolveInitializer(idx: GraphIndex, name: string): string | undefined {
  let cur = name;
  for (let i = 0; i < 16; i++) {
    if (idx.initializers.has(cur)) return cur;
    const p = idx.producer.get(cur);
    if (!p || p.opType !== 'Identity' || !p.input[0]) return undefined;
    cur = p.input[0];
  }
  return undefined;
}

/**
 * The elements of a 1-D shape tensor as separate producers: for a `Concat` of 1-element parts, the
 * name of each part; for a constant, `undefined` entries with the values filled in.
 */
export function shapeElements(
  idx: GraphIndex,
  name: string,
): Array<{ value?: number; source?: string; producer?: NodeProto }> | undefined {
  const c = idx.constantValues(name);
  if (c) return c.map((value) => ({ value }));
  const node = idx.producer.get(name);
  if (!node) return undefined;
  if (node.opType === 'Concat') {
    const out: Array<{ value?: number; source?: string; producer?: NodeProto }> = [];
    for (const part of node.input) {
      const v = foldValues(idx, part);
      if (v) {
        for (const value of v) out.push({ value, source: part });
        continue;
      }
      out.push({ source: part, producer: idx.producer.get(part) });
    }
    return out;
  }
  const v = foldValues(idx, name);
  return v?.map((value) => ({ value }));
}

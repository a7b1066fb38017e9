/**
 * Surgery: apply a pruning plan to a model. Slices every coupled initializer use (cloning shared
 * initializers whose uses are pruned differently), rewrites the head Reshape targets, removes dead
 * nodes, and returns a new ModelProto (the input model is not modified).
 */
import { clone } from '@bufbuild/protobuf';
import { NodeProtoSchema, type ModelProto, type TensorProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { attrInt, GraphIndex, removeDeadNodes, uniqueNamer } from '../onnx/graph.js';
import { resolveInitializer } from '../onnx/fold.js';
import { makeInt64Tensor } from '../onnx/tensor.js';
import { discoverVit } from '../vit/discover.js';
import type { HeadReshape, VitMap } from '../vit/types.js';
import { buildGroups } from './groups.js';
import { sliceTensor } from './slice-tensor.js';
import type { DependencyGroup, GroupKind, PruningPlan } from './types.js';

type Removal = Map<number, Set<number>>;

function reshapeTarget(form: HeadReshape['form'], heads: number, headDim: number): number[] {
  const inner = heads * headDim;
  switch (form) {
    case 'split-bn3hd':
      return [0, 0, 3, heads, headDim];
    case 'split-bnhd':
      return [0, 0, heads, headDim];
    case 'split-nbh-d':
      return [0, -1, headDim];
    case 'merge-bnc':
      return [0, 0, inner];
    case 'merge-nb-c':
      return [-1, inner];
  }
}

/** Match a plan's groups to the model's groups (same ids and unit counts) or throw. */
export function matchPlanGroups(vit: VitMap, plan: PruningPlan): Array<{ group: DependencyGroup; removed: number[] }> {
  const kinds = [...new Set(plan.groups.map((g) => g.kind))] as GroupKind[];
  const byId = new Map(buildGroups(vit, kinds).map((g) => [g.id, g]));
  return plan.groups.map((pg) => {
    const group = byId.get(pg.id);
    if (!group || group.units !== pg.units) {
      throw new PqvError(
        'INVALID_ARGUMENT',
        `The pruning plan does not fit this model (group ${pg.id}). Make a new plan for this model.`,
        { group: pg.id },
      );
    }
    if (pg.removed.some((u) => !Number.isInteger(u) || u < 0 || u >= group.units) || pg.removed.length >= group.units) {
      throw new PqvError('INVALID_ARGUMENT', `The pruning plan removes invalid units of group ${pg.id}.`, {
        group: pg.id,
      });
    }
    return { group, removed: pg.removed };
  });
}

/** Apply `plan` to `model` (already verified to be the plan's model). */
export function applyPlanToModel(model: ModelProto, plan: PruningPlan, vitIn?: VitMap): ModelProto {
  const graph = model.graph;
  if (!graph) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const vit = vitIn ?? discoverVit(model);
  const matched = matchPlanGroups(vit, plan);
  if (matched.every((m) => m.removed.length === 0)) return model;

  // Site (node:input) → axis → removed element indices.
  const sites = new Map<string, { init: string; removal: Removal }>();
  for (const { group, removed } of matched) {
    for (const s of group.slices) {
      const key = `${s.node}:${s.input}`;
      let site = sites.get(key);
      if (!site) sites.set(key, (site = { init: s.initializer, removal: new Map() }));
      let set = site.removal.get(s.axis);
      if (!set) site.removal.set(s.axis, (set = new Set()));
      for (const u of removed) for (const i of s.indices[u] ?? []) set.add(i);
    }
  }

  const idx = new GraphIndex(graph);
  const nodes = graph.node.map((n) => clone(NodeProtoSchema, n));
  const inits = [...graph.initializer];
  const initPos = new Map(inits.map((t, i) => [t.name, i]));
  const namer = uniqueNamer(graph);
  const touched = new Set([...sites.values()].map((s) => s.init));
  // Every use of each touched initializer, with its requirement key.
  const uses = new Map<string, Array<{ node: number; input: number; key: string; removal?: Removal }>>();
  graph.node.forEach((n, ni) => {
    n.input.forEach((name, ii) => {
      if (!name) return;
      const init = resolveInitializer(idx, name);
      // Identity aliases pass the (possibly sliced) initializer through; their consumers are the uses.
      if (!init || !touched.has(init) || n.opType === 'Identity') return;
      const site = sites.get(`${ni}:${ii}`);
      const key = site
        ? [...site.removal.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([a, r]) => `${a}:${[...r].sort((x, y) => x - y).join(',')}`)
            .join('|')
        : '';
      let list = uses.get(init);
      if (!list) uses.set(init, (list = []));
      list.push({ node: ni, input: ii, key, removal: site?.removal });
    });
  });
  for (const [init, list] of uses) {
    const pos = initPos.get(init);
    const original = pos === undefined ? undefined : inits[pos];
    if (!original || pos === undefined) continue;
    const keys = [...new Set(list.map((u) => u.key))];
    if (keys.length === 1 && keys[0] !== '') {
      inits[pos] = sliceTensor(original, list[0]?.removal as Removal);
      continue;
    }
    const made = new Map<string, TensorProto>();
    for (const u of list) {
      if (!u.key || !u.removal) continue;
      let t = made.get(u.key);
      if (!t) {
        t = sliceTensor(original, u.removal, namer(`${init}_pruned`));
        made.set(u.key, t);
        inits.push(t);
      }
      (nodes[u.node] as (typeof nodes)[number]).input[u.input] = t.name;
    }
  }

  // New head counts per block, then Reshape targets.
  const lost = (kind: GroupKind, block: number): number =>
    matched.find((m) => m.group.kind === kind && m.group.block === block)?.removed.length ?? 0;
  for (const b of vit.blocks) {
    const heads = b.heads - lost('heads', b.index);
    const headDim = b.headDim - lost('head-dims', b.index);
    for (const r of b.attention.reshapes) {
      const node = nodes[r.node];
      if (!node || node.opType !== 'Reshape') throw new PqvError('INTERNAL', `Reshape ${r.name} moved`);
      if (attrInt(node, 'allowzero', 0) !== 0) {
        throw new PqvError(
          'VIT_PATTERN_UNSUPPORTED',
          `Reshape "${r.name}" uses allowzero=1; PQV Studio cannot rewrite its target.`,
          { node: r.name },
        );
      }
      const t = makeInt64Tensor(
        namer(`${r.name || 'reshape'}_pruned_shape`),
        [reshapeTarget(r.form, heads, headDim).length],
        reshapeTarget(r.form, heads, headDim),
      );
      inits.push(t);
      node.input[1] = t.name;
    }
  }

  const newGraph = { ...graph, node: nodes, initializer: inits, valueInfo: [] } as typeof graph;
  removeDeadNodes(newGraph);
  return { ...model, graph: newGraph } as ModelProto;
}

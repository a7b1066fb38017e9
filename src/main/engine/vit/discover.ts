/**
 * ViT structure discovery: walks an ONNX graph from the patch-embedding Conv through the residual
 * stream, block by block (pre- or post-norm), to the final norm(s) and classifier head(s).
 */
import type { ModelProto, NodeProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { GraphIndex } from '../onnx/graph.js';
import { firstStop, parseAttention, parseMlp } from './attention.js';
import { findForward, linearsFrom, makeCtx, normAt, paramAt, residualAdd, type Ctx } from './patterns.js';
import type { AttentionMap, LinearRef, MlpMap, NormRef, ParamRef, VitBlock, VitMap } from './types.js';

const LOOKED_FOR =
  'a patch-embedding Conv on the image input, class/position embeddings added to its tokens, and transformer blocks (LayerNorm, attention with Softmax, MLP) on a residual stream';

function notFound(why: string): PqvError {
  return new PqvError(
    'VIT_NOT_FOUND',
    `This model is not a Vision Transformer PQV Studio can prune: ${why}. Looked for ${LOOKED_FOR}.`,
  );
}

interface Embedding {
  conv: NodeProto;
  weight: ParamRef;
  bias?: ParamRef;
  pos: ParamRef;
  cls?: ParamRef;
  dist?: ParamRef;
  stream: string;
}

function findEmbedding(ctx: Ctx): Embedding {
  const { idx } = ctx;
  const conv = idx.graph.node.find((n) => n.opType === 'Conv' && idx.isRuntimeInput(n.input[0] as string));
  if (!conv) throw notFound('no Conv reads the image input');
  const weight = paramAt(ctx, conv, 1);
  if (!weight || weight.dims.length !== 4) throw notFound(`Conv "${conv.name}" has no 4-D weight initializer`);
  const dim = weight.dims[0] as number;
  let pos: ParamRef | undefined;
  const add = findForward(
    ctx,
    conv.output[0] as string,
    (n) => {
      if (n.opType !== 'Add') return false;
      for (let i = 0; i < 2; i++) {
        const p = paramAt(ctx, n, i);
        if (p && p.dims.length === 3 && p.dims[0] === 1 && p.dims[2] === dim) {
          pos = p;
          return true;
        }
      }
      return false;
    },
    80,
  );
  if (!add || !pos) throw notFound(`no position-embedding Add [1, tokens, ${dim}] after Conv "${conv.name}"`);
  const tokens: ParamRef[] = [];
  const concat = idx.producer.get(add.input[pos.input === 0 ? 1 : 0] as string);
  if (concat?.opType === 'Concat') {
    for (const part of concat.input) {
      let p = idx.producer.get(part);
      while (p && (p.opType === 'Expand' || p.opType === 'Tile' || p.opType === 'Identity')) {
        const t = paramAt(ctx, p, 0);
        if (t) {
          if (t.dims[t.dims.length - 1] === dim) tokens.push(t);
          break;
        }
        p = idx.producer.get(p.input[0] as string);
      }
    }
  }
  return {
    conv,
    weight,
    bias: paramAt(ctx, conv, 2),
    pos,
    cls: tokens[0],
    dist: tokens[1],
    stream: add.output[0] as string,
  };
}

type Sublayer =
  | { kind: 'attention'; map: AttentionMap; norm: NormRef; next: string }
  | { kind: 'mlp'; map: MlpMap; norm: NormRef; next: string };

/** One residual sub-layer starting at stream tensor `s`, or undefined at the end of the blocks. */
function sublayer(ctx: Ctx, s: string): Sublayer | undefined {
  const pre = normAt(ctx, s);
  const u = pre ? pre.output : s;
  const lins = linearsFrom(ctx, u);
  if (lins.length === 0) return undefined;
  const stop = firstStop(ctx, lins[0] as LinearRef);
  if (!stop)
    throw new PqvError(
      'VIT_PATTERN_UNSUPPORTED',
      `Linear "${lins[0]?.name}" leads neither to attention nor to a second MLP layer.`,
      { node: lins[0]?.name },
    );
  let out: string;
  let result: { kind: 'attention'; map: AttentionMap } | { kind: 'mlp'; map: MlpMap };
  if (stop.opType === 'Softmax') {
    const map = parseAttention(ctx, lins, stop);
    out = map.proj.output;
    result = { kind: 'attention', map };
  } else {
    if (lins.length !== 1)
      throw new PqvError('VIT_PATTERN_UNSUPPORTED', `MLP input "${u}" feeds ${lins.length} linears.`, {
        node: lins[0]?.name,
      });
    const map = parseMlp(ctx, lins[0] as LinearRef, stop);
    out = map.fc2.output;
    result = { kind: 'mlp', map };
  }
  const res = residualAdd(ctx, out, s);
  if (!res) throw new PqvError('VIT_PATTERN_UNSUPPORTED', `No residual Add after "${out}".`, { node: out });
  const a = res.output[0] as string;
  if (pre) return { ...result, norm: pre, next: a } as Sublayer;
  const post = normAt(ctx, a);
  if (!post)
    throw new PqvError('VIT_PATTERN_UNSUPPORTED', `Residual Add "${res.name}" has no LayerNorm before nor after it.`, {
      node: res.name,
    });
  return { ...result, norm: post, next: post.output } as Sublayer;
}

/** Norms and classifier heads after the last block. */
function findHeads(ctx: Ctx, s: string, dim: number): { norms: NormRef[]; classifiers: LinearRef[] } {
  const norms: NormRef[] = [];
  const classifiers: LinearRef[] = [];
  const queue = [s];
  const seen = new Set<string>();
  const PASS = new Set(['Gather', 'ReduceMean', 'Slice', 'Squeeze', 'Flatten', 'Reshape', 'Transpose', 'Identity']);
  while (queue.length) {
    const t = queue.shift() as string;
    if (seen.has(t)) continue;
    seen.add(t);
    const norm = normAt(ctx, t);
    if (norm) {
      norms.push(norm);
      queue.push(norm.output);
    }
    for (const c of ctx.idx.consumersOf(t)) {
      if ((c.opType === 'MatMul' || c.opType === 'Gemm') && c.input[0] === t) {
        const l = linearsFrom(ctx, t).find((x) => x.name === c.name);
        if (l && l.inFeatures === dim) classifiers.push(l);
      } else if (
        PASS.has(c.opType) &&
        !(norm && c.opType === 'ReduceMean' && norm.kind === 'decomposed' && c.name === norm.name)
      ) {
        if (c.input[0] === t && c.output[0]) queue.push(c.output[0]);
      }
    }
  }
  return { norms, classifiers };
}

/** Discover the ViT structure of a model. Throws VIT_NOT_FOUND / VIT_PATTERN_UNSUPPORTED. */
export function discoverVit(model: ModelProto): VitMap {
  const graph = model.graph;
  if (!graph) throw notFound('the model has no graph');
  const ctx = makeCtx(new GraphIndex(graph));
  const emb = findEmbedding(ctx);
  const dim = emb.weight.dims[0] as number;
  const blocks: VitBlock[] = [];
  let s = emb.stream;
  let normPlacement: VitMap['normPlacement'] = 'pre';
  for (;;) {
    const first = sublayer(ctx, s);
    if (!first) break;
    if (first.kind !== 'attention')
      throw new PqvError(
        'VIT_PATTERN_UNSUPPORTED',
        `Block ${blocks.length} starts with an MLP ("${first.map.fc1.name}"), expected attention.`,
        { node: first.map.fc1.name },
      );
    const second = sublayer(ctx, first.next);
    if (!second || second.kind !== 'mlp') {
      throw new PqvError(
        'VIT_PATTERN_UNSUPPORTED',
        `Block ${blocks.length}: attention "${first.map.softmax}" is not followed by an MLP.`,
        { node: first.map.softmax },
      );
    }
    if (first.norm.input !== s) normPlacement = 'post';
    const a = first.map;
    blocks.push({
      index: blocks.length,
      norm1: first.norm,
      norm2: second.norm,
      attention: a,
      mlp: second.map,
      heads: a.heads,
      headDim: a.headDim,
      mlpHidden: second.map.hidden,
    });
    s = second.next;
  }
  if (blocks.length === 0) {
    const sm = graph.node.find((n) => n.opType === 'Softmax');
    if (sm)
      throw new PqvError(
        'VIT_PATTERN_UNSUPPORTED',
        `Found the patch embedding and Softmax "${sm.name}", but no transformer block matched.`,
        { node: sm.name },
      );
    throw notFound('no transformer block follows the embeddings');
  }
  const { norms, classifiers } = findHeads(ctx, s, dim);
  const b0 = blocks[0] as VitBlock;
  const reshape0 = b0.attention.reshapes[0]?.form;
  const style: VitMap['style'] = b0.attention.kind === 'separate' ? 'hf' : reshape0 === 'split-nbh-d' ? 'mha' : 'timm';
  return {
    style,
    normPlacement,
    input: emb.conv.input[0] as string,
    outputs: graph.output.map((o) => o.name),
    dim,
    depth: blocks.length,
    heads: b0.heads,
    headDim: b0.headDim,
    mlp: b0.mlpHidden,
    patch: {
      conv: emb.conv.name,
      weight: emb.weight,
      bias: emb.bias,
      kernel: emb.weight.dims.slice(2),
      inChannels: emb.weight.dims[1] as number,
    },
    clsToken: emb.cls,
    distToken: emb.dist,
    posEmbed: emb.pos,
    tokens: emb.pos.dims[1] as number,
    blocks,
    finalNorms: norms,
    classifiers,
  };
}

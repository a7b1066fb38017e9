/**
 * `VitMap`: where every part of a Vision Transformer lives inside an ONNX graph.
 *
 * Discovery (`discover.ts`) fills it; dependency groups and surgery (engine/prune) read it.
 * Node references are indices into `graph.node` of the model it was discovered on.
 */

/** One use of an initializer by a node input (possibly through `Identity` aliases). */
export interface ParamRef {
  /** The initializer holding the data (aliases resolved). */
  initializer: string;
  /** Index of the consuming node in `graph.node`. */
  node: number;
  /** Input slot of that node. */
  input: number;
  /** Dimensions of the initializer. */
  dims: number[];
}

/** A fully connected layer: `MatMul (+ Add)` or `Gemm`. */
export interface LinearRef {
  /** Node name of the MatMul/Gemm. */
  name: string;
  weight: ParamRef;
  bias?: ParamRef;
  /** `in-out`: weight is [in, out] (MatMul, Gemm transB=0); `out-in`: [out, in] (Gemm transB=1). */
  layout: 'in-out' | 'out-in';
  inFeatures: number;
  outFeatures: number;
  /** Tensor holding the layer output (after the bias Add). */
  output: string;
}

/** A LayerNorm: the `LayerNormalization` op or the decomposed ReduceMean/Sub/Pow/Sqrt/Div pattern. */
export interface NormRef {
  kind: 'LayerNormalization' | 'decomposed';
  /** First node of the pattern (name). */
  name: string;
  gamma: ParamRef;
  beta?: ParamRef;
  input: string;
  output: string;
}

/** A Reshape inside attention whose target encodes heads / head-dim / inner width. */
export interface HeadReshape {
  /** Index of the Reshape node in `graph.node`. */
  node: number;
  name: string;
  /**
   * `split-bnhd`: [B, N, H, Dh]; `split-bn3hd`: [B, N, 3, H, Dh]; `split-nbh-d`: [N, B·H, Dh];
   * `merge-bnc`: [B, N, H·Dh]; `merge-nb-c`: [N·B, H·Dh].
   */
  form: 'split-bnhd' | 'split-bn3hd' | 'split-nbh-d' | 'merge-bnc' | 'merge-nb-c';
}

export interface AttentionMap {
  /** `fused`: one qkv (or in_proj) linear; `separate`: query/key/value linears. */
  kind: 'fused' | 'separate';
  qkv?: LinearRef;
  q?: LinearRef;
  k?: LinearRef;
  v?: LinearRef;
  proj: LinearRef;
  heads: number;
  headDim: number;
  /** heads × headDim. */
  inner: number;
  reshapes: HeadReshape[];
  softmax: string;
}

export interface MlpMap {
  fc1: LinearRef;
  fc2: LinearRef;
  activation: 'gelu-erf' | 'gelu' | 'gelu-tanh' | 'relu' | 'silu' | 'other';
  hidden: number;
}

export interface VitBlock {
  index: number;
  /** Pre-norm: norm1 before attention, norm2 before MLP. Post-norm: after each residual add. */
  norm1: NormRef;
  norm2: NormRef;
  attention: AttentionMap;
  mlp: MlpMap;
  heads: number;
  headDim: number;
  mlpHidden: number;
}

export interface VitMap {
  style: 'timm' | 'hf' | 'mha';
  normPlacement: 'pre' | 'post';
  input: string;
  outputs: string[];
  /** Embedding width (residual stream channels). */
  dim: number;
  depth: number;
  /** Heads of the first block (blocks may differ after pruning). */
  heads: number;
  headDim: number;
  mlp: number;
  patch: { conv: string; weight: ParamRef; bias?: ParamRef; kernel: number[]; inChannels: number };
  clsToken?: ParamRef;
  distToken?: ParamRef;
  posEmbed: ParamRef;
  /** Sequence length (patches + tokens). */
  tokens: number;
  blocks: VitBlock[];
  /** Norms after the last block (final norm, head norms). */
  finalNorms: NormRef[];
  /** Classifier heads (two for distilled DeiT). */
  classifiers: LinearRef[];
}

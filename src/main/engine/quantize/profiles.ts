/**
 * Backend profiles: what quantized form each phone backend can run, written as data.
 *
 * Sources (ONNX Runtime documentation):
 * - CPU / quantization formats: https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html
 *   (QDQ format, uint8/int8 activations, int8 per-channel weights, dynamic quantization; 16-bit Q/DQ via the
 *   com.microsoft domain before ONNX opset 21).
 * - XNNPACK: https://onnxruntime.ai/docs/execution-providers/XNNPACK-ExecutionProvider.html
 *   (runs QDQ models with int8/uint8 tensors; dynamic-quantization contrib ops fall back to the CPU EP).
 * - NNAPI: https://onnxruntime.ai/docs/execution-providers/NNAPI-ExecutionProvider.html
 *   (QDQ with uint8 activations — NNAPI QUANT8_ASYMM; no com.microsoft ops; dynamic input shapes are not
 *   supported, so inputs need fixed shapes; fp16 only as a run-time relaxation flag on float32 models).
 * - QNN: https://onnxruntime.ai/docs/execution-providers/QNN-ExecutionProvider.html
 *   (HTP backend needs a QDQ model with uint8 or uint16 activations and 8-bit symmetric weights, static shapes;
 *   16-bit activations use com.microsoft QuantizeLinear/DequantizeLinear; fully quantized graphs).
 * - GPU paths (OpenCL/Vulkan/WebGPU-style delegates, QNN GPU, NNAPI GPU relaxation) compute in float16.
 */
import type { BackendName, QuantMode, QuantType } from './types.js';

/** What a backend accepts and what the quantizer produces for it by default. */
export interface BackendProfile {
  name: BackendName;
  description: string;
  /** Documentation pages the constraints come from. */
  docs: string[];
  /** Modes the backend can run. */
  modes: QuantMode[];
  defaultMode: QuantMode;
  /** Activation types accepted by QDQ Quantize/Dequantize nodes. */
  activationTypes: QuantType[];
  defaultActivationType: QuantType;
  /** Weight types accepted. */
  weightTypes: QuantType[];
  defaultWeightType: QuantType;
  /** Weights must be symmetric (zero point 0, or mid-range for unsigned). */
  weightSymmetric: boolean;
  /** Per-channel weights: allowed, or forbidden (per tensor only). */
  perChannel: 'allowed' | 'forbidden';
  defaultPerChannel: boolean;
  /** All runtime inputs must have fixed dimensions. */
  staticShapes: boolean;
  /** com.microsoft ops the backend accepts ('*' = any). */
  msOps: string[] | '*';
  /** Run-time (dynamic) activation quantization ops accepted. */
  dynamicQuant: boolean;
  /** Float16 tensors: required (fp16 backend), allowed or forbidden. */
  float16: 'required' | 'allowed' | 'forbidden';
  /** Op types quantized by int8-static. */
  opTypes: string[];
  /** Also quantize outputs of quantized nodes (fully integer graph). */
  quantizeOutputs: boolean;
  /** Quantize constant operands of elementwise ops. */
  constantOperands: boolean;
}

const DOCS_QUANT = 'https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html';

/** Ops quantized for ViTs on CPU-class backends: projections, attention matmuls, patch embedding, residual adds. */
export const VIT_DEFAULT_OPS = ['MatMul', 'Gemm', 'Conv', 'Add'];

export const BACKEND_PROFILES: Record<BackendName, BackendProfile> = {
  cpu: {
    name: 'cpu',
    description: 'ONNX Runtime CPU (MLAS): QDQ int8 or dynamic int8; float16 runs with Casts inserted by the runtime.',
    docs: [DOCS_QUANT],
    modes: ['int8-static', 'int8-dynamic', 'fp16'],
    defaultMode: 'int8-static',
    activationTypes: ['uint8', 'int8', 'uint16', 'int16'],
    defaultActivationType: 'uint8',
    weightTypes: ['int8', 'uint8'],
    defaultWeightType: 'int8',
    weightSymmetric: true,
    perChannel: 'allowed',
    defaultPerChannel: true,
    staticShapes: false,
    msOps: '*',
    dynamicQuant: true,
    float16: 'allowed',
    opTypes: VIT_DEFAULT_OPS,
    quantizeOutputs: false,
    constantOperands: false,
  },
  xnnpack: {
    name: 'xnnpack',
    description: 'ONNX Runtime XNNPACK EP (mobile CPU): QDQ int8 with per-channel int8 weights.',
    docs: ['https://onnxruntime.ai/docs/execution-providers/XNNPACK-ExecutionProvider.html', DOCS_QUANT],
    modes: ['int8-static', 'int8-dynamic'],
    defaultMode: 'int8-static',
    activationTypes: ['int8', 'uint8'],
    defaultActivationType: 'int8',
    weightTypes: ['int8'],
    defaultWeightType: 'int8',
    weightSymmetric: true,
    perChannel: 'allowed',
    defaultPerChannel: true,
    staticShapes: false,
    msOps: '*',
    dynamicQuant: true,
    float16: 'forbidden',
    opTypes: VIT_DEFAULT_OPS,
    quantizeOutputs: true,
    constantOperands: false,
  },
  nnapi: {
    name: 'nnapi',
    description: 'Android NNAPI EP: QDQ with uint8 activations and per-tensor uint8 weights, fixed input shapes.',
    docs: ['https://onnxruntime.ai/docs/execution-providers/NNAPI-ExecutionProvider.html', DOCS_QUANT],
    modes: ['int8-static'],
    defaultMode: 'int8-static',
    activationTypes: ['uint8'],
    defaultActivationType: 'uint8',
    weightTypes: ['uint8'],
    defaultWeightType: 'uint8',
    weightSymmetric: false,
    perChannel: 'forbidden',
    defaultPerChannel: false,
    staticShapes: true,
    msOps: [],
    dynamicQuant: false,
    float16: 'forbidden',
    opTypes: VIT_DEFAULT_OPS,
    quantizeOutputs: true,
    constantOperands: false,
  },
  'qnn-htp': {
    name: 'qnn-htp',
    description:
      'Qualcomm QNN EP, HTP (NPU) backend: fully quantized QDQ, uint8 or uint16 activations, symmetric 8-bit weights, fixed shapes.',
    docs: ['https://onnxruntime.ai/docs/execution-providers/QNN-ExecutionProvider.html', DOCS_QUANT],
    modes: ['int8-static'],
    defaultMode: 'int8-static',
    activationTypes: ['uint8', 'uint16'],
    defaultActivationType: 'uint8',
    weightTypes: ['int8', 'uint8'],
    defaultWeightType: 'int8',
    weightSymmetric: true,
    perChannel: 'allowed',
    defaultPerChannel: true,
    staticShapes: true,
    msOps: ['QuantizeLinear', 'DequantizeLinear'],
    dynamicQuant: false,
    float16: 'forbidden',
    opTypes: ['MatMul', 'Gemm', 'Conv', 'Add', 'Sub', 'Mul', 'Div', 'Softmax', 'LayerNormalization', 'Erf'],
    quantizeOutputs: true,
    constantOperands: true,
  },
  gpu: {
    name: 'gpu',
    description: 'Mobile GPU paths: float16 weights and compute.',
    docs: ['https://onnxruntime.ai/docs/performance/model-optimizations/float16.html'],
    modes: ['fp16'],
    defaultMode: 'fp16',
    activationTypes: [],
    defaultActivationType: 'uint8',
    weightTypes: [],
    defaultWeightType: 'int8',
    weightSymmetric: true,
    perChannel: 'forbidden',
    defaultPerChannel: false,
    staticShapes: false,
    msOps: [],
    dynamicQuant: false,
    float16: 'required',
    opTypes: [],
    quantizeOutputs: false,
    constantOperands: false,
  },
};

export function profileOf(name: BackendName): BackendProfile {
  return BACKEND_PROFILES[name];
}

/**
 * Quantization arithmetic following the ONNX QuantizeLinear/DequantizeLinear definitions:
 * q = saturate(round_half_to_even(x / scale) + zero_point), x' = (q - zero_point) · scale.
 * Owns: integer ranges per type, scale/zero-point choice from a float range, rounding, saturation,
 * and per-tensor / per-channel weight quantization.
 */
import { DataType } from '../onnx/tensor.js';
import type { QuantType, TensorRange } from './types.js';

/** Smallest and largest integer of a quantized type. */
export function qRange(type: QuantType): { qmin: number; qmax: number } {
  switch (type) {
    case 'uint8':
      return { qmin: 0, qmax: 255 };
    case 'int8':
      return { qmin: -128, qmax: 127 };
    case 'uint16':
      return { qmin: 0, qmax: 65535 };
    case 'int16':
      return { qmin: -32768, qmax: 32767 };
  }
}

export function isSigned(type: QuantType): boolean {
  return type === 'int8' || type === 'int16';
}

/** ONNX element type of a quantized type. */
export function onnxTypeOf(type: QuantType): DataType {
  switch (type) {
    case 'uint8':
      return DataType.UINT8;
    case 'int8':
      return DataType.INT8;
    case 'uint16':
      return DataType.UINT16;
    case 'int16':
      return DataType.INT16;
  }
}

/** Round half to even (banker's rounding), as ONNX QuantizeLinear requires. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; fix exact ties to the even neighbour.
  if (Math.abs(x - Math.trunc(x)) === 0.5) return 2 * Math.round(x / 2);
  return r;
}

export function saturate(q: number, type: QuantType): number {
  const { qmin, qmax } = qRange(type);
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** Quantization parameters of one tensor (or one channel). */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Scale and zero point for a float range. The range is first widened to include 0 (so 0 is exact).
 * Symmetric: zero point 0 (signed) or the middle of the range (unsigned), scale = max|x| / (qmax_sym),
 * where signed types use the restricted range [-(2^(b-1)-1), 2^(b-1)-1].
 * Asymmetric: scale = (max - min) / (qmax - qmin), zero point = round(qmin - min / scale).
 * The scale is rounded to float32 (as stored in the model).
 */
export function computeQParams(range: TensorRange, type: QuantType, symmetric: boolean): QParams {
  const rmin = Math.min(range.min, 0);
  const rmax = Math.max(range.max, 0);
  const { qmin, qmax } = qRange(type);
  if (symmetric) {
    const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
    const half = Math.floor((qmax - qmin) / 2); // 127 for 8-bit, 32767 for 16-bit
    const scale = absmax > 0 ? Math.fround(absmax / half) : 1;
    const zeroPoint = isSigned(type) ? 0 : half + 1; // 128 / 32768 for unsigned types
    return { scale, zeroPoint };
  }
  if (rmax === rmin) return { scale: 1, zeroPoint: isSigned(type) ? 0 : qmin };
  const scale = Math.fround((rmax - rmin) / (qmax - qmin));
  const zeroPoint = saturate(roundHalfEven(qmin - rmin / scale), type);
  return { scale, zeroPoint };
}

/** Quantize one value (float32 division, round half to even, saturate). */
export function quantizeValue(x: number, p: QParams, type: QuantType): number {
  return saturate(roundHalfEven(Math.fround(x / p.scale)) + p.zeroPoint, type);
}

/** Dequantize one value. */
export function dequantizeValue(q: number, p: QParams): number {
  return Math.fround((q - p.zeroPoint) * p.scale);
}

/** A quantized weight tensor. */
export interface QuantizedWeight {
  /** Quantized integers in the original layout. */
  values: Int32Array;
  /** One entry (per tensor) or one per channel along `axis`. */
  params: QParams[];
  axis?: number;
}

/**
 * Quantize a weight tensor per tensor (`axis` undefined) or per channel along `axis`.
 */
export function quantizeWeight(
  data: Float32Array,
  dims: readonly number[],
  type: QuantType,
  symmetric: boolean,
  axis?: number,
): QuantizedWeight {
  const values = new Int32Array(data.length);
  if (axis === undefined) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const p = computeQParams({ min, max }, type, symmetric);
    for (let i = 0; i < data.length; i++) values[i] = quantizeValue(data[i] as number, p, type);
    return { values, params: [p] };
  }
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const mins = new Float64Array(channels).fill(Infinity);
  const maxs = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = data[i] as number;
    if (v < (mins[c] as number)) mins[c] = v;
    if (v > (maxs[c] as number)) maxs[c] = v;
  }
  const params = Array.from({ length: channels }, (_, c) =>
    computeQParams({ min: mins[c] as number, max: maxs[c] as number }, type, symmetric),
  );
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    values[i] = quantizeValue(data[i] as number, params[c] as QParams, type);
  }
  return { values, params, axis };
}

/** Encode integers as little-endian bytes of the given type. */
export function encodeInts(values: ArrayLike<number>, type: QuantType | 'int32'): Uint8Array<ArrayBuffer> {
  const n = values.length;
  switch (type) {
    case 'uint8':
      return Uint8Array.from(values);
    case 'int8':
      return new Uint8Array(Int8Array.from(values).buffer);
    case 'uint16': {
      const b = new Uint8Array(n * 2);
      const v = new DataView(b.buffer);
      for (let i = 0; i < n; i++) v.setUint16(i * 2, values[i] ?? 0, true);
      return b;
    }
    case 'int16': {
      const b = new Uint8Array(n * 2);
      const v = new DataView(b.buffer);
      for (let i = 0; i < n; i++) v.setInt16(i * 2, values[i] ?? 0, true);
      return b;
    }
    case 'int32': {
      const b = new Uint8Array(n * 4);
      const v = new DataView(b.buffer);
      for (let i = 0; i < n; i++) v.setInt32(i * 4, values[i] ?? 0, true);
      return b;
    }
  }
}

/** Signal-to-quantization-noise ratio in dB of `test` against `ref` (Infinity when identical). */
export function sqnrDb(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] as number;
    const d = r - (test[i] as number);
    s += r * r;
    n += d * d;
  }
  if (n === 0) return Infinity;
  return 10 * Math.log10(s / n);
}

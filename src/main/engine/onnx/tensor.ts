/**
 * Tensors ↔ typed arrays: reading initializers (raw_data or typed fields) and building new ones.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType, type TensorProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';

export { TensorProto_DataType as DataType } from 'onnx-buf';
export type { TensorProto } from 'onnx-buf';

/** ONNX data type → readable name (as used in summaries). */
export const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** ONNX Runtime tensor type name (`float32`, `int64`…) → ONNX data type code. */
export const DATA_TYPE_CODES: Record<string, number> = Object.fromEntries(
  Object.entries(DATA_TYPE_NAMES).map(([code, name]) => [name, Number(code)]),
);

/** Shape of a tensor as plain numbers. */
export function dimsOf(t: TensorProto): number[] {
  return t.dims.map((d) => Number(d));
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

function rawView(t: TensorProto): DataView {
  return new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Read a float32 tensor (raw_data or float_data) as a fresh Float32Array. */
export function readFloat32(t: TensorProto): Float32Array {
  if (t.dataType === TensorProto_DataType.FLOAT16) return float16ToFloat32(readUint16(t));
  if (t.dataType !== TensorProto_DataType.FLOAT) {
    throw new PqvError(
      'MODEL_UNSUPPORTED',
      `Tensor ${t.name} is ${DATA_TYPE_NAMES[t.dataType] ?? t.dataType}, expected float32.`,
    );
  }
  const n = elementCount(dimsOf(t));
  if (t.rawData.length > 0) {
    if (LITTLE_ENDIAN) return new Float32Array(t.rawData.slice(0, n * 4).buffer);
    const out = new Float32Array(n);
    const v = rawView(t);
    for (let i = 0; i < n; i++) out[i] = v.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(t.floatData);
}

function readUint16(t: TensorProto): Uint16Array {
  const n = elementCount(dimsOf(t));
  const out = new Uint16Array(n);
  if (t.rawData.length > 0) {
    const v = rawView(t);
    for (let i = 0; i < n; i++) out[i] = v.getUint16(i * 2, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = t.int32Data[i] ?? 0;
  }
  return out;
}

/** Read an integer tensor (int64/int32/int8/uint8…) as numbers. */
export function readInts(t: TensorProto): number[] {
  const n = elementCount(dimsOf(t));
  const out: number[] = new Array<number>(n);
  if (t.rawData.length > 0) {
    const v = rawView(t);
    for (let i = 0; i < n; i++) {
      switch (t.dataType) {
        case TensorProto_DataType.INT64:
          out[i] = Number(v.getBigInt64(i * 8, true));
          break;
        case TensorProto_DataType.UINT64:
          out[i] = Number(v.getBigUint64(i * 8, true));
          break;
        case TensorProto_DataType.INT32:
          out[i] = v.getInt32(i * 4, true);
          break;
        case TensorProto_DataType.UINT32:
          out[i] = v.getUint32(i * 4, true);
          break;
        case TensorProto_DataType.INT16:
          out[i] = v.getInt16(i * 2, true);
          break;
        case TensorProto_DataType.UINT16:
          out[i] = v.getUint16(i * 2, true);
          break;
        case TensorProto_DataType.INT8:
          out[i] = v.getInt8(i);
          break;
        case TensorProto_DataType.UINT8:
        case TensorProto_DataType.BOOL:
          out[i] = v.getUint8(i);
          break;
        default:
          throw new PqvError('MODEL_UNSUPPORTED', `Tensor ${t.name} is not an integer tensor.`);
      }
    }
    return out;
  }
  if (t.dataType === TensorProto_DataType.INT64) return t.int64Data.map((x) => Number(x));
  if (t.dataType === TensorProto_DataType.UINT64) return t.uint64Data.map((x) => Number(x));
  return t.int32Data.slice(0, n);
}

/** Read any numeric tensor as float64 numbers (for small constants). */
export function readNumbers(t: TensorProto): number[] {
  if (t.dataType === TensorProto_DataType.FLOAT || t.dataType === TensorProto_DataType.FLOAT16) {
    return Array.from(readFloat32(t));
  }
  if (t.dataType === TensorProto_DataType.DOUBLE) {
    if (t.rawData.length > 0) {
      const v = rawView(t);
      return Array.from({ length: t.rawData.length / 8 }, (_, i) => v.getFloat64(i * 8, true));
    }
    return [...t.doubleData];
  }
  return readInts(t);
}

/** Build a float32 tensor stored as raw_data. */
export function makeFloat32Tensor(
  name: string,
  dims: readonly number[],
  data: Float32Array | readonly number[],
): TensorProto {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== elementCount(dims)) {
    throw new Error(`makeFloat32Tensor(${name}): ${arr.length} values for dims [${dims.join(',')}]`);
  }
  const raw = new Uint8Array(arr.length * 4);
  const v = new DataView(raw.buffer);
  for (let i = 0; i < arr.length; i++) v.setFloat32(i * 4, arr[i] ?? 0, true);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: TensorProto_DataType.FLOAT,
    rawData: raw,
  });
}

/** Build an int64 tensor stored as raw_data. */
export function makeInt64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  const raw = new Uint8Array(data.length * 8);
  const v = new DataView(raw.buffer);
  data.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: TensorProto_DataType.INT64,
    rawData: raw,
  });
}

/** Build a tensor of any fixed-width type from already-encoded little-endian bytes. */
export function makeRawTensor(
  name: string,
  dataType: TensorProto_DataType,
  dims: readonly number[],
  raw: Uint8Array<ArrayBuffer>,
): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map((d) => BigInt(d)), dataType, rawData: raw });
}

/** Replace the contents of a float32 tensor in place (new dims allowed). */
export function setFloat32(t: TensorProto, dims: readonly number[], data: Float32Array): void {
  const fresh = makeFloat32Tensor(t.name, dims, data);
  t.dims = fresh.dims;
  t.rawData = fresh.rawData;
  t.floatData = [];
  t.dataType = TensorProto_DataType.FLOAT;
}

/** Replace the contents of an int64 tensor in place. */
export function setInt64(t: TensorProto, dims: readonly number[], data: readonly number[]): void {
  const fresh = makeInt64Tensor(t.name, dims, data);
  t.dims = fresh.dims;
  t.rawData = fresh.rawData;
  t.int64Data = [];
  t.dataType = TensorProto_DataType.INT64;
}

// ---- float16 conversion (IEEE 754 binary16, round-to-nearest-even) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Convert one float32 to its float16 bit pattern (values beyond ±65504 become ±Inf; clamp first to avoid it). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** Convert one float16 bit pattern to a number. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i] ?? 0);
  return out;
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i] ?? 0);
  return out;
}

/**
 * Slicing initializers along one or more axes (kept indices), for any fixed-width element type.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { BYTES_PER_ELEMENT } from '../onnx/model-io.js';
import { DataType, dimsOf, readFloat32, readInts } from '../onnx/tensor.js';

function rawBytes(t: TensorProto): Uint8Array {
  if (t.rawData.length > 0) return t.rawData;
  if (t.dataType === DataType.FLOAT) {
    const f = readFloat32(t);
    return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  }
  if (t.dataType === DataType.INT64) {
    const v = readInts(t);
    const out = new Uint8Array(v.length * 8);
    const dv = new DataView(out.buffer);
    v.forEach((x, i) => dv.setBigInt64(i * 8, BigInt(x), true));
    return out;
  }
  throw new PqvError(
    'MODEL_UNSUPPORTED',
    `Initializer ${t.name} stores its data in a typed field PQV Studio cannot slice; re-export the model.`,
  );
}

type Typed = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

function view(bytes: Uint8Array, width: number): Typed {
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  const n = aligned.byteLength / width;
  if (width === 1) return aligned;
  if (width === 2) return new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  if (width === 4) return new Uint32Array(aligned.buffer, aligned.byteOffset, n);
  return new BigUint64Array(aligned.buffer, aligned.byteOffset, n);
}

/** Gather `keep` indices along `axis` of a row-major byte buffer. */
function gatherAxis(
  src: Uint8Array,
  dims: number[],
  axis: number,
  keep: number[],
  width: number,
): Uint8Array<ArrayBuffer> {
  const n = dims[axis] as number;
  const innerElems = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const inner = innerElems * width;
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const out = new Uint8Array(outer * keep.length * inner);
  if (innerElems === 1) {
    // Last axis: element-wise copy through a typed view (one element per kept index).
    const s = view(src, width);
    const o = view(out, width);
    let j = 0;
    for (let i = 0; i < outer; i++) {
      const base = i * n;
      for (const k of keep) o[j++] = s[base + k] as never;
    }
    return out;
  }
  let o = 0;
  for (let i = 0; i < outer; i++) {
    const base = i * n * inner;
    for (const k of keep) {
      const start = base + k * inner;
      out.set(src.subarray(start, start + inner), o);
      o += inner;
    }
  }
  return out;
}

/** A new tensor named `name` holding `t` with `removed[axis]` indices dropped along each axis. */
export function sliceTensor(
  t: TensorProto,
  removed: ReadonlyMap<number, ReadonlySet<number>>,
  name = t.name,
): TensorProto {
  const width = BYTES_PER_ELEMENT[t.dataType];
  if (width === undefined)
    throw new PqvError('MODEL_UNSUPPORTED', `Initializer ${t.name} has a data type PQV Studio cannot slice.`);
  const dims = dimsOf(t);
  let data: Uint8Array = rawBytes(t);
  let sliced: Uint8Array<ArrayBuffer> | undefined;
  for (const [axis, rem] of [...removed.entries()].sort((a, b) => a[0] - b[0])) {
    const n = dims[axis];
    if (n === undefined) throw new PqvError('INTERNAL', `Axis ${axis} out of range for ${t.name}`);
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (!rem.has(i)) keep.push(i);
    sliced = gatherAxis(data, dims, axis, keep, width);
    data = sliced;
    dims[axis] = keep.length;
  }
  const raw = sliced ?? new Uint8Array(data);
  return create(TensorProtoSchema, { name, dataType: t.dataType, dims: dims.map((d) => BigInt(d)), rawData: raw });
}

/**
 * Model inspection: a `ModelSummary` (opset, IR version, producer, inputs/outputs, parameter count,
 * size on disk including external data, operator histogram, SHA-256) for `pqv inspect` and the UI.
 *
 * File problems surface as coded errors from model-io: FILE_NOT_FOUND, NOT_A_FILE, MODEL_EMPTY,
 * MODEL_INVALID, MODEL_TRUNCATED.
 */
import { sha256Hex } from '../util/hash.js';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TensorProto_DataLocation, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import type { ModelSummary, TensorInfo } from '../../../common/types/model.js';
import { assertModelFile, opsetOf, parseModel } from '../onnx/model-io.js';
import { DATA_TYPE_NAMES } from '../onnx/tensor.js';

/** Read, validate and summarise an ONNX model file. */
export async function inspectModel(path: string): Promise<ModelSummary> {
  const abs = resolve(path);
  await assertModelFile(abs);
  const bytes = new Uint8Array(await readFile(abs));
  const model = parseModel(bytes, abs);
  const sha256 = sha256Hex(bytes);
  const external = await externalDataBytes(model, dirname(abs));
  return summarize(model, { path: abs, fileBytes: bytes.length + external.bytes, sha256, externalData: external.used });
}

/** Summary of an in-memory model (for variants that are not on disk yet). */
export function summarize(
  model: ModelProto,
  file: { path: string; fileBytes: number; sha256: string; externalData?: boolean },
): ModelSummary {
  const graph = model.graph;
  const initNames = new Set((graph?.initializer ?? []).map((t) => t.name));
  const ops: Record<string, number> = {};
  for (const n of graph?.node ?? []) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  let params = 0;
  for (const t of graph?.initializer ?? []) params += t.dims.reduce((a, d) => a * Number(d), 1);
  const externalData =
    file.externalData ?? (graph?.initializer ?? []).some((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
  return {
    path: file.path,
    opset: opsetOf(model),
    irVersion: Number(model.irVersion),
    producer: [model.producerName, model.producerVersion].filter((s) => s.length > 0).join(' '),
    // Older exporters list initializers among the graph inputs; those are weights, not inputs.
    inputs: (graph?.input ?? []).filter((v) => !initNames.has(v.name)).map(tensorInfo),
    outputs: (graph?.output ?? []).map(tensorInfo),
    params,
    bytes: file.fileBytes,
    ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    externalData,
    sha256: file.sha256,
  };
}

function tensorInfo(v: ValueInfoProto): TensorInfo {
  const t = v.type?.value;
  if (v.type?.value.case !== 'tensorType' || !t) return { name: v.name, type: 'unknown', shape: [] };
  const tt = v.type.value.value;
  const shape = (tt.shape?.dim ?? []).map((d): number | string | null => {
    if (d.value.case === 'dimValue') return Number(d.value.value);
    if (d.value.case === 'dimParam' && d.value.value.length > 0) return d.value.value;
    return null;
  });
  return { name: v.name, type: DATA_TYPE_NAMES[tt.elemType] ?? `type${tt.elemType}`, shape };
}

/** Total size of the distinct external data files a model refers to. */
async function externalDataBytes(model: ModelProto, baseDir: string): Promise<{ used: boolean; bytes: number }> {
  const files = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    if (loc) files.add(join(baseDir, loc));
  }
  let bytes = 0;
  for (const f of files) bytes += (await stat(f).catch(() => undefined))?.size ?? 0;
  return { used: files.size > 0, bytes };
}

/** Format a byte count for people (`10.3 MB`). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

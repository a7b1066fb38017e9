/**
 * Mobile export: the ORT-format model (`.ort`, FlatBuffers) written by ONNX Runtime itself through the
 * `optimizedModelFilePath` session option (the runtime picks the format from the `.ort` extension).
 */
import { readFile, rm, stat } from 'node:fs/promises';
import type { ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { createSession } from '../onnx/session.js';

/**
 * Write `model` as an ORT-format file. Basic graph optimisations only, so the file stays portable to
 * mobile builds (higher levels can bake in host-specific fused kernels). Coded error when the installed
 * runtime binding cannot write ORT format.
 */
export async function exportOrtFormat(model: ModelProto | Uint8Array, ortPath: string): Promise<number> {
  if (!ortPath.toLowerCase().endsWith('.ort')) {
    throw new PqvError('INVALID_ARGUMENT', `ORT-format output must end with .ort (got ${ortPath}).`);
  }
  await rm(ortPath, { force: true });
  const session = await createSession(model, { optimization: 'basic', optimizedModelFilePath: ortPath });
  await session.release();
  const s = await stat(ortPath).catch(() => undefined);
  const head = s ? (await readFile(ortPath)).subarray(4, 8).toString('latin1') : '';
  if (!s || head !== 'ORTM') {
    throw new PqvError(
      'ORT_FORMAT_UNSUPPORTED',
      `This ONNX Runtime binding did not write an ORT-format model to ${ortPath}. Convert the .onnx output with ` +
        '`python -m onnxruntime.tools.convert_onnx_models_to_ort` instead, or use the .onnx file directly.',
      { path: ortPath },
    );
  }
  return s.size;
}

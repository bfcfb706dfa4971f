import * as path from 'path';
import { exportStateDict } from '../models/state';
import { writeSafetensors } from '../models/weights/safetensors';
import { makeDirs, writeFileAtomic } from '../util/fs';
import { packageVersion } from '../util/version';
import { BundleModel } from './bundle-source';
import { buildGraph } from './graph';
import { toOnnxModel } from './onnx/onnx-model';
import { toTfGraph } from './tf-graph-def';
import { writeGraphModel } from './tfjs-graph-model';
import { timmRecipe } from './timm-recipe';

export type ExportFormat = 'tfjs-graph' | 'onnx' | 'safetensors';

/** What the exported model takes, in words, for its metadata. */
const INPUT = {
  'tfjs-graph': 'image: float32 [batch, H, W, 3], RGB in [0, 1] (tf.browser.fromPixels(img).div(255)); normalisation is inside the graph',
  onnx: 'image: float32 [batch, 3, H, W], RGB in [0, 1]; normalisation is inside the graph',
  safetensors: 'timm model: float32 [batch, 3, H, W], normalised with "normalize"',
} as const;

/** The bundle's metadata with the thresholds the model is used with (tuned ones when the run tuned them). */
export function exportMetadata(source: BundleModel, format: ExportFormat): Record<string, string> {
  return {
    ...source.bundle.metadata,
    thresholds: JSON.stringify(source.bundle.thresholds),
    input: INPUT[format],
    exported_by: `fundus-train ${packageVersion()}`,
  };
}

/** Writes the export; returns the files written (relative to `out` for folders) and, for safetensors, timm's recipe. */
export async function exportModel(source: BundleModel, format: ExportFormat, out: string): Promise<{ files: string[]; recipe?: string }> {
  const metadata = exportMetadata(source, format);
  const { model, bundle } = source;
  if (format === 'safetensors') {
    makeDirs(path.dirname(out));
    writeSafetensors(out, await exportStateDict(model), { format: 'pt', ...metadata });
    return { files: [out], recipe: timmRecipe(bundle, out) };
  }
  const graph = buildGraph(model);
  const normalize = source.config.data.normalize;
  if (format === 'onnx') {
    makeDirs(path.dirname(out));
    writeFileAtomic(out, toOnnxModel(graph, normalize, bundle.output, metadata, packageVersion()));
    return { files: [out] };
  }
  const S = model.imageSize;
  return { files: writeGraphModel(out, toTfGraph(graph, normalize, bundle.output), metadata, `fundus-train ${packageVersion()}`, [-1, S, S, 3]) };
}

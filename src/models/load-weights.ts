import * as fs from 'fs';
import { UserError } from '../util/errors';
import { ClassifierModel } from './classifier';
import { applyStateDict, ApplyStateDictReport } from './state';
import { loadStateDictFile } from './weights/state-dict';
import { StateDict } from './weights/tensor';

export interface LoadWeightsOptions {
  /** Every tensor must fit, apart from a classifier of another class count (default true). */
  strict?: boolean;
}

/** Name maps from other naming schemes to timm's; each returns null when the dict is not in its scheme. */
export type NameMap = (dict: StateDict, model: ClassifierModel) => StateDict | null;

const nameMaps: NameMap[] = [];

/** Registers a translation from another library's names (e.g. Hugging Face transformers) to timm's. */
export function registerNameMap(map: NameMap): void {
  nameMaps.push(map);
}

/**
 * Loads pretrained weights (safetensors, or a PyTorch zip checkpoint such as pytorch_model.bin)
 * into the model. Names are timm's, or another scheme with a registered name map.
 */
export function loadWeights(model: ClassifierModel, file: string, options: LoadWeightsOptions = {}): ApplyStateDictReport {
  if (!fs.existsSync(file)) throw new UserError(`pretrained weights not found: ${file}`);
  const notes: string[] = [];
  let dict = loadStateDictFile(file, { onNote: (n) => notes.push(n) });
  for (const map of nameMaps) {
    const mapped = map(dict, model);
    if (mapped) {
      dict = mapped;
      break;
    }
  }
  const report = applyStateDict(model, dict, { strict: options.strict ?? true, source: file });
  return notes.length ? { ...report, message: `${report.message} (${notes.join('; ')})` } : report;
}

/**
 * fundus-train as a library: the same pieces the command line uses.
 *
 *   import { loadConfig, train, evaluate, createModel, loadWeights, computeMetrics } from 'fundus-train';
 */
export { loadConfig, validateConfig } from './config/load';
export { resolveConfig, configHash } from './config/resolve';
export * from './config/schema';
export { checkMonitorsForTask, resolveMode } from './config/monitors';

export { initBackend, BACKEND_NAMES } from './backend/select';
export type { BackendName, BackendInfo } from './backend/select';

export * from './data';

export { createModel, listModels, getModelEntry, registerModel, ClassifierModel } from './models';
export type { ModelOptions, ModelEntry, PretrainedCfg } from './models';
export { loadWeights, registerNameMap } from './models/load-weights';
export { applyStateDict, exportStateDict } from './models/state';
export { readSafetensors, writeSafetensors } from './models/weights/safetensors';
export { loadStateDictFile } from './models/weights/state-dict';

export { train } from './train/trainer';
export type { TrainOptions, TrainResult } from './train/trainer';
export { evaluate } from './train/evaluate';
export { predictBatches } from './train/inference';
export type { TrainerCallback, EpochRecord } from './train/callbacks';
export { ReduceLROnPlateau } from './train/reduce-lr-on-plateau';
export { EarlyStopping } from './train/early-stopping';
export { AdamOptimizer } from './train/optimizer';
export { softmaxCrossEntropy, bceWithLogits } from './train/losses';

export * from './eval';

export { loadPredictor } from './predict/predictor';
export { loadModelSource } from './predict/model-source';
export { exportModel } from './export/export-model';
export { loadBundleModel } from './export/bundle-source';
export { bundleMetadata, parseBundle } from './models/bundle';
export { predictFiles } from './predict/predict';
export { predict } from './predict/run';
export { gradCam } from './predict/gradcam';
export { camOverlayPng } from './predict/overlay';
export { patientResult, referralRuleText } from './predict/patient';
export { buildServeApp } from './serve/app';
export { startServer } from './serve/server';

export { UserError } from './util/errors';

/** Evaluation: metrics on plain arrays (no tfjs), bootstrap intervals, predictions CSV, text and LaTeX reports. */
export * from './metric';
export * from './metrics/roc';
export * from './metrics/average-precision';
export * from './metrics/classification';
export * from './metrics/kappa';
export * from './metrics/calibration';
export * from './metrics/probability-scores';
export * from './metrics/multilabel';
export * from './metrics/ordinal';
export * from './bootstrap';
export * from './compute-metrics';
export * from './metric-registry';
export * from './monitors';
export * from './predictions';
export * from './score';
export * from './report/text';
export * from './report/latex';

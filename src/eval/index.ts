/** Evaluation: metrics on plain arrays (no tfjs), bootstrap intervals, predictions CSV, text and LaTeX reports. */
export * from './metric';
export * from './metrics/roc';
export * from './metrics/averagePrecision';
export * from './metrics/classification';
export * from './metrics/kappa';
export * from './metrics/calibration';
export * from './metrics/probabilityScores';
export * from './metrics/multilabel';
export * from './metrics/ordinal';
export * from './bootstrap';
export * from './computeMetrics';
export * from './metricNames';
export * from './predictions';
export * from './score';
export * from './report/text';
export * from './report/latex';

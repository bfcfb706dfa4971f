/** Studies: sweeps, k-fold and seed repeats, their executors, aggregate and fold ensembles. */
export * from './study-schema';
export * from './plan';
export * from './run-files';
export * from './task';
export * from './aggregate';
export * from './aggregate-plot';
export * from './ensemble';
export * from './executors/local';
export * from './executors/slurm';
export * from './executors/k8s';

import * as fs from 'fs';
import * as path from 'path';
import { validateConfig } from '../config/load';
import { ExperimentConfig } from '../config/schema';
import { ClassifierModel } from '../models/classifier';
import { createModel } from '../models';
import { Bundle, parseBundle } from '../models/bundle';
import { applyStateDict } from '../models/state';
import { readSafetensors, readSafetensorsMetadata } from '../models/weights/safetensors';
import { UserError } from '../util/errors';
import { CHECKPOINT_FILES, isRunDir, readRunConfig, runCheckpointDir, runPaths } from '../train/run-dir';

const MODEL_FILE = CHECKPOINT_FILES.model;

/** A model with its bundle metadata and the training config it came from. */
export interface BundleModel {
  model: ClassifierModel;
  bundle: Bundle;
  config: ExperimentConfig;
  /** The safetensors file the weights came from. */
  weights: string;
  /** The run directory, when the weights sit inside one (tuned thresholds live in its metrics.json). */
  runDir: string | null;
}

/**
 * The safetensors file a path names: a run directory (its checkpoints/best, else last, or `which`), a
 * checkpoint directory, or a safetensors file itself (a checkpoint's or an export's).
 */
export function locateWeights(source: string, which?: 'best' | 'last'): { weights: string; runDir: string | null } {
  const p = path.resolve(source);
  if (!fs.existsSync(p)) throw new UserError(`model not found: ${p}`);
  if (fs.statSync(p).isFile()) return { weights: p, runDir: runDirAbove(path.dirname(p)) };
  if (fs.existsSync(runPaths(p).checkpoints)) return { weights: path.join(runCheckpointDir(p, which), MODEL_FILE), runDir: p };
  const weights = path.join(p, MODEL_FILE);
  if (!fs.existsSync(weights))
    throw new UserError(`${p} is neither a run directory nor a checkpoint directory: no checkpoints/ and no ${MODEL_FILE}`);
  return { weights, runDir: runDirAbove(p) };
}

/** The run directory a checkpoint sits in (it, or up to two folders up, holds config.json), if any. */
function runDirAbove(dir: string): string | null {
  return [dir, path.dirname(dir), path.dirname(path.dirname(dir))].find(isRunDir) ?? null;
}

/**
 * Rebuilds the model a safetensors bundle describes and loads its weights. The config comes from the
 * bundle's own metadata, so a checkpoint moved anywhere still works; inside a run directory, the run's config.json is read.
 */
export function loadBundleModel(source: string, which?: 'best' | 'last'): BundleModel {
  const { weights, runDir } = locateWeights(source, which);
  const bundle = parseBundle(readSafetensorsMetadata(weights), weights);
  let config: ExperimentConfig;
  // Inside a run directory its config.json is the run's own word; a checkpoint moved out carries a copy.
  if (runDir) config = readRunConfig(runDir);
  else if (bundle.config) config = validateConfig(bundle.config, `${weights} (metadata "config")`);
  else
    throw new UserError(
      `${weights}: no "config" in its metadata and no run directory around it: export it again from its run with fundus-train export`,
    );
  if (bundle.model !== config.model.name)
    throw new UserError(`${weights} holds a ${bundle.model} but its config describes a ${config.model.name}: use the checkpoint's own run directory`);
  const model = createModel(config.model.name, {
    numClasses: bundle.classes.length,
    imageSize: config.model.imageSize,
    args: config.model.args,
    initialize: false,
  });
  try {
    applyStateDict(model, readSafetensors(weights), { strict: true, source: weights });
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.setTraining(false);
  return { model, bundle: { ...bundle, thresholds: tunedThresholds(bundle, config, runDir) }, config, weights, runDir };
}

/** Multi-label thresholds tuned on validation at the end of training are in the run's metrics.json. */
function tunedThresholds(bundle: Bundle, config: ExperimentConfig, runDir: string | null): number[] {
  if (config.eval.threshold !== 'tune' || !runDir) return bundle.thresholds;
  const file = path.join(runDir, 'metrics.json');
  const tuned = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { settings?: { thresholds?: number[] } }).settings?.thresholds
    : undefined;
  return tuned && tuned.length === bundle.classes.length ? tuned : bundle.thresholds;
}

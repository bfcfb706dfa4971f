import { Bundle } from '../models/bundle';
import { getModelEntry } from '../models/registry';

/** Families whose timm constructor takes img_size (a transformer's position grid depends on it; CNNs take any size). */
const IMG_SIZE_FAMILIES = new Set(['vit', 'swinv2']);
/** fundus-train arguments with no timm create_model kwarg of the same meaning. */
const NOT_TIMM = new Set(['stages', 'headChannels', 'mlpHidden', 'mlpKernel', 'features', 'pretrainedWindowSizes']);

/** A Python literal for a JSON value. */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${py(k)}: ${py(v)}`)
    .join(', ')}}`;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * timm's create_model kwargs for the bundle's model: num_classes, img_size where it differs from the
 * variant's default (position embeddings are sized by it), and the architecture arguments as timm names
 * them. Arguments timm has no kwarg for are returned in `untranslatable`.
 */
export function timmKwargs(bundle: Bundle): { kwargs: [string, unknown][]; untranslatable: string[] } {
  const entry = getModelEntry(bundle.model);
  const kwargs: [string, unknown][] = [['num_classes', bundle.classes.length]];
  if (IMG_SIZE_FAMILIES.has(entry.family) && bundle.imageSize !== entry.pretrainedCfg.inputSize) kwargs.push(['img_size', bundle.imageSize]);
  const untranslatable: string[] = [];
  for (const [key, value] of Object.entries(bundle.modelArgs)) {
    if (key === 'imgSize' || key === 'numClasses') continue;
    if (NOT_TIMM.has(key)) untranslatable.push(key);
    else kwargs.push([snake(key), value]);
  }
  return { kwargs, untranslatable };
}

/** The Python lines that load a safetensors export in timm, exactly as printed by `fundus-train export`. */
export function timmRecipe(bundle: Bundle, file: string): string {
  const { kwargs, untranslatable } = timmKwargs(bundle);
  const lines = [
    'import timm',
    'from safetensors.torch import load_file',
    `model = timm.create_model(${[py(bundle.model), ...kwargs.map(([k, v]) => `${k}=${py(v)}`)].join(', ')})`,
    `model.load_state_dict(load_file(${py(file)}))`,
    'model.eval()',
  ];
  if (untranslatable.length > 0)
    lines.unshift(
      `# ${untranslatable.join(', ')}: fundus-train arguments timm's ${bundle.model} has no kwarg for; the weights load only where they equal its defaults`,
    );
  return lines.join('\n');
}

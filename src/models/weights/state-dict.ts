/**
 * One entry point for weight files: the format is chosen by the file's first bytes (not its
 * extension), and what the file holds is reduced to a flat name → tensor map. Checkpoints
 * of training scripts wrap the weights ({state_dict: ...}, {model: ...}) and models saved
 * under DataParallel prefix every name with `module.`; both are undone here, and each
 * thing done is reported as a note.
 */
import { UserError } from '../../util/errors';
import { FileRange } from './file-range';
import { PyValue, describeValue } from './pickle';
import { isLegacyPytorchHead, isZipHead, readPytorchCheckpoint } from './pytorch';
import { readSafetensors } from './safetensors';
import { HostTensor, StateDict, isHostTensor } from './tensor';

export type WeightFileFormat = 'safetensors' | 'pytorch';

/** Keys under which checkpoints keep the model's weights, in order of preference. */
const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'module'];

/** Name prefixes added by wrappers of the model: DataParallel / DistributedDataParallel, torch.compile. */
const WRAPPER_PREFIXES = ['module.', '_orig_mod.'];

export interface NormalisedStateDict {
  stateDict: StateDict;
  /** One line per thing done to get there ('used the "state_dict" entry ...'). */
  notes: string[];
}

export interface LoadStateDictOptions {
  /** Receives each note of normaliseStateDict (e.g. to print them). */
  onNote?: (line: string) => void;
}

/** Which reader `file` needs, from its first bytes. */
export function detectWeightFileFormat(file: string): WeightFileFormat {
  return FileRange.with(file, (range) => {
    if (range.size === 0) throw new UserError(`${file} is empty; expected a safetensors file or a PyTorch checkpoint`);
    const head = range.read(0, Math.min(range.size, 512), 'the file header');
    if (isZipHead(head)) return 'pytorch';
    // safetensors: a little-endian u64 header length (far below 4 GiB) followed by the JSON's '{'.
    if (head.length >= 9 && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0 && head[8] === 0x7b) return 'safetensors';
    // Legacy PyTorch files: the PyTorch reader explains how to re-save them.
    if (isLegacyPytorchHead(head)) return 'pytorch';
    const hex = Buffer.from(head.subarray(0, 8)).toString('hex').replace(/(..)/g, '$1 ').trim();
    throw new UserError(`${file} is neither a safetensors file nor a PyTorch checkpoint written by torch.save (first bytes: ${hex})`);
  });
}

/** The weights in `file` (safetensors or PyTorch zip) as a flat, normalised state dict. */
export function loadStateDictFile(file: string, options: LoadStateDictOptions = {}): StateDict {
  const format = detectWeightFileFormat(file);
  const content = format === 'safetensors' ? readSafetensors(file) : readPytorchCheckpoint(file);
  const { stateDict, notes } = normaliseStateDict(content, file);
  for (const note of notes) options.onNote?.(note);
  return stateDict;
}

/**
 * Finds the state dict in what a weight file holds and returns it flat: descends into
 * `state_dict` / `model_state_dict` / `model` / `module` entries while the current dict
 * holds no tensors, drops entries that are not tensors, and removes a `module.` (or
 * `_orig_mod.`) prefix carried by every name.
 */
export function normaliseStateDict(content: PyValue | StateDict, source: string): NormalisedStateDict {
  const notes: string[] = [];
  let current: PyValue = content as PyValue;
  const path: string[] = [];
  const where = () => (path.length === 0 ? 'the top level' : path.map((k) => `["${k}"]`).join(''));

  for (;;) {
    if (!(current instanceof Map)) {
      throw new UserError(`${source} holds ${describeValue(current)} at ${where()}, not a dict of tensors; expected a state dict (torch.save(model.state_dict(), path))`);
    }
    const dict: Map<PyValue, PyValue> = current;
    if ([...dict.values()].some(isHostTensor)) break;
    const keys = [...dict.keys()];
    const keyNames = keys.map((k) => (typeof k === 'string' ? k : describeValue(k)));
    let next = WRAPPER_KEYS.find((k) => dict.get(k) instanceof Map);
    if (next === undefined) {
      // No known wrapper: accept a single entry that contains tensors somewhere (e.g. DINO's "teacher").
      const holders = keys.filter((k): k is string => typeof k === 'string' && containsTensor(dict.get(k) as PyValue, new Set(), 0));
      if (holders.length !== 1) {
        const hint = holders.length > 1 ? `several entries hold tensors (${holders.join(', ')}); extract one` : 'no tensors found';
        throw new UserError(
          `${source} holds no state dict at ${where()} (keys: ${summarise(keyNames)}): ${hint}; expected tensors or one of ${WRAPPER_KEYS.join(', ')}`,
        );
      }
      next = holders[0];
    }
    const rest = keyNames.filter((k) => k !== next);
    notes.push(`used the "${next}" entry of ${where()}${rest.length > 0 ? ` (ignored: ${summarise(rest)})` : ''}`);
    path.push(next);
    current = dict.get(next) as PyValue;
  }

  const stateDict: StateDict = new Map();
  const skipped: string[] = [];
  for (const [key, value] of current as Map<PyValue, PyValue>) {
    if (typeof key === 'string' && isHostTensor(value)) stateDict.set(key, value as HostTensor);
    else skipped.push(typeof key === 'string' ? `${key} (${describeValue(value)})` : describeValue(key));
  }
  if (skipped.length > 0) notes.push(`skipped ${skipped.length} entries that are not tensors: ${summarise(skipped)}`);

  let names = [...stateDict.keys()];
  let stripped = false;
  for (let again = true; again; ) {
    again = false;
    for (const prefix of WRAPPER_PREFIXES) {
      if (names.length > 0 && names.every((n) => n.startsWith(prefix))) {
        names = names.map((n) => n.slice(prefix.length));
        notes.push(`removed the "${prefix}" prefix from all ${names.length} names (a model saved inside ${prefix === 'module.' ? 'DataParallel' : 'torch.compile'})`);
        stripped = again = true;
      }
    }
  }
  if (!stripped) return { stateDict, notes };
  const renamed: StateDict = new Map();
  let i = 0;
  for (const tensor of stateDict.values()) renamed.set(names[i++], tensor);
  return { stateDict: renamed, notes };
}

/** Whether tensors lie anywhere inside `v` (containers may be cyclic or absurdly deep in a crafted pickle). */
function containsTensor(v: PyValue, seen: Set<PyValue>, depth: number): boolean {
  if (isHostTensor(v)) return true;
  if (typeof v !== 'object' || v === null || seen.has(v) || depth > 32) return false;
  seen.add(v);
  if (v instanceof Map) return [...v.values()].some((x) => containsTensor(x, seen, depth + 1));
  if (Array.isArray(v)) return v.some((x) => containsTensor(x, seen, depth + 1));
  return false;
}

function summarise(items: string[]): string {
  const shown = items.slice(0, 6).join(', ');
  return items.length > 6 ? `${shown}, ... (${items.length} in all)` : shown;
}

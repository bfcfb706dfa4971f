/**
 * One entry point for weight files: the format is chosen by the file's first bytes (not its
 * extension), and what the file holds is reduced to a flat name → tensor map. Checkpoints
 * of training scripts wrap the weights ({state_dict: ...}, {model: ...}) and models saved
 * under DataParallel prefix every name with `module.`; both are undone here, and each
 * thing done is reported as a note.
 */
import { UserError } from '../../util/errors';
import { printable } from './printable';
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

/** Checkpoints wrap their weights one or two dicts deep; past this the file is not a checkpoint. */
const MAX_WRAPPER_DEPTH = 16;

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
  const where = () => (path.length === 0 ? 'the top level' : path.map((k) => `["${printable(k)}"]`).join(''));
  // A crafted pickle can make a dict its own entry ({'state_dict': <itself>}); descend each dict once.
  const visited = new Set<PyValue>();

  for (;;) {
    if (visited.has(current)) {
      throw new UserError(
        `${source} holds a dict that contains itself at ${where()}, so no state dict can be found there; the file is corrupt or crafted`,
      );
    }
    if (path.length > MAX_WRAPPER_DEPTH) {
      throw new UserError(
        `${source} nests its weights more than ${MAX_WRAPPER_DEPTH} dicts deep (at ${where().slice(0, 200)}...); expected a state dict`,
      );
    }
    visited.add(current);
    if (!(current instanceof Map)) {
      throw new UserError(
        `${source} holds ${describeValue(current)} at ${where()}, not a dict of tensors; expected a state dict (torch.save(model.state_dict(), path))`,
      );
    }
    const dict: Map<PyValue, PyValue> = current;
    if ([...dict.values()].some(isHostTensor)) break;
    const keys = [...dict.keys()];
    const keyNames = keys.map((k) => (typeof k === 'string' ? printable(k) : describeValue(k)));
    let next = WRAPPER_KEYS.find((k) => dict.get(k) instanceof Map);
    if (next === undefined) {
      // No known wrapper: accept a single entry that contains tensors somewhere (e.g. DINO's "teacher").
      const known = new Map<PyValue, boolean>();
      const holders = keys.filter((k): k is string => typeof k === 'string' && containsTensor(dict.get(k) as PyValue, known, 0));
      if (holders.length !== 1) {
        const hint =
          holders.length > 1 ? `several entries hold tensors (${summarise(holders.map((h) => printable(h)))}); extract one` : 'no tensors found';
        throw new UserError(
          `${source} holds no state dict at ${where()} (keys: ${summarise(keyNames)}): ${hint}; expected tensors or one of ${WRAPPER_KEYS.join(', ')}`,
        );
      }
      next = holders[0];
    }
    const rest = keyNames.filter((k) => k !== printable(next!));
    notes.push(`used the "${printable(next)}" entry of ${where()}${rest.length > 0 ? ` (ignored: ${summarise(rest)})` : ''}`);
    path.push(next);
    current = dict.get(next) as PyValue;
  }

  const stateDict: StateDict = new Map();
  const skipped: string[] = [];
  for (const [key, value] of current as Map<PyValue, PyValue>) {
    if (typeof key === 'string' && isHostTensor(value)) stateDict.set(key, value as HostTensor);
    else skipped.push(typeof key === 'string' ? `${printable(key)} (${describeValue(value)})` : describeValue(key));
  }
  if (skipped.length > 0) notes.push(`skipped ${skipped.length} entries that are not tensors: ${summarise(skipped)}`);

  let names = [...stateDict.keys()];
  let stripped = false;
  for (let again = true; again;) {
    again = false;
    for (const prefix of WRAPPER_PREFIXES) {
      if (names.length > 0 && names.every((n) => n.startsWith(prefix))) {
        names = names.map((n) => n.slice(prefix.length));
        notes.push(
          `removed the "${prefix}" prefix from all ${names.length} names (a model saved inside ${prefix === 'module.' ? 'DataParallel' : 'torch.compile'})`,
        );
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

/**
 * Whether tensors lie anywhere inside `v`. Containers may be cyclic, absurdly deep or shared by
 * many keys in a crafted pickle, so each one is looked at once: `known` remembers answers
 * (false while a container is still being looked at, which cuts cycles).
 */
function containsTensor(v: PyValue, known: Map<PyValue, boolean>, depth: number): boolean {
  if (isHostTensor(v)) return true;
  if (typeof v !== 'object' || v === null || depth > 32) return false;
  const answer = known.get(v);
  if (answer !== undefined) return answer;
  known.set(v, false);
  let found = false;
  if (v instanceof Map) found = [...v.values()].some((x) => containsTensor(x, known, depth + 1));
  else if (Array.isArray(v)) found = v.some((x) => containsTensor(x, known, depth + 1));
  known.set(v, found);
  return found;
}

function summarise(items: string[]): string {
  const shown = items.slice(0, 6).join(', ');
  return items.length > 6 ? `${shown}, ... (${items.length} in all)` : shown;
}

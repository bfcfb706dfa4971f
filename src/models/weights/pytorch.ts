/**
 * PyTorch checkpoints as torch.save writes them since 1.6: a zip archive with one top
 * folder (its name varies) holding `data.pkl`, the pickled object, and `data/<key>`, one
 * raw little-endian file per storage. Tensors in the pickle are calls of
 * torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) whose storage is a
 * persistent id ('storage', torch.HalfStorage, key, location, numel). The pickle is read
 * by the restricted unpickler with the allow-list below; nothing in it is executed.
 */
import { UserError } from '../../util/errors';
import { printable } from './printable';
import { FileRange } from './file-range';
import { PyGlobal, PyNative, PyObject, PyValue, describeValue, unpickle } from './pickle';
import {
  HostTensor,
  assertLittleEndianHost,
  bfloat16ToFloat32,
  bytesOf,
  bytesPerElement,
  elementCount,
  float16ToFloat32,
  float64ToFloat32,
  isHostTensor,
  viewAs,
} from './tensor';
import { ZipArchive } from './zip';

/** Element types of torch storages, as stored. */
type StorageElement = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const ELEMENT_BYTES: Record<StorageElement, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** torch.<X>Storage → element type. torch.UntypedStorage holds bytes; its tensors name their dtype. */
const STORAGE_TYPES: Record<string, StorageElement> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** torch dtypes as _rebuild_tensor_v3 names them (torch.float32, torch.half, ...). */
const TORCH_DTYPES: Record<string, StorageElement> = {
  float64: 'float64',
  double: 'float64',
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** 2^31 elements: far above any weight tensor of the supported models, below typed-array limits. */
const MAX_VIEW_ELEMENTS = 2 ** 31;

interface Storage {
  key: string;
  element: StorageElement;
  /** Raw bytes, 8-byte aligned, in host (little-endian) order. */
  bytes: Uint8Array;
  /** The bytes decoded as each element type a tensor reads them as (usually one), shared by its tensors. */
  decoded: Map<StorageElement, HostTensor>;
}

/** record[key] for own keys only (a pickle may name "constructor" or "__proto__"). */
function lookup<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isStorage(v: PyValue): v is PyNative<Storage> {
  return v instanceof PyNative && v.kind === 'storage';
}

/** Reads a torch.save zip checkpoint into a nested value (dicts → Map, tensors → HostTensor). */
export function readPytorchCheckpoint(file: string): PyValue {
  assertLittleEndianHost();
  return FileRange.with(file, (range) => {
    assertZipCheckpoint(range);
    const zip = ZipArchive.open(range);
    const pickleEntry = [...zip.entries.values()].find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
    if (!pickleEntry) {
      throw new UserError(`${file} is a zip archive without <folder>/data.pkl, so not a PyTorch checkpoint written by torch.save`);
    }
    const prefix = pickleEntry.name.slice(0, -'data.pkl'.length);
    if (zip.entries.has(`${prefix}constants.pkl`) || [...zip.entries.keys()].some((n) => n.startsWith(`${prefix}code/`))) {
      throw new UserError(
        `${file} is a TorchScript archive (torch.jit.save), not a state dict; save the weights with torch.save(model.state_dict(), path) and load that`,
      );
    }
    const byteOrderEntry = zip.entries.get(`${prefix}byteorder`);
    const byteOrder = byteOrderEntry ? Buffer.from(zip.read(byteOrderEntry)).toString('latin1').trim() : 'little';
    if (byteOrder !== 'little' && byteOrder !== 'big')
      throw new UserError(`${file}: unknown byte order "${printable(byteOrder)}" in ${printable(byteOrderEntry!.name)}`);

    const storages = new Map<string, PyNative<Storage>>();
    const loadStorage = (pid: PyValue): PyValue => {
      if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
        throw new UserError(
          `${file}: data.pkl refers to an object that is not a storage (${describeValue(pid)}); only tensors and containers are read`,
        );
      }
      const [, type, key, , numel] = pid;
      const element =
        type instanceof PyGlobal && type.qualname.startsWith('torch.') ? lookup(STORAGE_TYPES, type.qualname.slice('torch.'.length)) : undefined;
      if (!element) {
        throw new UserError(`${file}: storage of type ${describeValue(type)} is not one fundus-train reads`);
      }
      if (typeof key !== 'string' || typeof numel !== 'number') throw new UserError(`${file}: data.pkl has a malformed storage reference`);
      const cached = storages.get(key);
      if (cached) return cached;
      const entry = zip.entries.get(`${prefix}data/${key}`);
      if (!entry)
        throw new UserError(
          `${file}: storage ${printable(key)} is missing from the archive (${printable(`${prefix}data/${key}`)}); the file is incomplete`,
        );
      const width = ELEMENT_BYTES[element];
      if (entry.size < numel * width) {
        throw new UserError(`${file}: storage ${printable(key)} holds ${entry.size} bytes but data.pkl says ${numel} elements of ${element}`);
      }
      const bytes = zip.read(entry);
      if (byteOrder === 'big') swapBytes(bytes, width);
      const storage = new PyNative<Storage>('storage', { key, element, bytes, decoded: new Map() });
      storages.set(key, storage);
      return storage;
    };

    const budget: CopyBudget = { storedElements: 0, copiedElements: 0 };
    const tree = unpickle(zip.read(pickleEntry), `${file} (${pickleEntry.name})`, {
      findGlobal: (module, name) => findTorchGlobal(file, budget, module, name),
      persistentLoad: loadStorage,
    });
    return tree;
  });
}

/** Recognises non-zip files that are PyTorch checkpoints of older formats and says how to convert them. */
function assertZipCheckpoint(range: FileRange): void {
  const head = range.read(0, Math.min(range.size, 512), 'the file header');
  if (isZipHead(head)) return;
  if (isLegacyPytorchHead(head)) {
    throw new UserError(
      `${range.file} is a PyTorch checkpoint in the legacy (pre-1.6, non-zip) format, which fundus-train does not read; ` +
        `re-save it with PyTorch >= 1.6: torch.save(torch.load(old, map_location="cpu"), new), or convert it to safetensors`,
    );
  }
  throw new UserError(`${range.file} is not a PyTorch checkpoint (it is not a zip archive as torch.save writes)`);
}

/** Whether a file starting with `head` is a zip archive (a local file header comes first). */
export function isZipHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** Whether `head` (the first 512 bytes) starts a pre-1.6 PyTorch file: a bare pickle, or a tar archive. */
export function isLegacyPytorchHead(head: Uint8Array): boolean {
  const pickle = head.length >= 2 && head[0] === 0x80 && head[1] <= 5;
  const tar = head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar';
  return pickle || tar;
}

/** Swaps each `width`-byte element of `bytes` in place (big-endian storages). */
function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/** The allow-list: every Python name a state-dict checkpoint may mention, and what stands in for it. */
function findTorchGlobal(file: string, budget: CopyBudget, module: string, name: string): PyValue {
  const qualname = printable(`${module}.${name}`, 200);
  const inert = (className: string) => new PyGlobal(className, (args) => new PyObject(className, args));
  switch (qualname) {
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return new PyGlobal(qualname, (args) => rebuildTensor(file, budget, args[0], args[1], args[2], args[3], undefined));
    case 'torch._utils._rebuild_tensor_v3':
      return new PyGlobal(qualname, (args) => rebuildTensor(file, budget, args[0], args[1], args[2], args[3], args[6]));
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return new PyGlobal(qualname, (args) => {
        if (!isHostTensor(args[0])) throw new UserError(`${file}: ${qualname} wraps ${describeValue(args[0])}, not a tensor`);
        return args[0];
      });
    case 'torch._tensor._rebuild_from_type_v2':
      // (func, new_type, args, state): a Tensor subclass (Parameter) rebuilt by `func`.
      return new PyGlobal(qualname, (args) => {
        const [func, newType, funcArgs] = args;
        if (!(func instanceof PyGlobal) || !func.call || !Array.isArray(funcArgs)) {
          throw new UserError(`${file}: ${qualname} rebuilds with ${describeValue(func)}, which is not read`);
        }
        if (!(newType instanceof PyGlobal)) throw new UserError(`${file}: ${qualname} names no tensor type`);
        return func.call(funcArgs);
      });
    case 'torch.Tensor':
    case 'torch.nn.parameter.Parameter':
      return new PyGlobal(qualname);
    case 'collections.OrderedDict':
      return new PyGlobal(qualname, (args) => {
        const d = new Map<PyValue, PyValue>();
        const items = args[0];
        if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair) && pair.length === 2) d.set(pair[0], pair[1]);
        return d;
      });
    case 'builtins.set':
    case 'builtins.frozenset':
    case '__builtin__.set':
    case '__builtin__.frozenset':
      return new PyGlobal(qualname, (args) => new Set(Array.isArray(args[0]) ? args[0] : []));
    case 'builtins.bytearray':
    case '__builtin__.bytearray':
      return new PyGlobal(qualname, (args) => (args[0] instanceof Uint8Array ? args[0] : new Uint8Array(0)));
    case '_codecs.encode':
      // Protocol 2 pickles Python 3 bytes as _codecs.encode(latin-1 text, 'latin1').
      return new PyGlobal(qualname, (args) => {
        if (typeof args[0] !== 'string' || (args[1] !== 'latin1' && args[1] !== 'latin-1')) {
          throw new UserError(`${file}: _codecs.encode is used with ${describeValue(args[1] ?? null)}; only latin1 bytes are read`);
        }
        return new Uint8Array(Buffer.from(args[0], 'latin1'));
      });
    case 'torch.device':
      return new PyGlobal(qualname, (args) => args.filter((a) => a !== null).join(':'));
    case 'torch.Size':
      return new PyGlobal(qualname, (args) => (Array.isArray(args[0]) ? args[0] : (Object.freeze([] as PyValue[]) as PyValue[])));
    // Training scripts (timm, MAE/RETFound) store their arguments and numpy metrics beside
    // the weights. Kept as inert records (never constructed) so such checkpoints read; the
    // state dict is taken from beside them.
    case 'argparse.Namespace':
    case 'numpy.dtype':
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return inert(qualname);
  }
  if (module === 'torch' && (lookup(STORAGE_TYPES, name) || lookup(TORCH_DTYPES, name))) return new PyGlobal(qualname);
  throw new UserError(
    `${file} is not a plain PyTorch state dict: it references ${qualname}; only tensors and containers are read (save model.state_dict() rather than the model)`,
  );
}

function intList(file: string, what: string, v: PyValue): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new UserError(`${file}: a tensor has ${what} ${describeValue(v)}; expected a tuple of non-negative integers`);
  }
  return v as number[];
}

/**
 * What a file's tensors may copy in all, in elements: views that are not plain slices of a
 * storage (transposed, strided, broadcast) get their own data. A storage holding N elements
 * yields slices for free; copies count against the stored elements of the file plus this
 * allowance for broadcast (stride-0) views, so a file of a few hundred bytes cannot ask for
 * gigabytes.
 */
const EXPANSION_ALLOWANCE = 2 ** 20;

/** How much a file's tensors have copied so far, against what its storages hold. */
interface CopyBudget {
  storedElements: number;
  copiedElements: number;
}

/** A tensor from `size` elements of `storage` starting at `offset`, `stride` apart per dimension. */
function rebuildTensor(
  file: string,
  budget: CopyBudget,
  storageValue: PyValue,
  offsetValue: PyValue,
  sizeValue: PyValue,
  strideValue: PyValue,
  dtypeValue: PyValue | undefined,
): HostTensor {
  if (!isStorage(storageValue)) throw new UserError(`${file}: a tensor is rebuilt from ${describeValue(storageValue)}, not from a storage`);
  const storage = storageValue.value;
  const size = intList(file, 'size', sizeValue);
  const stride = intList(file, 'stride', strideValue);
  if (typeof offsetValue !== 'number' || !Number.isSafeInteger(offsetValue) || offsetValue < 0) {
    throw new UserError(`${file}: a tensor of storage ${printable(storage.key)} has storage offset ${describeValue(offsetValue)}`);
  }
  if (stride.length !== size.length)
    throw new UserError(`${file}: a tensor of storage ${printable(storage.key)} has ${size.length} sizes but ${stride.length} strides`);
  let element = storage.element;
  if (dtypeValue !== undefined) {
    const dtype =
      dtypeValue instanceof PyGlobal && dtypeValue.qualname.startsWith('torch.') ? lookup(TORCH_DTYPES, dtypeValue.qualname.slice(6)) : undefined;
    if (!dtype)
      throw new UserError(
        `${file}: a tensor of storage ${printable(storage.key)} has dtype ${describeValue(dtypeValue)}, which fundus-train does not read`,
      );
    element = dtype;
  }
  const width = ELEMENT_BYTES[element];
  const available = Math.floor(storage.bytes.byteLength / width);
  const count = elementCount(size);
  let last = offsetValue;
  for (let d = 0; d < size.length; d++) if (size[d] > 0) last += (size[d] - 1) * stride[d];
  if (count > 0 && last >= available) {
    throw new UserError(
      `${file}: a tensor of shape [${size.join(', ')}] reads element ${last} of storage ${printable(storage.key)}, which has ${available}; the file is corrupt`,
    );
  }
  // Only a view with repeated elements (stride 0, overlapping strides) can be larger than its storage.
  if (count > MAX_VIEW_ELEMENTS) {
    throw new UserError(
      `${file}: a tensor of storage ${printable(storage.key)} has shape [${size.join(', ')}], too large to be a weight; the file is corrupt`,
    );
  }
  const whole = decodedStorage(storage, element, budget);
  if (isContiguous(size, stride)) {
    // A slice: it shares the decoded storage, as the tensors of one storage share memory in torch.
    return { dtype: whole.dtype, shape: size, data: whole.data.subarray(offsetValue, offsetValue + count), sourceDType: whole.sourceDType };
  }
  const allowed = budget.storedElements + EXPANSION_ALLOWANCE;
  if (budget.copiedElements + count > allowed) {
    throw new UserError(
      `${file}: a tensor of storage ${printable(storage.key)} with shape [${size.join(', ')}] and strides [${stride.join(', ')}] would copy ${count} elements, ` +
        `beyond what the file's ${budget.storedElements} stored elements allow (${allowed - budget.copiedElements} left); the file is corrupt or crafted`,
    );
  }
  budget.copiedElements += count;
  const out = gather(bytesOf(whole.data), bytesPerElement(whole.dtype), offsetValue, size, stride);
  return { dtype: whole.dtype, shape: size, data: viewAs(whole.dtype, out), sourceDType: whole.sourceDType };
}

function isContiguous(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/** One element per index, whatever the width (8-byte elements as bigints, to keep every bit). */
type ElementArray = { [index: number]: number | bigint };

/** Copies a strided view into a fresh row-major buffer, moving whole elements of `width` bytes. */
function gather(bytes: Uint8Array, width: number, offset: number, size: number[], stride: number[]): Uint8Array {
  const count = elementCount(size);
  const out = new Uint8Array(new ArrayBuffer(count * width));
  if (count === 0) return out;
  const words = (b: Uint8Array): ElementArray =>
    width === 8
      ? new BigUint64Array(b.buffer, b.byteOffset, b.byteLength / 8)
      : width === 4
        ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4)
        : width === 2
          ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)
          : b;
  const src = words(bytes);
  const dst = words(out);
  const rank = size.length;
  if (rank === 0) {
    dst[0] = src[offset];
    return out;
  }
  const lastSize = size[rank - 1];
  const lastStride = stride[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let j = 0, s = base; j < lastSize; j++, s += lastStride) dst[o++] = src[s];
    let d = rank - 2;
    for (; d >= 0; d--) {
      index[d]++;
      base += stride[d];
      if (index[d] < size[d]) break;
      base -= stride[d] * size[d];
      index[d] = 0;
    }
    if (d < 0) return out;
  }
}

/**
 * The storage's elements read as `element`, decoded once (halves and doubles to float32) and
 * kept, so every further tensor of the storage is a view of the same array rather than a copy.
 */
function decodedStorage(storage: Storage, element: StorageElement, budget: CopyBudget): HostTensor {
  const cached = storage.decoded.get(element);
  if (cached) return cached;
  const width = ELEMENT_BYTES[element];
  const n = Math.floor(storage.bytes.byteLength / width);
  const raw = storage.bytes.subarray(0, n * width); // 8-byte aligned: zip entries are read into fresh buffers
  const halves = () => new Uint16Array(raw.buffer, raw.byteOffset, n);
  let decoded: HostTensor;
  switch (element) {
    case 'float16':
      decoded = { dtype: 'float32', shape: [n], data: float16ToFloat32(halves()), sourceDType: 'F16' };
      break;
    case 'bfloat16':
      decoded = { dtype: 'float32', shape: [n], data: bfloat16ToFloat32(halves()), sourceDType: 'BF16' };
      break;
    case 'float64':
      decoded = { dtype: 'float32', shape: [n], data: float64ToFloat32(new Float64Array(raw.buffer, raw.byteOffset, n)), sourceDType: 'F64' };
      break;
    default:
      decoded = { dtype: element, shape: [n], data: viewAs(element, raw) };
  }
  if (decoded.sourceDType === undefined) delete decoded.sourceDType;
  storage.decoded.set(element, decoded);
  budget.storedElements += n;
  return decoded;
}

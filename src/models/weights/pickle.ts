/**
 * A restricted reader of Python pickles that builds plain JS values and never runs
 * anything. A pickle is a program for a small stack machine; its only dangerous
 * instructions are the ones that name a Python callable (GLOBAL, STACK_GLOBAL, INST, OBJ,
 * EXT*) and call it (REDUCE, NEWOBJ, BUILD). Here every name is passed to `findGlobal`,
 * which answers with a JS stand-in from an allow-list or refuses, and "calling" a
 * stand-in runs only its own JS code (for torch: copying bytes into a typed array).
 */
import { UserError } from '../../util/errors';
import { printable } from './printable';
import { HostTensor, isHostTensor } from './tensor';

/** An allow-listed Python global. `call` is its JS stand-in; without one it is only a value (a type or dtype). */
export class PyGlobal {
  constructor(
    readonly qualname: string,
    readonly call?: (args: readonly PyValue[]) => PyValue,
  ) {}
}

/** An inert record of an allowed class (e.g. argparse.Namespace): its constructor arguments and BUILD state, nothing run. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly className: string,
    readonly args: readonly PyValue[],
  ) {}
}

/** A value made by the caller's hooks that the unpickler passes around untouched (e.g. a torch storage). */
export class PyNative<T = unknown> {
  constructor(
    readonly kind: string,
    readonly value: T,
  ) {}
}

/**
 * What a pickle can hold here. Python int → number (bigint beyond 2^53), float → number,
 * str → string, bytes → Uint8Array, list → array, tuple → frozen array, dict (and
 * OrderedDict) → Map, set → Set.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyGlobal
  | PyObject
  | PyNative
  | HostTensor;

export interface UnpickleHooks {
  /** The stand-in for `module.name`, or a thrown UserError if it is not allowed. */
  findGlobal(module: string, name: string): PyValue;
  /** The object a persistent id refers to (torch: a storage). */
  persistentLoad(pid: PyValue): PyValue;
}

const MARK = '(';
/** LONG1/LONG4 integers past this many bytes are refused; state-dict checkpoints hold small numbers only. */
const MAX_LONG_BYTES = 4096;
/** Text integers (INT, LONG opcodes) past this many digits are refused, as CPython's default int_max_str_digits does. */
const MAX_TEXT_DIGITS = 4300;
const OPCODE_NAMES: Record<string, string> = {
  i: 'INST',
  o: 'OBJ',
  '\x82': 'EXT1',
  '\x83': 'EXT2',
  '\x84': 'EXT4',
  S: 'STRING',
  V: 'UNICODE',
  '\x97': 'NEXT_BUFFER',
  '\x98': 'READONLY_BUFFER',
};

/** Reads the pickle `bytes` (from `source`, named in errors) into a JS value. */
export function unpickle(bytes: Uint8Array, source: string, hooks: UnpickleHooks): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (message: string): never => {
    throw new UserError(`${source}: ${message}`);
  };
  let pos = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(`pickle data ends early at byte ${pos}; the file is truncated or corrupt`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => view.getUint8(need(1));
  const u16 = (): number => view.getUint16(need(2), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    return v > BigInt(bytes.length) ? fail(`pickle length ${v} at byte ${pos - 8} is past the end of the data`) : Number(v);
  };
  const raw = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const utf8 = (n: number): string => Buffer.from(raw(n)).toString('utf8');
  const latin1 = (n: number): string => Buffer.from(raw(n)).toString('latin1');
  const copyBytes = (n: number): Uint8Array => raw(n).slice();
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`pickle data ends early at byte ${pos}; the file is truncated or corrupt`);
    const text = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return text;
  };
  const signedLittleEndian = (b: Uint8Array): number | bigint => {
    if (b.length > MAX_LONG_BYTES)
      fail(
        `pickle integer of ${b.length} bytes at byte ${pos - b.length} is above the ${MAX_LONG_BYTES}-byte limit; a weight file holds no such number`,
      );
    if (b.length === 0) return 0;
    // One hex parse instead of a shift per byte, which is quadratic in the length.
    let v = BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return asNumberIfSafe(v);
  };

  const pop = (): PyValue => {
    if (stack.length === 0) fail(`pickle stack underflow at byte ${pos}; the file is corrupt`);
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail(`pickle stack underflow at byte ${pos}; the file is corrupt`);
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const outer = marks.pop();
    if (!outer) fail(`pickle MARK missing at byte ${pos}; the file is corrupt`);
    stack = outer!;
    return items;
  };
  const tuple = (items: PyValue[]): PyValue[] => Object.freeze(items) as PyValue[];
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`pickle refers to memo entry ${i}, which was never stored; the file is corrupt`);
    return memo.get(i) as PyValue;
  };
  const call = (fn: PyValue, args: PyValue, opcode: string): PyValue => {
    if (!(fn instanceof PyGlobal) || !fn.call) fail(`pickle ${opcode} calls ${describeValue(fn)}, which is not a constructor fundus-train reads`);
    if (!Array.isArray(args)) fail(`pickle ${opcode} of ${(fn as PyGlobal).qualname} has no argument tuple; the file is corrupt`);
    return (fn as PyGlobal).call!(args as PyValue[]);
  };
  const dictTarget = (opcode: string): Map<PyValue, PyValue> => {
    const d = top();
    if (!(d instanceof Map)) fail(`pickle ${opcode} on ${describeValue(d)} at byte ${pos}; only dicts take items`);
    return d as Map<PyValue, PyValue>;
  };
  const listTarget = (opcode: string): PyValue[] => {
    const l = top();
    if (!Array.isArray(l) || Object.isFrozen(l)) fail(`pickle ${opcode} on ${describeValue(l)} at byte ${pos}; only lists take items`);
    return l as PyValue[];
  };

  for (;;) {
    const at = pos;
    const op = String.fromCharCode(u8());
    switch (op) {
      case '\x80': {
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than any fundus-train reads (5)`);
        break;
      }
      case '\x95': // FRAME: a length prefix for buffered reading; everything is in memory already
        need(8);
        break;
      case '.':
        return pop();
      case MARK:
        marks.push(stack);
        stack = [];
        break;
      case '0':
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case '1':
        popMark();
        break;
      case '2':
        stack.push(top());
        break;

      // Containers
      case '}':
        stack.push(new Map());
        break;
      case ']':
        stack.push([]);
        break;
      case ')':
        stack.push(tuple([]));
        break;
      case '\x8f':
        stack.push(new Set());
        break;
      case 'd': {
        const items = popMark();
        const d = new Map<PyValue, PyValue>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      // popMark() replaces `stack`, so it runs before `stack.push` is looked up.
      case 'l': {
        const items = popMark();
        stack.push(items);
        break;
      }
      case 't': {
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case '\x85': {
        const a = pop();
        stack.push(tuple([a]));
        break;
      }
      case '\x86': {
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      }
      case '\x87': {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      }
      case '\x91': {
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case '\x90': {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`pickle ADDITEMS on ${describeValue(s)} at byte ${at}; only sets take items`);
        for (const item of items) (s as Set<PyValue>).add(item);
        break;
      }
      case 's': {
        const v = pop();
        const k = pop();
        dictTarget('SETITEM').set(k, v);
        break;
      }
      case 'u': {
        const items = popMark();
        const d = dictTarget('SETITEMS');
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 'a': {
        const v = pop();
        listTarget('APPEND').push(v);
        break;
      }
      case 'e': {
        const items = popMark();
        const list = listTarget('APPENDS');
        for (const item of items) list.push(item);
        break;
      }

      // Scalars
      case 'N':
        stack.push(null);
        break;
      case '\x88':
        stack.push(true);
        break;
      case '\x89':
        stack.push(false);
        break;
      case 'J':
        stack.push(i32());
        break;
      case 'K':
        stack.push(u8());
        break;
      case 'M':
        stack.push(u16());
        break;
      case '\x8a':
        stack.push(signedLittleEndian(raw(u8())));
        break;
      case '\x8b': {
        const n = i32();
        stack.push(signedLittleEndian(raw(n)));
        break;
      }
      case 'I': {
        const text = line();
        stack.push(text === '01' ? true : text === '00' ? false : parseTextInt(text, fail));
        break;
      }
      case 'L':
        stack.push(parseTextInt(line().replace(/L$/, ''), fail));
        break;
      case 'G':
        stack.push(view.getFloat64(need(8), false));
        break;
      case 'F': {
        const text = line();
        const v = Number(text);
        if (Number.isNaN(v) && !/nan/i.test(text)) fail(`pickle FLOAT "${printable(text)}" at byte ${at} is not a number`);
        stack.push(v);
        break;
      }
      case 'X':
        stack.push(utf8(u32()));
        break;
      case '\x8c':
        stack.push(utf8(u8()));
        break;
      case '\x8d':
        stack.push(utf8(u64()));
        break;
      case 'T':
        stack.push(latin1(i32()));
        break;
      case 'U':
        stack.push(latin1(u8()));
        break;
      case 'B':
        stack.push(copyBytes(u32()));
        break;
      case 'C':
        stack.push(copyBytes(u8()));
        break;
      case '\x8e':
      case '\x96':
        stack.push(copyBytes(u64()));
        break;

      // Memo
      case 'q':
        memo.set(u8(), top());
        break;
      case 'r':
        memo.set(u32(), top());
        break;
      case 'p':
        memo.set(parseMemoIndex(line(), fail), top());
        break;
      case '\x94':
        memo.set(memo.size, top());
        break;
      case 'h':
        stack.push(memoGet(u8()));
        break;
      case 'j':
        stack.push(memoGet(u32()));
        break;
      case 'g':
        stack.push(memoGet(parseMemoIndex(line(), fail)));
        break;

      // Names and calls: only allow-listed stand-ins get through findGlobal.
      case 'c': {
        const module = line();
        const name = line();
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case '\x93': {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail(`pickle STACK_GLOBAL at byte ${at} names no string module/name; the file is corrupt`);
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 'R': {
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args, 'REDUCE'));
        break;
      }
      case '\x81': {
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case '\x92': {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0)
          fail(`pickle NEWOBJ_EX of ${describeValue(cls)} passes keyword arguments, which fundus-train does not read`);
        stack.push(call(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 'b': {
        const state = pop();
        const target = top();
        if (target instanceof PyObject) target.state = state;
        // Attributes on a dict (OrderedDict._metadata of a state dict) or on a tensor (Python
        // attributes of a Parameter) do not change the values; they are dropped.
        else if (!(target instanceof Map) && !isHostTensor(target))
          fail(`pickle BUILD sets the state of ${describeValue(target)}, which fundus-train does not read`);
        break;
      }
      case 'Q':
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 'P':
        stack.push(hooks.persistentLoad(line()));
        break;

      default: {
        const name = OPCODE_NAMES[op];
        if (name) fail(`pickle uses opcode ${name} (byte ${at}), which fundus-train does not read; only tensors and containers are read`);
        fail(
          `unknown pickle opcode 0x${op.charCodeAt(0).toString(16).padStart(2, '0')} at byte ${at}; the file is corrupt or not a PyTorch checkpoint`,
        );
      }
    }
  }
}

function asNumberIfSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseTextInt(text: string, fail: (m: string) => never): number | bigint {
  if (text.length > MAX_TEXT_DIGITS + 2) fail(`pickle integer of ${text.length} digits is above the ${MAX_TEXT_DIGITS}-digit limit`);
  if (!/^[-+]?\d+$/.test(text.trim())) fail(`pickle integer "${printable(text)}" is not a number`);
  return asNumberIfSafe(BigInt(text.trim()));
}

function parseMemoIndex(text: string, fail: (m: string) => never): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 0) fail(`pickle memo index "${printable(text)}" is not a number`);
  return v;
}

/** A short description of a value for error messages. */
export function describeValue(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyObject) return `a ${v.className} object`;
  if (v instanceof PyNative) return `a ${v.kind}`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof Set) return 'a set';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (isHostTensor(v)) return 'a tensor';
  return `a ${typeof v}`;
}

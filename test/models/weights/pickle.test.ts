import { PyGlobal, PyObject, PyValue, UnpickleHooks, unpickle } from '../../../src/models/weights/pickle';
import { UserError } from '../../../src/util/errors';
import { expectUserError } from './expect-user-error';
import { PicklePart, op, pickleBytes } from './pickle-builder';

/** Hooks that allow `test.Point` (an inert record) and `test.add` (sums its arguments); nothing else. */
const hooks: UnpickleHooks = {
  findGlobal(module, name) {
    if (module === 'test' && name === 'Point') return new PyGlobal('test.Point', (args) => new PyObject('test.Point', args));
    if (module === 'test' && name === 'add') return new PyGlobal('test.add', (args) => (args as number[]).reduce((a, b) => a + b, 0));
    throw new UserError(`refused ${module}.${name}`);
  },
  persistentLoad: (pid) => `loaded:${String(pid)}`,
};

const read = (...parts: PicklePart[]): PyValue => unpickle(pickleBytes(...parts), 'test.pkl', hooks);

describe('unpickle: values', () => {
  it('reads scalars', () => {
    expect(read(op.proto(2), op.none, op.stop)).toBeNull();
    expect(read(op.proto(2), op.true, op.stop)).toBe(true);
    expect(read(op.proto(2), op.false, op.stop)).toBe(false);
    expect(read(op.proto(2), op.int1(200), op.stop)).toBe(200);
    expect(read(op.proto(2), op.int2(60000), op.stop)).toBe(60000);
    expect(read(op.proto(2), op.int4(-123456), op.stop)).toBe(-123456);
    expect(read(op.proto(2), op.long1(-5n), op.stop)).toBe(-5);
    expect(read(op.proto(2), op.long1(2n ** 40n), op.stop)).toBe(2 ** 40);
    expect(read(op.proto(2), op.long1(2n ** 70n + 3n), op.stop)).toBe(2n ** 70n + 3n);
    expect(read(op.proto(2), op.long1(-(2n ** 70n)), op.stop)).toBe(-(2n ** 70n));
    expect(read(op.proto(2), op.float(-0.1), op.stop)).toBe(-0.1);
    expect(read(op.proto(2), op.binunicode('héllo'), op.stop)).toBe('héllo');
    expect(read(op.proto(3), op.bytes([1, 2, 255]), op.stop)).toEqual(new Uint8Array([1, 2, 255]));
  });

  it('reads containers, with tuples frozen and lists not', () => {
    const v = read(
      op.proto(2),
      op.emptyDict,
      op.mark,
      op.unicode('list'),
      op.emptyList,
      op.mark,
      op.int1(1),
      op.int1(2),
      op.appends,
      op.int1(3),
      op.append,
      op.unicode('tuple'),
      op.int1(4),
      op.int1(5),
      op.tuple2,
      op.unicode('set'),
      op.emptySet,
      op.mark,
      op.int1(6),
      op.int1(6),
      op.addItems,
      op.setItems,
      op.stop,
    ) as Map<PyValue, PyValue>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('list')).toEqual([1, 2, 3]);
    expect(Object.isFrozen(v.get('list'))).toBe(false);
    expect(v.get('tuple')).toEqual([4, 5]);
    expect(Object.isFrozen(v.get('tuple'))).toBe(true);
    expect(v.get('set')).toEqual(new Set([6]));
  });

  it('shares memoised objects and reads protocol 4 frames', () => {
    const v = read(
      op.proto(4),
      op.frame(20),
      op.emptyList,
      op.memoize,
      op.pop,
      op.emptyList,
      op.put(1),
      op.get(0),
      op.get(0),
      op.tuple3,
      op.stop,
    ) as PyValue[];
    expect(v).toHaveLength(3);
    expect(v[1]).toBe(v[2]);
    expect(v[0]).not.toBe(v[1]);
  });

  it('calls only the allowed stand-ins and keeps BUILD state on records', () => {
    expect(read(op.proto(2), op.global('test', 'add'), op.int1(2), op.int1(3), op.tuple2, op.reduce, op.stop)).toBe(5);
    const point = read(
      op.proto(2),
      op.global('test', 'Point'),
      op.emptyTuple,
      op.newobj,
      op.emptyDict,
      op.unicode('x'),
      op.int1(1),
      op.setItem,
      op.build,
      op.stop,
    );
    expect(point).toBeInstanceOf(PyObject);
    expect((point as PyObject).state).toEqual(new Map([['x', 1]]));
    expect(read(op.proto(2), op.unicode('key'), op.persid, op.stop)).toBe('loaded:key');
    expectUserError(() => read(op.proto(2), op.global('posix', 'system'), op.stop), /refused posix\.system/);
  });
});

describe('unpickle: malformed or unsupported pickles', () => {
  it('reports each problem in one line naming the source', () => {
    expectUserError(() => read(op.proto(2), op.binunicode('abc').slice(0, 4) as PicklePart), /test\.pkl: pickle data ends early at byte 3/);
    expectUserError(() => read(op.proto(2), [0xff]), /test\.pkl: unknown pickle opcode 0xff at byte 2/);
    expectUserError(() => read(op.proto(6)), /pickle protocol 6 is newer/);
    expectUserError(() => read(op.proto(2), op.reduce), /pickle stack underflow/);
    expectUserError(() => read(op.proto(2), op.get(9)), /memo entry 9, which was never stored/);
    expectUserError(() => read(op.proto(2), op.emptyTuple, op.int1(1), op.append), /APPEND on a tuple .*only lists take items/);
    expectUserError(() => read(op.proto(2), op.unicode('f'), op.emptyTuple, op.reduce), /REDUCE calls a string, which is not a constructor/);
    expectUserError(() => read(op.proto(2), op.int1(1), op.emptyDict, op.build), /BUILD sets the state of a number/);
    expectUserError(() => read(op.proto(2), op.tuple), /MARK missing/);
    expectUserError(() => read(op.proto(0), "S'x'\n"), /opcode STRING/);
  });
});

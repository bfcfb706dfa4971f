import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PyValue } from '../../../src/models/weights/pickle';
import { detectWeightFileFormat, loadStateDictFile, normaliseStateDict } from '../../../src/models/weights/state-dict';
import { HostTensor, StateDict } from '../../../src/models/weights/tensor';
import { writeSafetensors } from '../../../src/models/weights/safetensors';
import { expectUserError } from './expect-user-error';

const OWN_FIXTURES = path.join(__dirname, 'fixtures');

const tensor = (...values: number[]): HostTensor => ({ dtype: 'float32', shape: [values.length], data: new Float32Array(values) });
const dict = (entries: [PyValue, PyValue][]): Map<PyValue, PyValue> => new Map(entries);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'state-dict-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('normaliseStateDict', () => {
  it('leaves a plain state dict alone and says nothing', () => {
    const a = tensor(1);
    const flat: StateDict = new Map([['a', a]]);
    const { stateDict, notes } = normaliseStateDict(flat, 'f');
    expect([...stateDict]).toEqual([['a', a]]);
    expect(notes).toEqual([]);
  });

  it('unwraps {state_dict: {module.x}} and strips the prefix', () => {
    const x = tensor(1, 2);
    const y = tensor(3);
    const content = dict([
      ['epoch', 4],
      [
        'state_dict',
        dict([
          ['module.x', x],
          ['module.y', y],
        ]),
      ],
      ['optimizer', dict([['state', dict([])]])],
    ]);
    const { stateDict, notes } = normaliseStateDict(content, 'ckpt.pth');
    expect([...stateDict]).toEqual([
      ['x', x],
      ['y', y],
    ]);
    expect(notes).toEqual([
      'used the "state_dict" entry of the top level (ignored: epoch, optimizer)',
      'removed the "module." prefix from all 2 names (a model saved inside DataParallel)',
    ]);
  });

  it('unwraps nested wrappers and stacked prefixes', () => {
    const w = tensor(5);
    const content = dict([['model', dict([['module', dict([['_orig_mod.module.w', w]])]])]]);
    const { stateDict, notes } = normaliseStateDict(content, 'f');
    expect([...stateDict.keys()]).toEqual(['w']);
    expect(stateDict.get('w')).toBe(w);
    expect(notes).toEqual([
      'used the "model" entry of the top level',
      'used the "module" entry of ["model"]',
      'removed the "_orig_mod." prefix from all 1 names (a model saved inside torch.compile)',
      'removed the "module." prefix from all 1 names (a model saved inside DataParallel)',
    ]);
  });

  it('prefers state_dict to other wrappers and takes a single tensor-holding entry otherwise', () => {
    const a = tensor(1);
    const b = tensor(2);
    const both = dict([
      ['model', dict([['a', a]])],
      ['state_dict', dict([['b', b]])],
    ]);
    expect([...normaliseStateDict(both, 'f').stateDict.keys()]).toEqual(['b']);
    const teacher = dict([
      ['teacher', dict([['a', a]])],
      ['epoch', 1],
    ]);
    const result = normaliseStateDict(teacher, 'f');
    expect([...result.stateDict.keys()]).toEqual(['a']);
    expect(result.notes[0]).toBe('used the "teacher" entry of the top level (ignored: epoch)');
  });

  it('keeps prefixes that not every name has, and skips entries that are not tensors', () => {
    const content = dict([
      ['module.a', tensor(1)],
      ['b', tensor(2)],
      ['_metadata', dict([])],
      ['count', 3],
    ]);
    const { stateDict, notes } = normaliseStateDict(content, 'f');
    expect([...stateDict.keys()]).toEqual(['module.a', 'b']);
    expect(notes).toEqual(['skipped 2 entries that are not tensors: _metadata (a dict), count (a number)']);
  });

  it('explains what it could not find', () => {
    expectUserError(
      () =>
        normaliseStateDict(
          dict([
            ['epoch', 1],
            ['lr', 0.1],
          ]),
          'x.pth',
        ),
      /x\.pth holds no state dict at the top level \(keys: epoch, lr\): no tensors found/,
    );
    expectUserError(
      () =>
        normaliseStateDict(
          dict([
            ['student', dict([['a', tensor(1)]])],
            ['teacher', dict([['a', tensor(1)]])],
          ]),
          'x.pth',
        ),
      /several entries hold tensors \(student, teacher\); extract one/,
    );
    expectUserError(() => normaliseStateDict([tensor(1)], 'x.pth'), /x\.pth holds a list at the top level, not a dict of tensors/);
    expectUserError(() => normaliseStateDict(dict([['model', [tensor(1)]]]), 'x.pth'), /holds a list at \["model"\]/);
  });
});

describe('loadStateDictFile', () => {
  it('chooses the reader by the first bytes, not the extension', () => {
    const safetensorsAsBin = path.join(tmp, 'weights.bin');
    writeSafetensors(safetensorsAsBin, new Map([['module.w', tensor(1, 2)]]));
    expect(detectWeightFileFormat(safetensorsAsBin)).toBe('safetensors');
    const notes: string[] = [];
    expect([...loadStateDictFile(safetensorsAsBin, { onNote: (n) => notes.push(n) }).keys()]).toEqual(['w']);
    expect(notes).toEqual(['removed the "module." prefix from all 1 names (a model saved inside DataParallel)']);

    const pytorchAsSafetensors = path.join(tmp, 'nested.safetensors');
    fs.copyFileSync(path.join(OWN_FIXTURES, 'nested_module.pth'), pytorchAsSafetensors);
    expect(detectWeightFileFormat(pytorchAsSafetensors)).toBe('pytorch');
    expect(loadStateDictFile(pytorchAsSafetensors).get('bn.running_mean')!.data).toEqual(new Float32Array([0.5, -0.5, 0.25]));
    expect(detectWeightFileFormat(path.join(OWN_FIXTURES, 'legacy.pth'))).toBe('pytorch');
  });

  it('refuses empty and unknown files', () => {
    const empty = path.join(tmp, 'empty.pth');
    fs.writeFileSync(empty, '');
    expectUserError(() => loadStateDictFile(empty), /empty\.pth is empty/);
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'just some text, not weights');
    expectUserError(() => loadStateDictFile(text), /notes\.txt is neither a safetensors file nor a PyTorch checkpoint/);
  });
});

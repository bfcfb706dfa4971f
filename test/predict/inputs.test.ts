import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expandGlob, segmentRegExp } from '../../src/predict/glob';
import { expandImageInputs } from '../../src/predict/inputs';
import { eyeFromName, pairsByName, readPairsCsv } from '../../src/predict/pairs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-inputs-'));
const touch = (rel: string) => {
  const f = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, 'x');
  return f;
};

beforeAll(() => {
  ['a/1_right.jpg', 'a/1_left.jpg', 'a/notes.txt', 'a/b/2_right.PNG', 'a/b/2_left.png', 'a/b/c/3.jpeg', 'a/.hidden.jpg', 'empty/readme.md'].forEach(
    touch,
  );
});

describe('glob patterns', () => {
  test('segment patterns: *, ?, classes and literal dots', () => {
    expect(segmentRegExp('*.jpg').test('x.jpg')).toBe(true);
    expect(segmentRegExp('*.jpg').test('xjpg')).toBe(false);
    expect(segmentRegExp('?_left.*').test('1_left.png')).toBe(true);
    expect(segmentRegExp('?_left.*').test('12_left.png')).toBe(false);
    expect(segmentRegExp('[12]_*').test('2_right.jpg')).toBe(true);
    expect(segmentRegExp('[!12]_*').test('2_right.jpg')).toBe(false);
  });

  test('** reaches any depth; hidden files only when named', () => {
    const rel = (files: string[]) => files.map((f) => path.relative(tmp, f).split(path.sep).join('/'));
    expect(rel(expandGlob('a/**/*.jpeg', tmp))).toEqual(['a/b/c/3.jpeg']);
    expect(rel(expandGlob('a/*.jpg', tmp))).toEqual(['a/1_left.jpg', 'a/1_right.jpg']);
    expect(rel(expandGlob('a/.*.jpg', tmp))).toEqual(['a/.hidden.jpg']);
    expect(rel(expandGlob(path.join(tmp, 'a', 'b', '*')))).toEqual(['a/b/2_left.png', 'a/b/2_right.PNG']);
  });
});

describe('expandImageInputs', () => {
  test('folders give their image files recursively, globs their matches, files themselves; each once', () => {
    const r = expandImageInputs(['a', 'a/*.jpg', 'missing.jpg', 'empty', 'nothing-*.png'], tmp);
    const rel = r.files.map((f) => path.relative(tmp, f).split(path.sep).join('/'));
    expect(rel).toEqual(['a/1_left.jpg', 'a/1_right.jpg', 'a/b/2_left.png', 'a/b/2_right.PNG', 'a/b/c/3.jpeg', 'missing.jpg']);
    expect(r.problems.map((p) => p.file)).toEqual(['empty', 'nothing-*.png']);
    expect(r.problems[0].error).toMatch(/folder holds no image files/);
    expect(r.problems[1].error).toMatch(/no image files .* match this pattern/);
  });
});

describe('eye pairs', () => {
  test('<id>_right / <id>_left names pair within a folder; the rest stay unpaired', () => {
    expect(eyeFromName('/x/10_Right.jpeg')).toEqual({ patient: '10', eye: 'right' });
    expect(eyeFromName('/x/10.jpeg')).toBeNull();
    const files = ['/d/1_right.jpg', '/d/3.jpg', '/d/1_left.jpg', '/e/1_left.jpg', '/d/2_left.png', '/d/2_right.png'];
    const { pairs, unpaired } = pairsByName(files);
    expect(pairs).toEqual([
      { patient: '1', right: '/d/1_right.jpg', left: '/d/1_left.jpg' },
      { patient: '2', right: '/d/2_right.png', left: '/d/2_left.png' },
    ]);
    expect(unpaired).toEqual(['/d/3.jpg', '/e/1_left.jpg']);
  });

  test('a CSV of pairs: loose headers, paths from the CSV folder, the row named in errors', () => {
    const csv = path.join(tmp, 'pairs.csv');
    fs.writeFileSync(csv, 'Patient ID,Right eye,Left eye\nP7,a/1_right.jpg,a/1_left.jpg\n');
    expect(readPairsCsv(csv)).toEqual([{ patient: 'P7', right: path.join(tmp, 'a/1_right.jpg'), left: path.join(tmp, 'a/1_left.jpg') }]);
    fs.writeFileSync(csv, 'od,os\nx.jpg,\n');
    expect(() => readPairsCsv(csv)).toThrow(/pairs\.csv row 2: needs both a right-eye and a left-eye file/);
    fs.writeFileSync(csv, 'first,second\nx.jpg,y.jpg\n');
    expect(() => readPairsCsv(csv)).toThrow(/needs a right-eye column and a left-eye column/);
  });
});

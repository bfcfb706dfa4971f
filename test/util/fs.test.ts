import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recoverReplacedDir, replaceDirAtomic, writeFileAtomic } from '../../src/util/fs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-fs-'));

describe('atomic writes', () => {
  test('writeFileAtomic leaves no temporary file', () => {
    const file = path.join(tmp, 'a', 'b.txt');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['b.txt']);
  });

  test('replaceDirAtomic swaps a complete directory in; a failing fill leaves the old one', () => {
    const dir = path.join(tmp, 'ckpt');
    replaceDirAtomic(dir, (t) => fs.writeFileSync(path.join(t, 'w'), '1'));
    expect(() =>
      replaceDirAtomic(dir, (t) => {
        fs.writeFileSync(path.join(t, 'w'), 'partial');
        throw new Error('killed');
      }),
    ).toThrow('killed');
    expect(fs.readFileSync(path.join(dir, 'w'), 'utf8')).toBe('1');
    recoverReplacedDir(dir);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('ckpt'))).toEqual(['ckpt']);
  });

  test('recoverReplacedDir puts back a checkpoint moved aside by a process killed mid-swap', () => {
    const dir = path.join(tmp, 'last');
    fs.mkdirSync(`${dir}.old-123`);
    fs.writeFileSync(path.join(`${dir}.old-123`, 'w'), 'previous');
    fs.mkdirSync(`${dir}.tmp-123`);
    expect(recoverReplacedDir(dir)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'w'), 'utf8')).toBe('previous');
    expect(fs.existsSync(`${dir}.tmp-123`)).toBe(false);
    expect(recoverReplacedDir(path.join(tmp, 'nothing', 'here'))).toBe(false);
  });
});

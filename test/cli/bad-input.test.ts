/**
 * The bad-input catalogue (issue 17): every class of bad input the README promises to handle,
 * run through the command line as a careless user would, each with the exit code and the
 * message it must give — one line, naming the file, row, key or path, and no stack trace
 * without --verbose. Inputs that must be accepted (BOM, CRLF, grey, CMYK, 16-bit, EXIF-rotated,
 * non-ASCII paths) are in the table too, with exit 0.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { cli } from '../helpers/cli';
import { writeSafetensors } from '../../src/models/weights/safetensors';
import { pngClaiming } from '../helpers/png';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-bad-input-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** A small fundus-like photograph (a bright disc on black), different per index. */
async function photo(name: string, i: number, options: { format?: 'jpeg' | 'png'; side?: number } = {}): Promise<string> {
  const side = options.side ?? 64;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="black"/><circle cx="${side / 2}" cy="${side / 2}" r="${side / 2.4}" fill="rgb(${150 + i * 9},${60 + i * 7},${30 + i * 5})"/></svg>`;
  const img = sharp(Buffer.from(svg));
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await (options.format === 'png' ? img.png() : img.jpeg()).toFile(file);
  return file;
}

const hugePng = (width: number, height: number): Buffer => pngClaiming(width, height, { realRows: 4 });

const TRAIN = (extra = '') => `
name: bad
seed: 3
backend: wasm
data: { source: synthetic, task: glaucoma, count: 12, renderSize: 32, split: { val: 0.25, test: 0.25 } }
model: { name: test_vit, imageSize: 32, args: { depth: 1, embedDim: 32, numHeads: 2, patchSize: 8 }${extra} }
train: { epochs: 1, batchSize: 6 }
eval: { bootstrap: 10 }
`;

/** A CSV dataset of 8 good photographs (4 per class) plus `rows`, audited with `fundus-train data`. */
async function csvDataset(
  name: string,
  rows: string[],
  options: { header?: string; eol?: string; bom?: boolean; classes?: string } = {},
): Promise<string> {
  const dir = path.join(tmp, name);
  const lines = [options.header ?? 'image,label'];
  for (let i = 0; i < 8; i++) {
    await photo(`${name}/p${i}_left.jpg`, i);
    lines.push(`p${i}_left.jpg,${i % 2}`);
  }
  lines.push(...rows);
  const eol = options.eol ?? '\n';
  write(`${name}/labels.csv`, `${options.bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`);
  const classes = options.classes ? `, classes: ${options.classes}` : '';
  return write(
    `${name}/data.yaml`,
    `data: { source: csv, csv: ${dir}/labels.csv, imageColumn: image, classColumn: label${classes}, split: { val: 0.25, test: 0.25 } }\n`,
  );
}

interface Case {
  name: string;
  /** Builds the inputs and returns the command's arguments. */
  args: () => Promise<string[]>;
  code: number;
  /** What stderr (for errors) or stdout (for audits) must say. */
  says: RegExp;
  /** Longest time in ms (default 30 s: commands that train load a backend first). */
  within?: number;
}

const cases: Case[] = [
  // Configs
  {
    name: 'unknown key',
    args: async () => ['--config', write('c/typo.yaml', TRAIN().replace('epochs: 1', 'epoch: 1'))],
    code: 2,
    says: /typo\.yaml: unknown key "train\.epoch" \(did you mean "epochs"\?\)/,
  },
  {
    name: 'wrong type',
    args: async () => ['--config', write('c/type.yaml', TRAIN().replace('epochs: 1', 'epochs: three'))],
    code: 2,
    says: /type\.yaml: train\.epochs: expected (number|int)/,
  },
  {
    name: 'YAML syntax error',
    args: async () => ['--config', write('c/syntax.yaml', 'name: [unclosed\nseed: 3\n')],
    code: 2,
    says: /syntax\.yaml(:\d+)?: not valid YAML/,
  },
  { name: 'empty file', args: async () => ['--config', write('c/empty.yaml', '')], code: 2, says: /empty\.yaml: / },
  {
    name: 'JSON config with a UTF-8 BOM is read (its typo is reported, not the BOM)',
    args: async () => [
      '--config',
      write(
        'c/bom.json',
        `\uFEFF${JSON.stringify({ name: 'bom', data: { source: 'synthetic', task: 'dr' }, model: { name: 'test_vit' }, trian: {} })}`,
      ),
    ],
    code: 2,
    says: /bom\.json: unknown key "trian" \(did you mean "train"\?\)/,
  },
  {
    name: 'bad --set value names the --set',
    args: async () => ['--config', write('c/ok.yaml', TRAIN()), '--set', 'train.epochs=many'],
    code: 2,
    says: /error: --set train\.epochs=many: train\.epochs: expected/,
  },
  {
    name: '--set typo names the --set',
    args: async () => ['--config', write('c/ok2.yaml', TRAIN()), '--set', 'train.epoch=2'],
    code: 2,
    says: /error: --set train\.epoch=2: unknown key "train\.epoch" \(did you mean "epochs"\?\)/,
  },
  {
    name: '--set without =',
    args: async () => ['--config', write('c/ok3.yaml', TRAIN()), '--set', 'train.epochs'],
    code: 2,
    says: /--set train\.epochs: expected key=value/,
  },

  // Data: images (audited by `fundus-train data`, which exits 2 on an unreadable image)
  {
    name: 'zero-byte image',
    args: async () => ['data', '--config', await csvDataset('zero', [`${(write('zero/z_left.jpg', ''), 'z_left.jpg')},0`])],
    code: 2,
    says: /z_left\.jpg/,
  },
  {
    name: 'truncated image',
    args: async () => [
      'data',
      '--config',
      await csvDataset('trunc', [`t_left.jpg,1`]).then(
        async (c) => (write('trunc/t_left.jpg', fs.readFileSync(await photo('trunc/full.jpg', 3, { side: 256 })).subarray(0, 400)), c),
      ),
    ],
    code: 2,
    says: /cannot decode image .*t_left\.jpg/,
  },
  {
    name: 'not an image',
    args: async () => [
      'data',
      '--config',
      await csvDataset('text', ['n_left.jpg,0']).then((c) => (write('text/n_left.jpg', 'Dear colleague,\n'.repeat(40)), c)),
    ],
    code: 2,
    says: /cannot decode image .*n_left\.jpg/,
  },
  {
    name: '1x1 image',
    args: async () => [
      'data',
      '--config',
      await csvDataset('tiny', ['one_left.png,0']).then(async (c) => (await photo('tiny/one_left.png', 1, { format: 'png', side: 1 }), c)),
    ],
    code: 2,
    says: /one_left\.png is 1x1 pixels, below data\.minImageSize \(32\)/,
  },
  {
    name: 'huge-dimension image (refused from its header)',
    args: async () => [
      'data',
      '--config',
      await csvDataset('huge', ['h_left.png,1']).then((c) => (write('huge/h_left.png', hugePng(10000, 6000)), c)),
    ],
    code: 2,
    says: /h_left\.png is 10000x6000 pixels \(60 megapixels\), above data\.maxImagePixels \(50 megapixels\)/,
  },
  {
    name: 'grey, 16-bit, CMYK and EXIF-rotated images are accepted',
    args: async () => {
      const config = await csvDataset('kinds', ['grey_left.png,0', 'deep_left.png,1', 'cmyk_left.jpg,0', 'exif_left.jpg,1']);
      const base = sharp(await photo('kinds/base.png', 5, { format: 'png' }));
      await base.clone().greyscale().png().toFile(path.join(tmp, 'kinds/grey_left.png'));
      await base.clone().toColourspace('rgb16').png().toFile(path.join(tmp, 'kinds/deep_left.png'));
      await base.clone().toColourspace('cmyk').jpeg().toFile(path.join(tmp, 'kinds/cmyk_left.jpg'));
      await base.clone().jpeg().withMetadata({ orientation: 6 }).toFile(path.join(tmp, 'kinds/exif_left.jpg'));
      return ['data', '--config', config];
    },
    code: 0,
    says: /12 images, 2 classes[\s\S]*unreadable images: none/,
  },
  {
    name: 'non-ASCII paths are accepted',
    args: async () => [
      'data',
      '--config',
      await csvDataset('önéüß-眼底', ['é_left.jpg,1']).then(async (c) => (await photo('önéüß-眼底/é_left.jpg', 4), c)),
    ],
    code: 0,
    says: /9 images/,
  },

  // Data: label files
  {
    name: 'CSV with CRLF and a BOM is accepted',
    args: async () => ['data', '--config', await csvDataset('crlf', [], { eol: '\r\n', bom: true })],
    code: 0,
    says: /8 images, 2 classes/,
  },
  {
    name: 'CSV missing its class column',
    args: async () => ['data', '--config', await csvDataset('nocol', [], { header: 'image,grade' })],
    code: 2,
    says: /labels\.csv.*"label"/,
  },
  {
    name: 'a 7 in a 0/1 class column',
    args: async () => [
      'data',
      '--config',
      await csvDataset('seven', ['p0_right.jpg,7']).then(async (c) => (await photo('seven/p0_right.jpg', 2), c)),
    ],
    code: 2,
    says: /labels\.csv row 10, column "label": value "7" leaves a gap in the classes 0, 1, 7 \(2\.\.6 never occur\)/,
  },
  {
    name: 'a label outside data.classes',
    args: async () => [
      'data',
      '--config',
      await csvDataset('outside', ['p0_right.jpg,2'], { classes: '["0", "1"]' }).then(async (c) => (await photo('outside/p0_right.jpg', 2), c)),
    ],
    code: 2,
    says: /labels\.csv row 10, column "label": unknown class "2"/,
  },
  {
    name: 'duplicate rows',
    args: async () => ['data', '--config', await csvDataset('dup', ['p1_left.jpg,1'])],
    code: 2,
    says: /labels\.csv rows 3 and 10 both name image "p1_left\.jpg"/,
  },
  {
    name: 'x.jpg and ./x.jpg with conflicting labels',
    args: async () => ['data', '--config', await csvDataset('dotdup', ['./p1_left.jpg,0'])],
    code: 2,
    says: /labels\.csv rows 3 and 10 both name image "p1_left\.jpg" and "\.\/p1_left\.jpg", the same file/,
  },
  {
    name: 'an empty class folder',
    args: async () => {
      await photo('folders/glaucoma/a_left.jpg', 1);
      fs.mkdirSync(path.join(tmp, 'folders/normal'), { recursive: true });
      return ['data', '--config', write('folders.yaml', `data: { source: image-folder, root: ${tmp}/folders }\n`)];
    },
    code: 2,
    says: /class folder .*normal has no images/,
  },

  // Weights
  {
    name: 'random bytes as model.pretrained',
    args: async () => [
      '--config',
      write('w/rand.yaml', TRAIN(`, pretrained: ${write('w/rand.bin', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff)))}`)),
    ],
    code: 2,
    says: /rand\.bin is neither a safetensors file nor a PyTorch checkpoint/,
  },
  {
    name: 'truncated safetensors',
    args: async () => {
      const file = path.join(tmp, 'w/full.safetensors');
      writeSafetensors(file, new Map([['head.weight', { dtype: 'float32', shape: [2, 32], data: new Float32Array(64) }]]));
      const cut = write('w/cut.safetensors', fs.readFileSync(file).subarray(0, 150));
      return ['--config', write('w/cut.yaml', TRAIN(`, pretrained: ${cut}`))];
    },
    code: 2,
    says: /cut\.safetensors: /,
  },
  {
    name: 'mismatched shapes',
    args: async () => {
      const file = path.join(tmp, 'w/shape.safetensors');
      writeSafetensors(file, new Map([['patch_embed.proj.weight', { dtype: 'float32', shape: [7, 3, 8, 8], data: new Float32Array(7 * 3 * 64) }]]));
      return ['--config', write('w/shape.yaml', TRAIN(`, pretrained: ${file}`))];
    },
    code: 2,
    says: /patch_embed\.proj\.weight/,
  },
  {
    name: 'a folder as model.pretrained',
    args: async () => [
      '--config',
      write(
        'w/dir.yaml',
        TRAIN(`, pretrained: ${(fs.mkdirSync(path.join(tmp, 'w/weights-dir'), { recursive: true }), path.join(tmp, 'w/weights-dir'))}`),
      ),
    ],
    code: 2,
    says: /weights-dir: it is a folder/,
  },

  // Output locations
  {
    name: '--out is a file',
    args: async () => ['--config', write('o/a.yaml', TRAIN()), '--out', write('o/file', 'x')],
    code: 2,
    says: /cannot create folder .*o\/file: .*o\/file is a file, not a folder/,
  },
  {
    name: '--out under a file',
    args: async () => ['--config', write('o/b.yaml', TRAIN()), '--out', path.join(tmp, 'o/file2/run')],
    code: 2,
    says: /cannot create folder .*file2\/run/,
  },
  {
    name: '--out in /proc (used to spin forever)',
    args: async () => ['--config', write('o/c.yaml', TRAIN()), '--out', '/proc/fundus-anything/run'],
    code: 2,
    says: /cannot create folder \/proc\/fundus-anything\/run: .*\(E[A-Z]+\)/,
  },
  {
    name: '--out not writable (sysfs)',
    args: async () => ['--config', write('o/d.yaml', TRAIN()), '--out', '/sys/fundus-run'],
    code: 2,
    says: /cannot create folder \/sys\/fundus-run: .*\(E[A-Z]+\)/,
  },
];

describe('the bad-input catalogue', () => {
  beforeAll(() => write('o/file2', 'a file where a folder should be'));

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const args = await c.args();
    const start = performance.now();
    // Training commands get their own run folder unless the case is about --out.
    const out = args[0] === '--config' && !args.includes('--out') ? ['--out', path.join(tmp, 'runs', _name.replace(/\W+/g, '-'))] : [];
    const r = await cli([...args, ...out]);
    const ms = performance.now() - start;
    const said = c.code === 0 || args[0] === 'data' ? r.out + r.err : r.err;
    expect({ code: r.code, said }).toEqual({ code: c.code, said: expect.stringMatching(c.says) });
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).not.toMatch(/internal error/);
    if (c.code !== 0 && args[0] !== 'data')
      expect(
        r.err
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('fundus-train: error')),
      ).toHaveLength(1);
    expect(ms).toBeLessThan(c.within ?? 30_000);
  });
});

describe("file-system errors that reach the command line are the user's (exit 2), one line naming the path", () => {
  const errno = (code: string, syscall: string, file: string) =>
    Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file });

  test.each([
    ['ENOSPC', 'write', /cannot write \/data\/run\/model\.safetensors: no space left on the device \(ENOSPC\)/],
    ['EROFS', 'open', /cannot open \/mnt\/ro\/config\.json: the file system is read-only \(EROFS\)/],
    ['EACCES', 'mkdir', /cannot create folder \/root\/x: permission denied \(EACCES\)/],
    ['EISDIR', 'read', /cannot open \/data\/weights: it is a folder, not a file \(EISDIR\)/],
  ])('%s', async (code, syscall, pattern) => {
    const file = { ENOSPC: '/data/run/model.safetensors', EROFS: '/mnt/ro/config.json', EACCES: '/root/x', EISDIR: '/data/weights' }[
      code as 'ENOSPC'
    ]!;
    const { reportError } = await import('../../src/cli/output');
    let err = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      expect(reportError(errno(code, syscall, file), false)).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err).toMatch(pattern);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

test('predict decodes through the same pixel limit: a huge header is refused before decoding', async () => {
  const { decodeImage, decodeImageInside } = await import('../../src/data/image');
  const file = write('predict/huge.png', hugePng(16000, 16000));
  const start = performance.now();
  await expect(decodeImage(file)).rejects.toThrow(/huge\.png is 16000x16000 pixels \(256 megapixels\), above data\.maxImagePixels \(50 megapixels\)/);
  await expect(decodeImageInside(file, 640)).rejects.toThrow(/above data\.maxImagePixels/);
  expect(performance.now() - start).toBeLessThan(1000);
});

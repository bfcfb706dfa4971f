import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatPredictionsCsv, parsePredictionsCsv, PredictionsTable, readPredictionsCsv, writePredictionsCsv } from '../../src/eval/predictions';
import { UserError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-eval-pred-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('round trip', () => {
  test('multiclass with awkward class names, full-precision numbers and groups', () => {
    const table: PredictionsTable = {
      task: 'multiclass',
      classes: ['no DR', 'mild, moderate', 'proliferative "PDR"'],
      images: ['a/1.jpg', 'b,2.jpg', 'c.jpg'],
      labels: [0, 1, 2],
      probs: [
        [0.1 + 0.2, 0.7 - 0.2 - 0.1 + 1e-17, 1 - (0.1 + 0.2) - 0.4],
        [1 / 3, 1 / 3, 1 / 3],
        [0, 0, 1],
      ],
      groups: ['p1', 'p1', 'p2'],
    };
    const file = path.join(dir, 'multi.csv');
    writePredictionsCsv(file, table);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('image,label,p_no DR,"p_mild, moderate","p_proliferative ""PDR""",group');
    expect(readPredictionsCsv(file)).toEqual(table);
  });

  test('binary and multi-label', () => {
    const binary: PredictionsTable = {
      task: 'binary',
      classes: ['normal', 'glaucoma'],
      images: ['x', 'y'],
      labels: [1, 0],
      probs: [
        [0.25, 0.75],
        [0.9, 0.1],
      ],
    };
    expect(parsePredictionsCsv(formatPredictionsCsv(binary), 'b.csv')).toEqual(binary);
    const multi: PredictionsTable = {
      task: 'multilabel',
      classes: ['cataract', 'glaucoma'],
      images: ['x', 'y'],
      targets: [
        [1, 0],
        [1, 1],
      ],
      probs: [
        [0.8, 0.2],
        [0.6, 0.9],
      ],
    };
    const csv = formatPredictionsCsv(multi);
    expect(csv).toBe('image,y_cataract,y_glaucoma,p_cataract,p_glaucoma\nx,1,0,0.8,0.2\ny,1,1,0.6,0.9\n');
    expect(parsePredictionsCsv(csv, 'm.csv')).toEqual(multi);
  });

  test("another tool's file: BOM, CRLF, spaces, extra columns, columns in any order", () => {
    const csv = '\ufeffp_b , image,label,p_a,model\r\n0.4,img1,a,0.6,resnet\r\n0.7,img2,b,0.3,resnet\r\n';
    const t = parsePredictionsCsv(csv, 'other.csv');
    expect(t).toEqual({
      task: 'binary',
      classes: ['b', 'a'],
      images: ['img1', 'img2'],
      labels: [1, 0],
      probs: [
        [0.4, 0.6],
        [0.7, 0.3],
      ],
    });
  });
});

describe('malformed files fail with one line naming the file and line', () => {
  const cases: [string, string, RegExp][] = [
    ['missing p_ columns', 'image,label,p_a\nx,a,1\n', /^bad\.csv line 1: missing p_<class> columns: found only p_a; .*at least 2/],
    ['no p_ column at all', 'image,label\nx,a\n', /^bad\.csv line 1: missing p_<class> columns: found none/],
    ['a y_ column without its p_ column', 'image,y_a,y_b,p_a\nx,1,0,0.3\n', /^bad\.csv line 1: missing column p_b for the truth column y_b$/],
    [
      'unknown class name',
      'image,label,p_a,p_b\nx,a,0.5,0.5\ny,dog,0.2,0.8\n',
      /^bad\.csv line 3 \(image "y"\): label "dog" is not a class of this file \(p_ columns: a, b\)/,
    ],
    [
      'probabilities not summing to 1',
      'image,label,p_a,p_b,p_c\nx,a,0.5,0.3,0.1\n',
      /^bad\.csv line 2 \(image "x"\): the probabilities sum to 0\.9\d*, not 1 \(tolerance 0\.001\)/,
    ],
    ['non-numeric probability', 'image,label,p_a,p_b\nx,a,0.5,abc\n', /^bad\.csv line 2 \(image "x"\): p_b = "abc" is not a number$/],
    ['empty probability', 'image,label,p_a,p_b\nx,a,,1\n', /^bad\.csv line 2 \(image "x"\): p_a = "" is not a number$/],
    ['probability above 1', 'image,y_a,p_a\nx,1,1.5\n', /^bad\.csv line 2 \(image "x"\): p_a = 1\.5 is not a probability in \[0, 1\]$/],
    ['y_ not 0/1', 'image,y_a,y_b,p_a,p_b\nx,1,0,0.1,0.2\nz,2,0,0.3,0.3\n', /^bad\.csv line 3 \(image "z"\): y_a = "2" is not 0 or 1$/],
    ['short row', 'image,label,p_a,p_b\nx,a,0.5\n', /^bad\.csv line 2 \(image "x"\): 3 fields but the header has 4 columns$/],
    ['no truth', 'image,p_a,p_b\nx,0.5,0.5\n', /^bad\.csv line 1: no "label" column and no y_<label> columns/],
    ['no image column', 'file,label,p_a,p_b\nx,a,0.5,0.5\n', /^bad\.csv line 1: no "image" column/],
    ['header only', 'image,label,p_a,p_b\n', /^bad\.csv: the file has a header but no rows$/],
    ['empty file', '', /^bad\.csv: the file is empty/],
    ['broken quoting', 'image,label,p_a,p_b\n"x,a,0.5,0.5\n', /^bad\.csv: not a readable CSV file \(.*line 2/],
  ];
  test.each(cases)('%s', (_what, csv, pattern) => {
    let error: unknown;
    try {
      parsePredictionsCsv(csv, 'bad.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });

  test('a missing file', () => {
    expect(() => readPredictionsCsv(path.join(dir, 'nope.csv'))).toThrow(/cannot read predictions file .*nope\.csv: ENOENT/);
  });

  test('the sum tolerance is 1e-3', () => {
    expect(() => parsePredictionsCsv('image,label,p_a,p_b\nx,a,0.5,0.5009\n', 'ok.csv')).not.toThrow();
    expect(() => parsePredictionsCsv('image,label,p_a,p_b\nx,a,0.5,0.5011\n', 'bad.csv')).toThrow(/sum to 1\.0011/);
  });
});

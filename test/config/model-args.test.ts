import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveConfig } from '../../src/config/resolve';
import { UserError } from '../../src/util/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-model-args-'));

function messageOf(args: string, overrides: string[] = []): string {
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, `name: t\ndata: { source: synthetic, task: glaucoma }\nmodel:\n  name: test_vit\n  args: ${args}\n`);
  try {
    resolveConfig(file, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('model.args in a config file are checked against the family when the config loads', () => {
  test('a typo is one line naming the file and the key, with "did you mean"', () => {
    expect(messageOf('{ dept: 2 }')).toMatch(/c\.yaml: unknown key "model\.args\.dept" \(did you mean "depth"\?\) \(model test_vit\)$/);
  });

  test('--set model.args is checked the same way; valid args load', () => {
    expect(messageOf('{}', ['model.args={numHeads: two}'])).toMatch(/c\.yaml: model\.args\.numHeads: expected number, got "two"/);
    expect(messageOf('{}', ['model.args={imgSize: 64}'])).toMatch(/c\.yaml: model\.args\.imgSize: .*set model\.imageSize instead/);
    expect(messageOf('{ depth: 2, embedDim: 32 }')).toBe('no error');
  });
});

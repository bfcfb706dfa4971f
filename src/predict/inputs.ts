import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_IMAGE_EXTENSIONS } from '../data/config';
import { listImages } from '../data/sources/files';
import { expandGlob, isGlob } from './glob';

/** An input that gave no image to predict on, and why (reported per input; the others still run). */
export interface InputProblem {
  file: string;
  error: string;
}

export interface ExpandedInputs {
  /** Absolute image paths, in the order given (folders and globs sorted), each once. */
  files: string[];
  problems: InputProblem[];
}

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(DEFAULT_IMAGE_EXTENSIONS);

const isImageName = (file: string): boolean => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());

/**
 * Image files from command-line inputs: a file is taken as it is (its content, or its absence, is
 * reported when it is decoded), a folder gives its image files (recursively), and a glob pattern (quoted, so the shell
 * left it) the image files it matches.
 */
export function expandImageInputs(inputs: string[], cwd = process.cwd()): ExpandedInputs {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    if (!seen.has(file)) {
      seen.add(file);
      files.push(file);
    }
  };
  const extensions = DEFAULT_IMAGE_EXTENSIONS.join(', ');
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    if (fs.existsSync(abs)) {
      if (fs.statSync(abs).isDirectory()) {
        const found = listImages(abs, { extensions: IMAGE_EXTENSIONS });
        if (found.length === 0) problems.push({ file: input, error: `folder holds no image files (${extensions})` });
        found.forEach(add);
      } else add(abs);
    } else if (isGlob(input)) {
      const found = expandGlob(input, cwd).filter(isImageName);
      if (found.length === 0) problems.push({ file: input, error: `no image files (${extensions}) match this pattern` });
      found.forEach(add);
    } else add(abs); // a missing file is reported where it is decoded, in its place among the results
  }
  return { files, problems };
}

import { z } from 'zod';
import { UserError } from '../util/errors';
import { closest } from '../util/did-you-mean';

/** A family's schema of `model.args`: a strict object, every key optional (the variant fills the rest). */
export type ArgsSchema = z.ZodObject;

/** Keys set beside `args` in the model config, which `args` may not override. */
const RESERVED: Record<string, string> = {
  numClasses: 'numClasses (it comes from the data)',
  imgSize: 'model.imageSize',
  imageSize: 'model.imageSize',
  dropRate: 'model.dropRate',
  dropPathRate: 'model.dropPathRate',
};

function describe(issue: z.core.$ZodIssue, schema: ArgsSchema, args: Record<string, unknown>): string {
  const where = ['model.args', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    // Suggestions come from the top-level keys; nested objects (EfficientNet's stages) list theirs in the message.
    const allowed = issue.path.length === 0 ? Object.keys(schema.shape) : [];
    return issue.keys
      .map((k) => {
        const hint = closest(k, allowed);
        return `unknown key "${where}.${k}"${hint ? ` (did you mean "${hint}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
      })
      .join('; ');
  }
  let value: unknown = args;
  for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
  if (issue.code === 'invalid_type') return `${where}: expected ${issue.expected}, got ${JSON.stringify(value)}`;
  return `${where}: ${issue.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
}

/**
 * Checks a model's `args` against its family's schema: unknown keys (with "did you mean"), wrong
 * types, and the keys the model config sets itself are one-line user errors naming the key.
 */
export function parseModelArgs<S extends ArgsSchema>(modelName: string, schema: S, args: Record<string, unknown> = {}): z.output<S> {
  for (const key of Object.keys(args)) {
    if (RESERVED[key]) throw new UserError(`model.args.${key}: ${modelName}'s args cannot set ${key}; set ${RESERVED[key]} instead`);
  }
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  throw new UserError(
    `${issues
      .slice(0, 3)
      .map((i) => describe(i, schema, args))
      .join('; ')}${more} (model ${modelName})`,
  );
}

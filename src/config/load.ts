import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { z } from 'zod';
import { UserError } from '../util/errors';
import { closest } from '../util/did-you-mean';
import { experimentConfigSchema, ExperimentConfig } from './schema';

/** Reads a YAML or JSON file into plain data; syntax errors name the file and line. */
export function readConfigFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new UserError(`config file not found: ${file}`);
  // A UTF-8 byte-order mark (Windows editors write one) is not part of the text; JSON.parse would refuse it.
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (/\.json$/i.test(file)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new UserError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err.linePos?.[0]?.line;
    throw new UserError(`${file}${line ? `:${line}` : ''}: not valid YAML: ${err.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

/**
 * Applies `--set a.b.c=value` overrides to raw config data. Values are parsed as YAML
 * scalars or flow collections, so `3`, `true`, `1e-4`, `[0.5, 0.5, 0.5]` and `null` keep their types.
 */
export function applyOverrides(raw: unknown, overrides: string[]): Record<string, unknown> {
  const root = (isPlainObject(raw) ? structuredClone(raw) : {}) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${o}: expected key=value, e.g. --set train.epochs=3`);
    const keys = o.slice(0, eq).trim().split('.');
    if (keys.some((k) => k === '')) throw new UserError(`--set ${o}: empty key segment in "${o.slice(0, eq)}"`);
    let value: unknown;
    try {
      value = YAML.parse(o.slice(eq + 1));
    } catch {
      value = o.slice(eq + 1);
    }
    let node = root;
    for (const k of keys.slice(0, -1)) {
      if (!isPlainObject(node[k])) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return root;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates raw config data; the first problems become one line naming the file and the key. */
export function validateConfig(raw: unknown, source: string): ExperimentConfig {
  const result = experimentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 3).map((issue) => describeIssue(issue, raw));
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
  throw new UserError(`${source}: ${lines.join('; ')}${more}`);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = issue.path.map(String).join('.');
  const prefix = (key: string) => (key ? `${key}: ` : '');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(issue.path.map(String), raw);
      return issue.keys
        .map((k) => {
          const key = where ? `${where}.${k}` : k;
          const hint = closest(k, allowed);
          return `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
        })
        .join('; ');
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc) {
        // zod reports the path of the discriminator itself (data.source); older versions the union's.
        const keys = issue.path.map(String);
        const unionPath = keys[keys.length - 1] === disc ? keys.slice(0, -1) : keys;
        const options = allowedDiscriminatorValues(unionPath, disc);
        const key = [...unionPath, disc].join('.');
        const value = getAt(raw, [...unionPath, disc]);
        return value === undefined
          ? `${key} is required (one of ${options.join(', ')})`
          : `${key}: "${String(value)}" is not one of ${options.join(', ')}`;
      }
      return `${prefix(where)}${issue.message}`;
    }
    case 'invalid_type': {
      const value = getAt(raw, issue.path.map(String));
      if (value === undefined) return `${where || 'config'} is required`;
      return `${prefix(where)}expected ${issue.expected}, got ${JSON.stringify(value)}`;
    }
    case 'invalid_value': {
      const values = (issue as { values?: unknown[] }).values;
      const value = getAt(raw, issue.path.map(String));
      if (!values) return `${prefix(where)}${issue.message}`;
      const hint =
        typeof value === 'string'
          ? closest(
              value,
              values.filter((v): v is string => typeof v === 'string'),
            )
          : null;
      return `${prefix(where)}${JSON.stringify(value)} is not one of ${values.map((v) => JSON.stringify(v)).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    default:
      return `${prefix(where)}${issue.message}`;
  }
}

function getAt(raw: unknown, keys: string[]): unknown {
  let node = raw;
  for (const k of keys) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

type AnySchema = z.core.$ZodType;

/** Strips wrappers (default, optional, nullable, prefault, pipe) to reach an object or union schema. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** The schema of the object at `keys`, choosing discriminated-union members by the raw data. */
function schemaAt(keys: string[], raw: unknown): AnySchema | null {
  let s: AnySchema = unwrap(experimentConfigSchema);
  let node = raw;
  const pick = (): void => {
    const def = s._zod.def as { type: string; options?: AnySchema[]; discriminator?: string };
    if (def.type === 'union' && def.options && def.discriminator && isPlainObject(node)) {
      const value = node[def.discriminator];
      const match = def.options.find((o) => {
        const shape = (unwrap(o)._zod.def as { shape?: Record<string, AnySchema> }).shape;
        const lit = shape?.[def.discriminator!]?._zod.def as { values?: unknown[] } | undefined;
        return lit?.values?.includes(value);
      });
      if (match) s = unwrap(match);
    }
  };
  pick();
  for (const k of keys) {
    const shape = (s._zod.def as { shape?: Record<string, AnySchema> }).shape;
    if (!shape?.[k]) return null;
    s = unwrap(shape[k]);
    node = isPlainObject(node) ? node[k] : undefined;
    pick();
  }
  return s;
}

function allowedKeysAt(keys: string[], raw: unknown): string[] {
  const s = schemaAt(keys, raw);
  const shape = s ? (s._zod.def as { shape?: Record<string, AnySchema> }).shape : undefined;
  return shape ? Object.keys(shape) : [];
}

function allowedDiscriminatorValues(keys: string[], disc: string): string[] {
  const s = schemaAt(keys, undefined);
  const options = s ? (s._zod.def as { options?: AnySchema[] }).options : undefined;
  return (options ?? []).flatMap((o) => {
    const shape = (unwrap(o)._zod.def as { shape?: Record<string, AnySchema> }).shape;
    return ((shape?.[disc]?._zod.def as { values?: unknown[] } | undefined)?.values ?? []).map(String);
  });
}

// The suggestion helper lives in util (model arguments use it too); re-exported for config callers.
export { closest };

export interface LoadedConfig {
  config: ExperimentConfig;
  /** The file it came from (absolute). */
  file: string;
}

/** Reads, overrides and validates a config file; relative paths are not resolved yet (see resolveConfig). */
export function loadConfig(file: string, overrides: string[] = []): LoadedConfig {
  const abs = path.resolve(file);
  const raw = applyOverrides(readConfigFile(abs), overrides);
  return { config: validateConfig(raw, path.relative(process.cwd(), abs) || abs), file: abs };
}

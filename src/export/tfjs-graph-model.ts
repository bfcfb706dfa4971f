import * as fs from 'fs';
import * as path from 'path';
import type * as tfc from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors';
import { makeDirs, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { TfGraph } from './tf-graph-def';

/** tfjs's converter writes shards of at most 4 MB; so do we (browsers fetch them in parallel). */
const SHARD_BYTES = 4 * 1024 * 1024;
/** The TF GraphDef version the topology follows (that of TensorFlow 2.x; tfjs-converter only requires one). */
const PRODUCER = 1482;

export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: unknown[]; library: Record<string, never>; versions: { producer: number } };
  signature: { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
  userDefinedMetadata: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] }[];
}

/**
 * Writes a TensorFlow.js GraphModel: model.json (GraphDef topology, signature, the bundle's metadata under
 * userDefinedMetadata) and little-endian weight shards holding every Const node's value, in node order.
 */
export function writeGraphModel(dir: string, graph: TfGraph, metadata: Record<string, unknown>, generatedBy: string, inputShape: number[]): string[] {
  makeDirs(dir);
  const bytes = Buffer.concat(graph.consts.map((c) => Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength)));
  const count = Math.max(1, Math.ceil(bytes.byteLength / SHARD_BYTES));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `group1-shard${i + 1}of${count}.bin`;
    writeFileAtomic(path.join(dir, name), bytes.subarray(i * SHARD_BYTES, Math.min(bytes.byteLength, (i + 1) * SHARD_BYTES)));
    paths.push(name);
  }
  const dim = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });
  const json: GraphModelJson = {
    format: 'graph-model',
    generatedBy,
    convertedBy: generatedBy,
    modelTopology: { node: graph.nodes, library: {}, versions: { producer: PRODUCER } },
    signature: {
      inputs: { image: { name: 'image:0', dtype: 'DT_FLOAT', tensorShape: dim(inputShape) } },
      outputs: {
        logits: { name: `${graph.outputs.logits}:0`, dtype: 'DT_FLOAT' },
        probabilities: { name: `${graph.outputs.probabilities}:0`, dtype: 'DT_FLOAT' },
      },
    },
    userDefinedMetadata: metadata,
    weightsManifest: [{ paths, weights: graph.consts.map((c) => ({ name: c.name, shape: c.shape, dtype: c.dtype })) }],
  };
  writeJsonAtomic(path.join(dir, 'model.json'), json);
  return ['model.json', ...paths];
}

/** Reads model.json of a GraphModel export, checking it is one. */
export function readGraphModelJson(dir: string): GraphModelJson {
  const file = path.join(dir, 'model.json');
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no model.json (export one with fundus-train export --format tfjs)`);
  let json: GraphModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as GraphModelJson;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (json.format !== 'graph-model' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError(
      `${file} is not a TensorFlow.js GraphModel (format "${String(json.format)}"): export it again with fundus-train export --format tfjs`,
    );
  }
  return json;
}

/**
 * An IOHandler that loads a GraphModel folder from disk in Node (stock tfjs reads only http:// and, with
 * tfjs-node, file://). The shards' total size must match the manifest, so a truncated export fails here.
 */
export function graphModelFromDir(dir: string): tfc.io.IOHandler {
  return {
    load: async () => {
      const json = readGraphModelJson(dir);
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers = json.weightsManifest.flatMap((g) =>
        g.paths.map((p) => {
          const shard = path.join(dir, path.basename(p));
          if (!fs.existsSync(shard)) throw new UserError(`${path.join(dir, 'model.json')}: weight shard ${p} is missing`);
          return fs.readFileSync(shard);
        }),
      );
      const all = Buffer.concat(buffers);
      const expected = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
      if (all.byteLength !== expected)
        throw new UserError(`${path.join(dir, 'model.json')}: the weight shards hold ${all.byteLength} bytes, the manifest ${expected}`);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      } as tfc.io.ModelArtifacts;
    },
  };
}

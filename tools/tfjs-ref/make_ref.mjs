// Runs a TF.js graph model on a raw float32 input tensor with TensorFlow.js's
// wasm backend (XNNPACK) and writes every signature output as raw float32,
// plus meta.json describing shapes. detectd's float executor tests compare
// against these files.
//
// usage: node make_ref.mjs MODEL_JSON INPUT_F32 OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const [modelJson, inputFile, outDir] = process.argv.slice(2);
if (!modelJson || !inputFile || !outDir) {
  console.error('usage: node make_ref.mjs MODEL_JSON INPUT_F32 OUT_DIR');
  process.exit(2);
}

const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
setWasmPaths(wasmDir + path.sep);
await tf.setBackend('wasm');
await tf.ready();

const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
const dir = path.dirname(modelJson);
const weightSpecs = model.weightsManifest.flatMap((g) => g.weights);
const shards = model.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(dir, p)));
const all = Buffer.concat(shards);
const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
const signature = model.signature || (model.userDefinedMetadata || {}).signature;

const graph = await tf.loadGraphModel({
  load: async () => ({
    modelTopology: model.modelTopology,
    weightSpecs,
    weightData,
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    signature,
    userDefinedMetadata: model.userDefinedMetadata,
  }),
});

const inName = Object.keys(signature.inputs)[0];
const inShape = signature.inputs[inName].tensorShape.dim.map((d) => Number(d.size));
const raw = fs.readFileSync(inputFile);
const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
if (data.length !== inShape.reduce((a, b) => a * b, 1)) {
  console.error(`input has ${data.length} floats, model wants ${inShape}`);
  process.exit(1);
}
const outNames = Object.values(signature.outputs).map((o) => o.name).sort();
const input = tf.tensor(data, inShape, 'float32');
const outs = await graph.executeAsync({ [inName]: input }, outNames);
fs.mkdirSync(outDir, { recursive: true });
const meta = { tfjs: tf.version.tfjs, backend: tf.getBackend(), input: { name: inName, shape: inShape }, outputs: [] };
for (let i = 0; i < outNames.length; i++) {
  const t = outs[i];
  const values = await t.data();
  const file = outNames[i].replace(/:0$/, '').replace(/[^A-Za-z0-9_]/g, '_') + '.f32';
  fs.writeFileSync(path.join(outDir, file), Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  meta.outputs.push({ name: outNames[i].replace(/:0$/, ''), shape: t.shape, file });
}
fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
console.log(`wrote ${outNames.length} outputs to ${outDir} (tfjs ${tf.version.tfjs}, ${tf.getBackend()})`);

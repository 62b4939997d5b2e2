// Median milliseconds per inference of a TF.js graph model on TensorFlow.js's
// wasm backend (XNNPACK, SIMD; Node has no wasm threads), on a raw float32
// input tensor. usage: node bench.mjs MODEL_JSON INPUT_F32 RUNS
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const [modelJson, inputFile, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 20);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
await tf.setBackend('wasm');
await tf.ready();
const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
const dir = path.dirname(modelJson);
const all = Buffer.concat(model.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(dir, p))));
const signature = model.signature || (model.userDefinedMetadata || {}).signature;
const graph = await tf.loadGraphModel({
  load: async () => ({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: model.format, signature, userDefinedMetadata: model.userDefinedMetadata,
  }),
});
const inName = Object.keys(signature.inputs)[0];
const shape = signature.inputs[inName].tensorShape.dim.map((d) => Number(d.size));
const raw = fs.readFileSync(inputFile);
const input = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), shape);
const names = Object.values(signature.outputs).map((o) => o.name);
const times = [];
for (let i = 0; i < runs + 3; i++) {
  const t0 = performance.now();
  const outs = graph.execute({ [inName]: input }, names);
  await Promise.all(outs.map((t) => t.data()));
  const dt = performance.now() - t0;
  outs.forEach((t) => t.dispose());
  if (i >= 3) times.push(dt); // 3 warm-up runs
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ tfjs: tf.version.tfjs, backend: 'wasm', runs, ms: times[Math.floor(runs / 2)] }));
